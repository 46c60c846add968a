"""Drift reports: what differs between the manifests and the tenant, and its renderings.

A drift report is built from a `plans.Plan` (made by the same pipeline as `mfasync plan`, against a
read-only backend) and sorts each user's differences into categories:

- missing: declared, not live (the plan's creates; for a full replace, the methods it writes);
- unexpected: a live managed method no declared method matches (the plan's deletes). A user under
  `prune: none` keeps such methods, so for that user they are reported as `kept` and are not drift:
  `apply` would not remove them, and drift means "apply would change something";
- changed: a matched method whose name or preferred method differs (the plan's patches);
- unmanaged: live methods of types mfasync never touches, for information only, never drift.

Renderings: text, markdown (a pull-request or issue comment), JSON and JUnit XML (one test case per
user). Pure functions: no I/O, no clock, no terminal detection. They show only what `plans` exposes
for output (redacted displays, masked email keys): never a secret, a full phone number or a clear
email. This module must not import the planner, the executor, the API client or the CLI.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from enum import StrEnum

from mfasync import plans

FORMAT_VERSION = 1


class Category(StrEnum):
    """Why a method is in the report."""

    MISSING = "missing"
    UNEXPECTED = "unexpected"
    CHANGED = "changed"
    OUTSIDE = "outside"  # undeclared, kept under prune: owned: enrolled outside mfasync
    UNMANAGED = "unmanaged"


class Status(StrEnum):
    """A user's verdict."""

    IN_SYNC = "in_sync"
    DRIFT = "drift"
    ERROR = "error"


EXIT_IN_SYNC = 0
EXIT_ERROR = 1
EXIT_DRIFT = 2

_ORDER: dict[Category, int] = {category: index for index, category in enumerate(Category)}
_NOT_DRIFT = frozenset({Category.OUTSIDE, Category.UNMANAGED})


@dataclasses.dataclass(frozen=True, slots=True)
class Finding:
    """One method in one category. `display` is redacted; `drift` says whether it counts."""

    category: Category
    type: str
    name: str | None = None
    method_id: str | None = None
    display: str = ""
    detail: str = ""  # changed: `name: "A" -> "B"`; kept: why it is not drift
    drift: bool = True

    def describe(self) -> str:
        """`phone "Work" (...0123)  name: "SMS" -> "Work"` (no category word, no symbol)."""
        parts = [self.type]
        if self.name is not None:
            parts.append(plans.quoted(self.name))
        if self.display:
            parts.append(self.display)
        elif self.method_id is not None and self.category is not Category.MISSING:
            parts.append(f"({self.method_id})")
        text = " ".join(parts)
        return f"{text}  {self.detail}" if self.detail else text

    def to_document(self) -> dict[str, object]:
        return {
            "category": self.category.value,
            "type": self.type,
            "name": self.name,
            "method_id": self.method_id,
            "display": self.display,
            "detail": self.detail or None,
            "drift": self.drift,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class UserDrift:
    """One user's findings (sorted), or the error that kept it from being compared."""

    key: str
    user_id: str | None = None
    error: str | None = None
    findings: tuple[Finding, ...] = ()
    source: str | None = None  # `file:line` of an `email:`-declared user's entry

    @property
    def status(self) -> Status:
        if self.error is not None:
            return Status.ERROR
        return Status.DRIFT if any(f.drift for f in self.findings) else Status.IN_SYNC

    @property
    def heading(self) -> str:
        """The user as output shows it: email keys masked, the resolved id beside them."""
        return plans.heading(self.key, self.user_id, self.source)

    def count(self, category: Category, *, drift_only: bool = True) -> int:
        return sum(
            1 for f in self.findings if f.category is category and (f.drift or not drift_only)
        )

    def counts_text(self) -> str:
        """`1 missing, 2 changed` over the findings that are drift."""
        parts = [
            f"{count} {category.value}"
            for category in Category
            if category not in _NOT_DRIFT and (count := self.count(category))
        ]
        return ", ".join(parts)

    def to_document(self) -> dict[str, object]:
        document: dict[str, object] = {
            "user": plans.display_key(self.key),
            "user_id": self.user_id,
            "status": self.status.value,
            "error": self.error,
            "findings": [finding.to_document() for finding in self.findings],
        }
        if self.source is not None:  # an `email:` user's manifest entry, as in plan documents
            document["source"] = self.source
        return document


@dataclasses.dataclass(frozen=True, slots=True)
class Summary:
    users: int
    in_sync: int
    drifted: int
    errors: int
    missing: int
    unexpected: int
    changed: int
    kept: int  # unexpected under prune: none: reported, not drift
    unmanaged: int
    outside: int = 0  # enrolled outside mfasync, kept under prune: owned: not drift

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True, slots=True)
class Report:
    """Every compared user, sorted by key (the order is part of the byte-identical output)."""

    users: tuple[UserDrift, ...] = ()

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.users, key=lambda user: user.key))
        object.__setattr__(self, "users", ordered)  # frozen: the sort is part of construction

    @property
    def summary(self) -> Summary:
        statuses = [user.status for user in self.users]
        findings = [f for user in self.users for f in user.findings]
        return Summary(
            users=len(self.users),
            in_sync=statuses.count(Status.IN_SYNC),
            drifted=statuses.count(Status.DRIFT),
            errors=statuses.count(Status.ERROR),
            missing=sum(1 for f in findings if f.category is Category.MISSING),
            unexpected=sum(1 for f in findings if f.category is Category.UNEXPECTED and f.drift),
            changed=sum(1 for f in findings if f.category is Category.CHANGED),
            kept=sum(1 for f in findings if f.category is Category.UNEXPECTED and not f.drift),
            unmanaged=sum(1 for f in findings if f.category is Category.UNMANAGED),
            outside=sum(1 for f in findings if f.category is Category.OUTSIDE),
        )

    @property
    def exit_code(self) -> int:
        """0 in sync, 2 drift, 1 when any user could not be compared (an error outranks drift)."""
        summary = self.summary
        if summary.errors:
            return EXIT_ERROR
        return EXIT_DRIFT if summary.drifted else EXIT_IN_SYNC


# -- building -------------------------------------------------------------------------------------


def from_plan(plan: plans.Plan, *, keep_unexpected: Collection[str] = ()) -> Report:
    """The drift report of `plan`.

    `keep_unexpected` holds the keys of users declared with `prune: none`: their deletes (found by
    planning them as if under `prune: managed`) are reported as kept, not as drift. A plan made
    with full replaces allowed reports a replace's methods as missing; drift plans without them
    (`allow_replace=False`) so that every difference lands in its exact category.
    """
    kept = frozenset(keep_unexpected)
    return Report(users=tuple(_user(user, kept=user.key in kept) for user in plan.users))


def _user(user: plans.UserPlan, *, kept: bool) -> UserDrift:
    findings: list[Finding] = []
    if user.error is None:
        for action in user.actions:
            findings.extend(_findings(action, kept=kept))
    findings.extend(
        Finding(
            category=Category.UNMANAGED,
            type=method.type,
            name=method.name,
            method_id=method.id,
            display=plans.live_display(method),
            drift=False,
        )
        for method in user.unmanaged
    )
    findings.extend(
        Finding(
            category=Category.OUTSIDE,
            type=method.type,
            name=method.name,
            method_id=method.id,
            display=plans.live_display(method),
            detail="enrolled outside mfasync, kept (prune: owned)",
            drift=False,
        )
        for method in user.outside
    )
    findings.sort(key=lambda f: (_ORDER[f.category], f.type, f.name or "", f.method_id or ""))
    return UserDrift(
        key=user.key,
        user_id=user.user_id,
        error=user.error,
        findings=tuple(findings),
        source=user.source,
    )


def _findings(action: plans.Action, *, kept: bool) -> list[Finding]:
    if action.op is plans.Op.CREATE:
        if action.reason == plans.REASON_VALUE_CHANGED:
            return []  # its delete, which names the live method, carries the finding
        return [
            Finding(
                Category.MISSING,
                type=action.type,
                name=action.name,
                display=action.display,
                detail=action.reason or "",
            )
        ]
    if action.op is plans.Op.DELETE and action.reason == plans.REASON_VALUE_CHANGED:
        return [
            Finding(
                Category.CHANGED,
                type=action.type,
                name=action.name,
                method_id=action.method_id,
                display=action.display,
                detail="value changed since mfasync wrote it (known from the state)",
            )
        ]
    if action.op is plans.Op.PATCH:
        detail = ", ".join(
            f"{change.field}: {plans.quoted(change.old)} -> {plans.quoted(change.new)}"
            for change in action.changes
        )
        return [
            Finding(
                Category.CHANGED,
                type=action.type,
                name=action.name,
                method_id=action.method_id,
                display=action.display,
                detail=detail,
            )
        ]
    if action.op is plans.Op.DELETE:
        return [
            Finding(
                Category.UNEXPECTED,
                type=action.type,
                name=action.name,
                method_id=action.method_id,
                display=action.display,
                detail="kept: prune is none" if kept else "",
                drift=not kept,
            )
        ]
    return [
        Finding(
            Category.MISSING,
            type=method.type.value,
            name=method.name,
            display=plans.desired_display(method),
        )
        for method in action.methods
    ]


def to_document(report: Report) -> dict[str, object]:
    """The `--format json` document: verdict, summary and every user (in-sync ones included)."""
    return {
        "format_version": FORMAT_VERSION,
        "status": {EXIT_IN_SYNC: "in_sync", EXIT_DRIFT: "drift", EXIT_ERROR: "error"}[
            report.exit_code
        ],
        "summary": report.summary.as_dict(),
        "users": [user.to_document() for user in report.users],
    }
