"""What the state remembers, as plain frozen values (DESIGN.md section 7).

This module is the contract between `mfasync.state`, which stores and loads these values, and the
layers that read or produce them: the pure planner gets `MethodRecord`s as inputs, the executor
produces journal entries, the CLI shows runs and history. It does no I/O and knows no database.
None of these values may ever hold a seed, a token, a client secret or a full phone number: a
value is only ever present as its keyed fingerprint (HMAC-SHA256 under the tenant's state key).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from enum import StrEnum


class MethodOrigin(StrEnum):
    """How mfasync came to know a live method."""

    CREATED = "created"  # mfasync wrote it (POST, or one of a PUT's methods)
    ADOPTED = "adopted"  # it was live and matched a declared method (fingerprint unverified)
    SEEN = "seen"  # listed, never declared: not mfasync's


OWNED_ORIGINS: frozenset[MethodOrigin] = frozenset({MethodOrigin.CREATED, MethodOrigin.ADOPTED})
"""Origins that `prune: owned` may delete when no declared method matches any more."""


@dataclasses.dataclass(frozen=True, slots=True)
class MethodRecord:
    """One live method as the state last saw it."""

    user_id: str
    method_id: str
    type: str
    origin: MethodOrigin
    fingerprint: str | None  # HMAC-SHA256 hex of the declared value; None for `seen`
    first_seen: datetime.datetime
    last_seen: datetime.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class UserRecord:
    """What the state knows of one declared user's last listing."""

    user_id: str
    desired_fingerprint: str | None  # keyed fingerprint of the desired entry last planned
    last_listed_at: datetime.datetime | None
    in_sync: bool  # that listing planned no action, no error, no stale notice


@dataclasses.dataclass(frozen=True, slots=True)
class Checkpoint:
    """The tenant-log position of the last run (DESIGN.md section 8)."""

    log_id: str | None
    taken_at: datetime.datetime
    last_full_scan_at: datetime.datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class RunRecord:
    """One run of a command against a tenant, for the audit trail."""

    run_id: int
    command: str
    started_at: datetime.datetime
    ended_at: datetime.datetime | None  # None: still running, or killed
    host: str
    os_user: str
    ci_job: str | None
    pid: int
    counts: Mapping[str, int]
    outcome: str | None  # "ok", "failed", "interrupted"; None while running or after a kill


class WriteOutcome(StrEnum):
    """How a journaled write ended."""

    OK = "ok"
    FAILED = "failed"
    UNKNOWN = "unknown"  # sent, answer lost (timeout, dropped connection)


@dataclasses.dataclass(frozen=True, slots=True)
class JournalEntry:
    """One write to the tenant: the intent is stored before the request, the outcome after."""

    entry_id: int
    run_id: int
    user_id: str
    op: str  # create | patch | delete | replace
    method_type: str | None
    method_id: str | None  # the target of a patch or delete
    intended_at: datetime.datetime
    outcome: WriteOutcome | None  # None: no answer was recorded (the run was killed)
    status: int | None  # the HTTP status, when there was one
    new_method_ids: tuple[str, ...]  # what a create or a replace made
    answered_at: datetime.datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class Knowledge:
    """What the state tells the planner about one user (an input to `planning.plan_user`).

    `records`: the user's method records by live method id. `fingerprints`: the keyed fingerprint
    of each desired method's value, in declaration order (None where the value is not known, e.g.
    a seed not resolved). An empty `records` plans exactly as no knowledge at all.
    """

    records: Mapping[str, MethodRecord]
    fingerprints: tuple[str | None, ...]
