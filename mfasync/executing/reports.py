"""The apply report: what happened to every user and every action, its summary and JSON form.

Data only: the CLI prints the summary and writes `--report FILE`. Nothing here holds a secret, a
full phone number or a clear email: actions are described by their plan `display` (redacted) and
errors by the API's message (which the client already cut and which never carries a value).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from mfasync import plans

REPORT_FORMAT_VERSION = 1


class UserStatus(StrEnum):
    APPLIED = "applied"  # every action done
    FAILED = "failed"  # planning failed, or an action failed (the rest were not attempted)
    STALE = "stale"  # saved plan only: the user changed since; nothing done
    SKIPPED = "skipped"  # nothing attempted (e.g. no longer in the manifests)


class ActionStatus(StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"  # not attempted: an earlier action of the same user failed


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    op: plans.Op
    type: str
    name: str | None
    display: str
    method_id: str | None
    status: ActionStatus
    note: str | None = None  # e.g. "the create had been committed", "already gone"
    creates: int = 0  # methods this action creates: 1 for a create, the new set for a replace

    def to_document(self) -> dict[str, object]:
        return {
            "op": self.op.value,
            "type": self.type,
            "name": self.name,
            "display": self.display,
            "method_id": self.method_id,
            "status": self.status.value,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class UserOutcome:
    key: str
    user_id: str | None
    status: UserStatus
    message: str | None = None
    actions: tuple[ActionOutcome, ...] = ()

    def to_document(self) -> dict[str, object]:
        return {
            "key": plans.display_key(self.key),  # an email key masked, as stdout shows it
            "user_id": self.user_id,
            "status": self.status.value,
            "message": self.message,
            "actions": [action.to_document() for action in self.actions],
        }


_SUMMARY_WORDS = (
    (plans.Op.CREATE, "created"),
    (plans.Op.PATCH, "updated"),
    (plans.Op.DELETE, "deleted"),
    (plans.Op.REPLACE, "replaced"),
)


@dataclass(frozen=True, slots=True)
class ApplyReport:
    """Outcomes sorted by user key; users without changes are only counted."""

    users: tuple[UserOutcome, ...]
    unchanged: int = 0
    dry_run: bool = False
    requests: int | None = None  # HTTP requests sent, when a governor counted them
    rate_limited: int | None = None  # 429s met

    def applied_counts(self) -> dict[plans.Op, int]:
        counts: Counter[plans.Op] = Counter()
        for user in self.users:
            for action in user.actions:
                if action.status is ActionStatus.APPLIED:
                    counts[action.op] += 1
                    if action.op is plans.Op.REPLACE:
                        # As in the plan's summary: a replace counts once, and the methods it
                        # writes count as created, so plan and apply tell the same numbers.
                        counts[plans.Op.CREATE] += action.creates
        return {op: counts[op] for op, _ in _SUMMARY_WORDS}

    def count(self, status: UserStatus) -> int:
        return sum(1 for user in self.users if user.status is status)

    @property
    def ok(self) -> bool:
        """True when nothing failed and nothing was stale: exit code 0."""
        return not any(u.status in (UserStatus.FAILED, UserStatus.STALE) for u in self.users)

    def summary_line(self) -> str:
        """`Applied: 3 created, 1 updated, 1 deleted, 1 replaced. 2 users failed, 1 stale.`"""
        counts = self.applied_counts()
        done = ", ".join(f"{counts[op]} {word}" for op, word in _SUMMARY_WORDS)
        failed = self.count(UserStatus.FAILED)
        noun = "user" if failed == 1 else "users"
        head = "Would apply" if self.dry_run else "Applied"
        return f"{head}: {done}. {failed} {noun} failed, {self.count(UserStatus.STALE)} stale."

    def to_document(self) -> dict[str, object]:
        counts = self.applied_counts()
        return {
            "format_version": REPORT_FORMAT_VERSION,
            "dry_run": self.dry_run,
            "summary": {
                "created": counts[plans.Op.CREATE],
                "updated": counts[plans.Op.PATCH],
                "deleted": counts[plans.Op.DELETE],
                "replaced": counts[plans.Op.REPLACE],
                "users_applied": self.count(UserStatus.APPLIED),
                "users_failed": self.count(UserStatus.FAILED),
                "users_stale": self.count(UserStatus.STALE),
                "users_skipped": self.count(UserStatus.SKIPPED),
                "users_unchanged": self.unchanged,
                "requests": self.requests,
                "rate_limited": self.rate_limited,
            },
            "users": [user.to_document() for user in self.users],
        }
