"""Plans as text (Terraform-like), markdown (a pull-request comment) and JSON.

Pure functions from a `plans.Plan` to a string: no I/O, no clock, no terminal detection (the CLI
decides `colour`). They show only what `plans` exposes for output (redacted displays, masked emails,
secret references): never a secret, a full phone number or a clear email.
"""

from __future__ import annotations

import html
import json

from mfasync import models, plans
from mfasync.rendering.text import code, md_text, plural

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_GREEN = "\x1b[32m"
_YELLOW = "\x1b[33m"
_RED = "\x1b[31m"
_MAGENTA = "\x1b[35m"

_SYMBOLS: dict[plans.Op, tuple[str, str]] = {
    plans.Op.CREATE: ("+", _GREEN),
    plans.Op.PATCH: ("~", _YELLOW),
    plans.Op.DELETE: ("-", _RED),
    plans.Op.REPLACE: ("!", _MAGENTA),
}


def render_text(plan: plans.Plan, *, colour: bool = False) -> str:
    """The plan as Terraform shows one: changed users and errors, then the summary line."""

    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    lines: list[str] = []
    for user in plan.users:
        if user.error is None and not user.changed and not user.outside:
            continue
        lines.append(paint(_user_heading(user), _BOLD))
        if user.error is not None:
            lines.append("  " + paint(f"error: {user.error}", _RED))
        for action in user.actions:
            lines.append("  " + paint(action_line(action), _SYMBOLS[action.op][1]))
        lines.extend(f"  {outside_line(method)}" for method in user.outside)
    lines.append(summary_line(plan.summary))
    return "\n".join(lines) + "\n"


def action_line(action: plans.Action) -> str:
    """One action as a line: `+ totp "Authenticator"`, `~ phone "Work" (...0123)  name: ...`."""
    symbol = _SYMBOLS[action.op][0]
    if action.op is plans.Op.REPLACE:
        line = f"{symbol} replace all (PUT): {action.display}"
        if action.replaced:
            overwritten = ", ".join(
                _describe(method.type, method.name, plans.live_display(method))
                for method in action.replaced
            )
            line += f"; overwrites {overwritten}"
        return line + (f"  ({action.reason})" if action.reason is not None else "")
    line = f"{symbol} {_describe(action.type, action.name, action.display)}"
    if action.op is plans.Op.PATCH:
        changes = ", ".join(
            f"{change.field}: {plans.quoted(change.old)} -> {plans.quoted(change.new)}"
            for change in action.changes
        )
        line += f"  {changes}"
    if action.reason is not None:
        line += f"  ({action.reason})"
    return line


def outside_line(method: models.LiveMethod) -> str:
    """A method `prune: owned` keeps: `= totp "Own app": enrolled outside mfasync, kept`."""
    shown = _describe(method.type, method.name, plans.live_display(method))
    return f"= {shown}: enrolled outside mfasync, kept"


def summary_line(summary: plans.Summary) -> str:
    """`Plan: 3 to create, 1 to update, 1 to delete, 1 full replace. 41 users unchanged, 0 errors.`

    Creates include the methods a full replace writes; the replace itself counts once.
    """
    return (
        f"Plan: {summary.create} to create, {summary.patch} to update, "
        f"{summary.delete} to delete, {plural(summary.replace, 'full replace', 'full replaces')}. "
        f"{plural(summary.unchanged, 'user', 'users')} unchanged, "
        f"{plural(summary.errors, 'error', 'errors')}."
    )


def render_markdown(plan: plans.Plan) -> str:
    """The plan as a pull-request comment: title, summary table, errors, then per-user details."""
    summary = plan.summary
    lines = [
        "## mfasync plan",
        "",
        "| create | update | delete | full replace | unchanged | errors |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {summary.create} | {summary.patch} | {summary.delete} | {summary.replace} "
        f"| {summary.unchanged} | {summary.errors} |",
        "",
    ]
    failed = [user for user in plan.users if user.error is not None]
    changed = [user for user in plan.users if user.error is None and user.changed]
    if failed:
        lines += [f"### Errors ({len(failed)})", ""]
        lines += [
            f"- `{code(_user_heading(user))}`: {md_text(user.error or '')}" for user in failed
        ]
        lines.append("")
    if changed:
        lines += [f"### Changes ({len(changed)} {'user' if len(changed) == 1 else 'users'})", ""]
        for user in changed:
            counts = _action_counts(user)
            lines += [
                "<details>",
                f"<summary><code>{html.escape(_user_heading(user))}</code>: "
                f"{html.escape(counts)}</summary>",
                "",
                "```diff",
                *(action_line(action) for action in user.actions),
                "```",
                "</details>",
                "",
            ]
    if not failed and not changed:
        lines += ["No changes: the tenant matches the manifests.", ""]
    lines.append(summary_line(summary))
    return "\n".join(lines) + "\n"


def render_json(plan: plans.Plan) -> str:
    """`plans.to_document(plan)` as JSON: sorted keys, indent 2 (stable for diffs and tools)."""
    return json.dumps(plans.to_document(plan), sort_keys=True, indent=2) + "\n"


def _user_heading(user: plans.UserPlan) -> str:
    return plans.heading(user.key, user.user_id, user.source)


def _describe(kind: str, name: str | None, display: str) -> str:
    return " ".join(
        part for part in (kind, plans.quoted(name) if name is not None else "", display) if part
    )


def _action_counts(user: plans.UserPlan) -> str:
    words = {
        plans.Op.CREATE: "to create",
        plans.Op.PATCH: "to update",
        plans.Op.DELETE: "to delete",
        plans.Op.REPLACE: "full replace",
    }
    parts = []
    for op, word in words.items():
        count = sum(1 for action in user.actions if action.op is op)
        if count:
            parts.append(f"{count} {word}")
    return ", ".join(parts)
