"""The state's records as text and JSON, for `mfasync state list`, `show` and `history`.

Pure functions from plain records (`mfasync.records`) to a string: no I/O, no clock, no database.
Text shows a fingerprint only as its first `FINGERPRINT_PREFIX` hex digits (they are keyed HMACs,
harmless, but a table is read by people and pasted into tickets) and says that an `adopted`
method's fingerprint is unverified: it is the value the manifest declared when the live method's
mask fitted, not a value mfasync ever sent. JSON carries full fingerprints, for tools.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Iterable, Sequence
from typing import Any

from mfasync import records
from mfasync.records import MethodOrigin
from mfasync.rendering.text import plural

FORMAT_VERSION = 1
FINGERPRINT_PREFIX = 8
UNVERIFIED_NOTE = (
    "unverified: an adopted method's fingerprint is the value the manifest declared when the "
    "live method's mask fitted it; mfasync never saw the value itself."
)
SEEN_NOTE = "seen: listed, never declared: not mfasync's (prune: owned keeps it)."


@dataclasses.dataclass(frozen=True, slots=True)
class Where:
    """Which state and which tenant a rendering is about."""

    state: str  # the location's redacted display
    tenant: str


@dataclasses.dataclass(frozen=True, slots=True)
class UserState:
    """One user's records: its user record (if it was ever listed) and its method records."""

    user_id: str
    record: records.UserRecord | None
    methods: tuple[records.MethodRecord, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class RunWrites:
    """A run and the journal entries it wrote (all of them, or one user's)."""

    run: records.RunRecord
    writes: tuple[records.JournalEntry, ...]


def users_of(
    methods: Iterable[records.MethodRecord], users: Iterable[records.UserRecord]
) -> list[UserState]:
    """Method and user records grouped by user, sorted by user id."""
    by_user: dict[str, list[records.MethodRecord]] = {}
    for method in methods:
        by_user.setdefault(method.user_id, []).append(method)
    known = {user.user_id: user for user in users}
    return [
        UserState(
            user_id=user_id,
            record=known.get(user_id),
            methods=tuple(sorted(by_user.get(user_id, ()), key=lambda m: m.method_id)),
        )
        for user_id in sorted(set(by_user) | set(known))
    ]


def runs_with_writes(
    runs: Sequence[records.RunRecord], entries: Iterable[records.JournalEntry]
) -> list[RunWrites]:
    """Each run (in the order given) with its entries in the order they were written."""
    by_run: dict[int, list[records.JournalEntry]] = {}
    for entry in sorted(entries, key=lambda entry: entry.entry_id):
        by_run.setdefault(entry.run_id, []).append(entry)
    return [RunWrites(run=run, writes=tuple(by_run.get(run.run_id, ()))) for run in runs]


# -- state list -----------------------------------------------------------------------------------
#
# A tenant of 100,000 users has some 300,000 method records: `state list` renders them page by
# page (`ListText`, `ListJson`), never holding them all. `list_text` / `list_json` render one page.

LIST_HEADER = ("USER", "ORIGIN", "TYPE", "METHOD ID", "FINGERPRINT", "FIRST SEEN", "LAST SEEN")


class ListText:
    """`state list` as text: `head()`, then `page(users)` for each page, then `tail()`.

    A heading, one row per method record (or per user without any), then notes on the origins
    met and the counts. The columns take their widths from the first page (a longer value later
    widens only its own row).
    """

    def __init__(self, where: Where) -> None:
        self._where = where
        self._widths: list[int] | None = None
        self._users = 0
        self._methods = 0
        self._origins: set[MethodOrigin] = set()

    def head(self) -> list[str]:
        return [f"Tenant {self._where.tenant} in {self._where.state}:"]

    def page(self, users: Sequence[UserState]) -> list[str]:
        rows: list[list[str]] = []
        for user in users:
            self._users += 1
            self._methods += len(user.methods)
            self._origins.update(method.origin for method in user.methods)
            if not user.methods:
                rows.append([user.user_id, "-", "-", "(no method records)", "-", "-", "-"])
            rows.extend([user.user_id, *_method_cells(method)] for method in user.methods)
        if not rows:
            return []
        lines = []
        if self._widths is None:
            self._widths = _widths([LIST_HEADER, *rows])
            lines.append(_row(LIST_HEADER, self._widths))
        lines.extend(_row(row, self._widths) for row in rows)
        return lines

    def tail(self) -> list[str]:
        notes = _origin_notes(self._origins)
        counts = (
            f"{plural(self._users, 'user', 'users')}, "
            f"{plural(self._methods, 'method record', 'method records')}."
        )
        return [*notes, counts]


class ListJson:
    """`state list --format json`, page by page: the same text as `json.dumps(document, indent=2)`
    of `{"format_version": 1, "state", "tenant", "users": [{"user_id", "record", "methods"}]}`."""

    def __init__(self, where: Where) -> None:
        self._where = where
        self._first = True

    def head(self) -> str:
        opening = json.dumps(
            {
                "format_version": FORMAT_VERSION,
                "state": self._where.state,
                "tenant": self._where.tenant,
            },
            indent=2,
        )
        return opening[: -len("\n}")] + ',\n  "users": ['

    def page(self, users: Sequence[UserState]) -> str:
        chunks = []
        for user in users:
            text = json.dumps(_user_document(user), indent=2).replace("\n", "\n    ")
            chunks.append(("\n    " if self._first else ",\n    ") + text)
            self._first = False
        return "".join(chunks)

    def tail(self) -> str:
        return "]\n}\n" if self._first else "\n  ]\n}\n"


def list_text(where: Where, users: Sequence[UserState]) -> str:
    """`ListText` of one page."""
    rendering = ListText(where)
    lines = [*rendering.head(), *rendering.page(users), *rendering.tail()]
    return "\n".join(lines) + "\n"


def list_json(where: Where, users: Sequence[UserState]) -> str:
    """`ListJson` of one page."""
    rendering = ListJson(where)
    return rendering.head() + rendering.page(users) + rendering.tail()


# -- state show -----------------------------------------------------------------------------------


def show_text(where: Where, user: UserState, history: Sequence[RunWrites]) -> str:
    """The user's record, its method records, and what mfasync wrote for it, run by run."""
    lines = [f"{user.user_id} in tenant {where.tenant} ({where.state})"]
    record = user.record
    if record is None:
        lines.append("User record: none (no plan, apply or drift listed this user with this state)")
    else:
        desired = (
            f"fingerprint recorded ({_short(record.desired_fingerprint)})"
            if record.desired_fingerprint
            else "no fingerprint recorded"
        )
        lines.append(f"Desired entry: {desired}")
        if record.last_listed_at is None:
            lines.append("Last listed: never")
        else:
            verdict = (
                "in sync"
                if record.in_sync
                else "not in sync (that plan had actions or an error for it)"
            )
            lines.append(f"Last listed: {_when(record.last_listed_at)}, {verdict}")
    lines.append(f"Method records: {len(user.methods)}")
    if user.methods:
        header = ["ORIGIN", "TYPE", "METHOD ID", "FINGERPRINT", "FIRST SEEN", "LAST SEEN"]
        rows = [_method_cells(method) for method in user.methods]
        lines.extend("  " + line for line in _table(header, rows))
        lines.extend("  " + note for note in _notes(user.methods))
    writes = sum(len(item.writes) for item in history)
    lines.append(
        f"History: {plural(writes, 'write', 'writes')} in {plural(len(history), 'run', 'runs')}"
    )
    for item in history:
        lines.append("  " + _run_heading(item.run))
        lines.extend("    " + line for line in _writes_table(item.writes, with_user=False))
    return "\n".join(lines) + "\n"


def show_json(where: Where, user: UserState, history: Sequence[RunWrites]) -> str:
    """The user's document as in `list_json`, plus `history`: its runs with its writes."""
    document = {
        "format_version": FORMAT_VERSION,
        "state": where.state,
        "tenant": where.tenant,
        **_user_document(user),
        "history": [_run_document(item) for item in history],
    }
    return json.dumps(document, indent=2) + "\n"


# -- state history --------------------------------------------------------------------------------


def history_text(
    where: Where, history: Sequence[RunWrites], *, user_id: str | None, limit: int | None
) -> str:
    """Runs, newest first (who, where, when, command, counts, outcome), each with its writes."""
    about = f" writing for {user_id}" if user_id else ""
    lines = [
        f"Tenant {where.tenant} in {where.state}: {plural(len(history), 'run', 'runs')}{about}"
    ]
    if limit is not None and len(history) >= limit:
        lines[0] += f" (the {limit} newest; --limit N for more)"
    lines[0] += "."
    for item in history:
        lines.append(_run_heading(item.run))
        counts = _counts(item.run)
        if counts:
            lines.append(f"  counts: {counts}")
        lines.extend("  " + line for line in _writes_table(item.writes, with_user=True))
    return "\n".join(lines) + "\n"


def history_json(where: Where, history: Sequence[RunWrites], *, user_id: str | None) -> str:
    """`{"format_version": 1, "state", "tenant", "user_id", "runs": [{..., "writes": [...]}]}`."""
    document = {
        "format_version": FORMAT_VERSION,
        "state": where.state,
        "tenant": where.tenant,
        "user_id": user_id,
        "runs": [_run_document(item) for item in history],
    }
    return json.dumps(document, indent=2) + "\n"


# -- helpers --------------------------------------------------------------------------------------


def _when(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _short(fingerprint: str | None) -> str:
    return fingerprint[:FINGERPRINT_PREFIX] if fingerprint else "-"


def _method_cells(method: records.MethodRecord) -> list[str]:
    fingerprint = _short(method.fingerprint)
    if method.fingerprint and method.origin is MethodOrigin.ADOPTED:
        fingerprint += " unverified"
    return [
        method.origin.value,
        method.type,
        method.method_id,
        fingerprint,
        _when(method.first_seen),
        _when(method.last_seen),
    ]


def _notes(methods: Iterable[records.MethodRecord]) -> list[str]:
    return _origin_notes({method.origin for method in methods})


def _origin_notes(origins: set[MethodOrigin]) -> list[str]:
    notes = []
    if MethodOrigin.ADOPTED in origins:
        notes.append(UNVERIFIED_NOTE)
    if MethodOrigin.SEEN in origins:
        notes.append(SEEN_NOTE)
    return notes


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns two spaces apart; the last column is not padded."""
    widths = _widths([header, *rows])
    return [_row(row, widths) for row in [header, *rows]]


def _widths(rows: Sequence[Sequence[str]]) -> list[int]:
    return [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def _run_heading(run: records.RunRecord) -> str:
    if run.outcome is not None:
        outcome = run.outcome
    elif run.ended_at is None:
        outcome = "no end recorded (still running, or killed)"
    else:
        outcome = "no outcome recorded"
    ended = f", ended {_when(run.ended_at)}" if run.ended_at is not None else ""
    ci = f"; CI job {run.ci_job}" if run.ci_job else ""
    return (
        f"run {run.run_id}: {run.command}, {outcome}; started {_when(run.started_at)}{ended}; "
        f"by {run.os_user} on {run.host} (pid {run.pid}){ci}"
    )


def _counts(run: records.RunRecord) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(run.counts.items()) if count)


def _outcome(entry: records.JournalEntry) -> str:
    if entry.outcome is None:
        return "no answer recorded"
    status = f" ({entry.status})" if entry.status is not None else ""
    if entry.outcome is records.WriteOutcome.UNKNOWN:
        return f"unknown: sent, answer lost{status}"
    return f"{entry.outcome.value}{status}"


def _writes_table(writes: Sequence[records.JournalEntry], *, with_user: bool) -> list[str]:
    if not writes:
        return []
    header = ["WHEN", *(["USER"] if with_user else []), "OP", "TYPE", "METHOD", "OUTCOME"]
    rows = []
    for entry in writes:
        target = entry.method_id or ""
        if entry.new_method_ids:
            made = ", ".join(entry.new_method_ids)
            target = f"{target} -> {made}" if target else f"-> {made}"
        rows.append(
            [
                _when(entry.intended_at),
                *([entry.user_id] if with_user else []),
                entry.op,
                entry.method_type or "-",
                target or "-",
                _outcome(entry),
            ]
        )
    return _table(header, rows)


def _user_document(user: UserState) -> dict[str, Any]:
    record = user.record
    return {
        "user_id": user.user_id,
        "record": None
        if record is None
        else {
            "desired_fingerprint": record.desired_fingerprint,
            "last_listed_at": _iso(record.last_listed_at),
            "in_sync": record.in_sync,
        },
        "methods": [
            {
                "method_id": method.method_id,
                "type": method.type,
                "origin": method.origin.value,
                "fingerprint": method.fingerprint,
                # created: what mfasync sent; adopted: what the manifest declared (unverified)
                "fingerprint_verified": None
                if method.fingerprint is None
                else method.origin is MethodOrigin.CREATED,
                "first_seen": _iso(method.first_seen),
                "last_seen": _iso(method.last_seen),
            }
            for method in user.methods
        ],
    }


def _run_document(item: RunWrites) -> dict[str, Any]:
    run = item.run
    return {
        "run_id": run.run_id,
        "command": run.command,
        "started_at": _iso(run.started_at),
        "ended_at": _iso(run.ended_at),
        "host": run.host,
        "os_user": run.os_user,
        "ci_job": run.ci_job,
        "pid": run.pid,
        "counts": dict(sorted(run.counts.items())),
        "outcome": run.outcome,
        "writes": [
            {
                "entry_id": entry.entry_id,
                "user_id": entry.user_id,
                "op": entry.op,
                "method_type": entry.method_type,
                "method_id": entry.method_id,
                "intended_at": _iso(entry.intended_at),
                "outcome": entry.outcome.value if entry.outcome is not None else None,
                "status": entry.status,
                "new_method_ids": list(entry.new_method_ids),
                "answered_at": _iso(entry.answered_at),
            }
            for entry in item.writes
        ],
    }
