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
    INTERRUPTED = "interrupted"  # the run was stopped after some of this user's actions
    NOT_STARTED = "not_started"  # the run was stopped before this user's first action


class ActionStatus(StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"  # not attempted: an earlier action failed, or the run was stopped
    ALREADY_PRESENT = "already_present"  # a create found the method there: nothing written
    UNKNOWN = "unknown"  # abandoned in flight by a hard stop: it may or may not have committed


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
    source: str | None = None  # `file:line` of an `email:`-declared user's entry

    @property
    def heading(self) -> str:
        """The user as messages name it: masked key, resolved id, manifest entry."""
        return plans.heading(self.key, self.user_id, self.source)

    def to_document(self) -> dict[str, object]:
        document: dict[str, object] = {
            "key": plans.display_key(self.key),  # an email key masked, as stdout shows it
            "user_id": self.user_id,
            "status": self.status.value,
            "message": self.message,
            "actions": [action.to_document() for action in self.actions],
        }
        if self.source is not None:
            document["source"] = self.source
        return document


_SUMMARY_WORDS = (
    (plans.Op.CREATE, "created"),
    (plans.Op.PATCH, "updated"),
    (plans.Op.DELETE, "deleted"),
    (plans.Op.REPLACE, "replaced"),
)


#: Users named in the summary line of an interrupted run; the JSON report lists them all.
MAX_INTERRUPTED_SHOWN = 20


@dataclass(frozen=True, slots=True)
class ApplyReport:
    """Outcomes sorted by user key; users without changes are only counted.

    `interrupted`: the run was asked to stop (Ctrl-C, SIGTERM) before every user was done; the
    users it did not finish are `INTERRUPTED` or `NOT_STARTED`.
    """

    users: tuple[UserOutcome, ...]
    unchanged: int = 0
    dry_run: bool = False
    requests: int | None = None  # HTTP requests sent, when a governor counted them
    rate_limited: int | None = None  # 429s met
    interrupted: bool = False

    def applied_counts(self) -> dict[plans.Op, int]:
        """Actions done, by operation: what the tenant's log shows as successful writes."""
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

    @property
    def already_present(self) -> int:
        """Creates that found their method already there (another run wrote it): no write."""
        return sum(
            1
            for user in self.users
            for action in user.actions
            if action.status is ActionStatus.ALREADY_PRESENT
        )

    def count(self, status: UserStatus) -> int:
        return sum(1 for user in self.users if user.status is status)

    @property
    def ok(self) -> bool:
        """True when every user was done and nothing failed or was stale: exit code 0."""
        unfinished = (
            UserStatus.FAILED,
            UserStatus.STALE,
            UserStatus.INTERRUPTED,
            UserStatus.NOT_STARTED,
        )
        return not self.interrupted and not any(u.status in unfinished for u in self.users)

    def summary_line(self) -> str:
        """`Applied: 3 created, 1 updated, 1 deleted, 1 replaced. 2 users failed, 1 stale.`

        `, 2 already present` follows the counts when creates found their method there; an
        interrupted run adds a line with the users not started and those stopped half-way.
        """
        counts = self.applied_counts()
        done = ", ".join(f"{counts[op]} {word}" for op, word in _SUMMARY_WORDS)
        if self.already_present:
            done += f", {self.already_present} already present"
        failed = self.count(UserStatus.FAILED)
        noun = "user" if failed == 1 else "users"
        head = "Would apply" if self.dry_run else "Applied"
        line = f"{head}: {done}. {failed} {noun} failed, {self.count(UserStatus.STALE)} stale."
        if self.interrupted:
            line += "\n" + self._interrupted_line()
        return line

    def _interrupted_line(self) -> str:
        halfway = [u for u in self.users if u.status is UserStatus.INTERRUPTED]
        not_started = self.count(UserStatus.NOT_STARTED)
        line = f"Interrupted: {not_started} {_users(not_started)} not started"
        if halfway:
            shown = ", ".join(u.heading for u in halfway[:MAX_INTERRUPTED_SHOWN])
            more = len(halfway) - MAX_INTERRUPTED_SHOWN
            if more > 0:
                shown += f" and {more:,} more"
            line += (
                f"; {len(halfway)} {_users(len(halfway))} stopped between actions, keeping "
                f"their old factors beside any new one: {shown}"
            )
        return line + ". Run apply again to finish."

    def to_document(self) -> dict[str, object]:
        counts = self.applied_counts()
        return {
            "format_version": REPORT_FORMAT_VERSION,
            "dry_run": self.dry_run,
            "interrupted": self.interrupted,
            "summary": {
                "created": counts[plans.Op.CREATE],
                "updated": counts[plans.Op.PATCH],
                "deleted": counts[plans.Op.DELETE],
                "replaced": counts[plans.Op.REPLACE],
                "already_present": self.already_present,
                "users_applied": self.count(UserStatus.APPLIED),
                "users_failed": self.count(UserStatus.FAILED),
                "users_stale": self.count(UserStatus.STALE),
                "users_skipped": self.count(UserStatus.SKIPPED),
                "users_interrupted": self.count(UserStatus.INTERRUPTED),
                "users_not_started": self.count(UserStatus.NOT_STARTED),
                "users_unchanged": self.unchanged,
                "requests": self.requests,
                "rate_limited": self.rate_limited,
            },
            "users": [user.to_document() for user in self.users],
        }


def _users(count: int) -> str:
    return "user" if count == 1 else "users"
