"""Drift reports as text, markdown (a pull-request or issue comment), JSON and JUnit XML.

Pure functions from a `drift.Report` to a string, beside the plan's renderers: no I/O, no clock, no
terminal detection. They show only what the report exposes (redacted displays, masked email keys).
"""

from __future__ import annotations

import html
import json
from xml.etree import ElementTree

from mfasync import drift
from mfasync.drift import (
    EXIT_DRIFT,
    EXIT_ERROR,
    EXIT_IN_SYNC,
    Category,
    Finding,
    Report,
    Status,
    Summary,
)
from mfasync.rendering.text import code, md_text, plural

JUNIT_SUITE = "mfasync drift"

_SYMBOLS: dict[Category, str] = {
    Category.MISSING: "+",
    Category.UNEXPECTED: "-",
    Category.CHANGED: "~",
    Category.OUTSIDE: "=",
    Category.UNMANAGED: "=",
}


# -- renderings -----------------------------------------------------------------------------------


def summary_line(summary: Summary) -> str:
    """`Drift: 2 users drifted (1 missing, 0 unexpected, 1 changed), 40 in sync, 0 errors.`"""
    line = (
        f"Drift: {plural(summary.drifted, 'user', 'users')} drifted "
        f"({summary.missing} missing, {summary.unexpected} unexpected, {summary.changed} changed), "
        f"{summary.in_sync} in sync, {plural(summary.errors, 'error', 'errors')}."
    )
    notes = []
    if summary.kept:
        notes.append(f"{summary.kept} unexpected kept under prune: none")
    if summary.outside:
        notes.append(f"{summary.outside} enrolled outside mfasync")
    if summary.unmanaged:
        notes.append(f"{summary.unmanaged} unmanaged")
    return line + (f" Not drift: {', '.join(notes)}." if notes else "")


def render_text(report: Report) -> str:
    """Users with drift or errors, their findings (unmanaged ones as notes), then the summary."""
    lines: list[str] = []
    for user in report.users:
        if user.status is Status.IN_SYNC:
            continue
        lines.append(f"{user.heading}: {user.status.value.replace('_', ' ')}")
        if user.error is not None:
            lines.append(f"  error: {user.error}")
        lines.extend(f"  {_finding_line(finding)}" for finding in user.findings)
    lines.append(summary_line(report.summary))
    return "\n".join(lines) + "\n"


def _finding_line(finding: Finding) -> str:
    kept = finding.category is Category.UNEXPECTED and not finding.drift
    label = "kept" if kept else finding.category.value
    return f"{_SYMBOLS[finding.category]} {label:<10} {finding.describe()}"


def render_markdown(report: Report) -> str:
    """A comment for an issue or pull request: verdict, counts table, then per-user details."""
    summary = report.summary
    verdict = {
        EXIT_IN_SYNC: "In sync: the tenant matches the manifests.",
        EXIT_DRIFT: "**Drift**: the tenant differs from the manifests.",
        EXIT_ERROR: "**Errors**: some users could not be compared.",
    }[report.exit_code]
    lines = [
        "## mfasync drift",
        "",
        verdict,
        "",
        "| in sync | drifted | errors | missing | unexpected | changed |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {summary.in_sync} | {summary.drifted} | {summary.errors} | {summary.missing} "
        f"| {summary.unexpected} | {summary.changed} |",
        "",
    ]
    failed = [user for user in report.users if user.status is Status.ERROR]
    drifted = [user for user in report.users if user.status is Status.DRIFT]
    if failed:
        lines += [f"### Errors ({len(failed)})", ""]
        lines += [f"- `{code(user.heading)}`: {md_text(user.error or '')}" for user in failed]
        lines.append("")
    if drifted:
        lines += [f"### Drift ({plural(len(drifted), 'user', 'users')})", ""]
        for user in drifted:
            lines += [
                "<details>",
                f"<summary><code>{html.escape(user.heading)}</code>: "
                f"{html.escape(user.counts_text())}</summary>",
                "",
                "```diff",
                *(_finding_line(finding) for finding in user.findings),
                "```",
                "</details>",
                "",
            ]
    lines.append(summary_line(summary))
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    """`drift.to_document(report)` as JSON: sorted keys, indent 2 (stable for diffs and tools)."""
    return json.dumps(drift.to_document(report), sort_keys=True, indent=2) + "\n"


def render_junit(report: Report) -> str:
    """JUnit XML: one test case per user; drift is a failure, an error is an error.

    CI systems show these as test results, so a drifted user appears by name with its details.
    No timestamps or durations: the same report gives the same bytes.
    """
    summary = report.summary
    suites = ElementTree.Element(
        "testsuites",
        name=JUNIT_SUITE,
        tests=str(summary.users),
        failures=str(summary.drifted),
        errors=str(summary.errors),
    )
    suite = ElementTree.SubElement(
        suites,
        "testsuite",
        name=JUNIT_SUITE,
        tests=str(summary.users),
        failures=str(summary.drifted),
        errors=str(summary.errors),
        skipped="0",
    )
    for user in report.users:
        case = ElementTree.SubElement(
            suite, "testcase", classname="mfasync.drift", name=user.heading
        )
        details = "\n".join(_finding_line(finding) for finding in user.findings if finding.drift)
        if user.status is Status.ERROR:
            error = ElementTree.SubElement(
                case, "error", type="error", message=user.error or "error"
            )
            error.text = user.error
        elif user.status is Status.DRIFT:
            failure = ElementTree.SubElement(
                case, "failure", type="drift", message=f"drift: {user.counts_text()}"
            )
            failure.text = details
        if user.status is not Status.ERROR and any(not f.drift for f in user.findings):
            notes = "\n".join(_finding_line(f) for f in user.findings if not f.drift)
            ElementTree.SubElement(case, "system-out").text = notes
    ElementTree.indent(suites)
    body = ElementTree.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
