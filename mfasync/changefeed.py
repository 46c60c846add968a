"""Tenant log events -> the users an incremental run must re-read (DESIGN.md section 8). Pure.

The input is the events of `GET /api/v2/logs` in checkpoint mode, as plain JSON mappings, in the
order the service returned them; the output is a `Changes`: the ids of the users some event names,
or the reason the run must scan every user instead. It never awaits, reads no clock and no state:
what it needs from the state (which user owns a method id) is handed in as a mapping.

Rules, and why:
- self-service events (`gd_enrollment_complete`, `gd_unenroll`, `gd_update_device_account`,
  `my_account_authentication_method_*`) and user deletions (`sdu`, `du`) name their user in
  `user_id`;
- a `sapi` event (a successful Management API write) has the *caller* in `user_id` (empty for a
  client-credentials token), so its target comes only from `details.request.path`, URL-decoded
  segment by segment (the service shows `auth0%7Cx`; both that and `auth0|x` are accepted);
- a write that may touch factors but names no user (`DELETE /api/v2/guardian/enrollments/{id}`)
  maps through the state's method ids to its user; when no method id matches, or on a bulk import
  (`sui`, `POST /api/v2/jobs/users-imports`), nothing tells which users changed: full scan;
- every other event type (logins, failed calls, tenant settings) is ignored: it cannot change a
  user's factors, and guessing would only cost requests.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Iterable, Mapping

SELF_SERVICE_TYPES: frozenset[str] = frozenset(
    {"gd_enrollment_complete", "gd_unenroll", "gd_update_device_account", "sdu", "du"}
)
"""Event types whose `user_id` is the user whose factors (or whole account) changed."""

MY_ACCOUNT_PREFIX = "my_account_authentication_method_"
"""My Account API events (`..._created`, `..._updated`, `..._deleted`, ...) name their user."""

BULK_IMPORT_TYPE = "sui"
"""A bulk user import: the log has no per-user detail, so every user may have changed."""

API_WRITE_TYPE = "sapi"

WRITE_METHODS: frozenset[str] = frozenset({"post", "put", "patch", "delete"})

USER_FACTOR_SUBPATHS: frozenset[str] = frozenset(
    {"authentication-methods", "authenticators", "multifactor", "recovery-code-regeneration"}
)
"""`/api/v2/users/{id}/<this>...`: the sub-resources of a user that hold or reset its factors."""


@dataclasses.dataclass(frozen=True, slots=True)
class Changes:
    """What a run of log events says: users to re-read, or why everything must be read."""

    user_ids: frozenset[str]
    full_scan_reason: str | None  # None: the user ids are complete
    last_log_id: str | None  # the newest log id among the events (None: no event)
    events: int  # how many events were read, ignored ones included

    @property
    def full_scan(self) -> bool:
        return self.full_scan_reason is not None


def read_events(
    events: Iterable[Mapping[str, object]], *, method_owners: Mapping[str, str]
) -> Changes:
    """The users the events name; `method_owners` maps a method id the state knows to its user.

    The first event that forbids an incremental run sets the reason (and it stays the first one:
    the message names the earliest cause); later events still count for `last_log_id`.
    """
    owners = _owner_index(method_owners)
    user_ids: set[str] = set()
    reason: str | None = None
    last_log_id: str | None = None
    count = 0
    for event in events:
        count += 1
        log_id = event.get("log_id")
        if isinstance(log_id, str) and (last_log_id is None or log_id > last_log_id):
            last_log_id = log_id
        named, why = _read_one(event, method_owners=owners)
        user_ids.update(named)
        if why is not None and reason is None:
            reason = why
    return Changes(
        user_ids=frozenset(user_ids), full_scan_reason=reason, last_log_id=last_log_id, events=count
    )


def _read_one(
    event: Mapping[str, object], *, method_owners: Mapping[str, str]
) -> tuple[tuple[str, ...], str | None]:
    kind = event.get("type")
    if not isinstance(kind, str):
        return (), None
    if kind == BULK_IMPORT_TYPE:
        return (), f"a bulk user import (sui) is in the logs ({_label(event)})"
    if kind in SELF_SERVICE_TYPES or kind.startswith(MY_ACCOUNT_PREFIX):
        user_id = event.get("user_id")
        if isinstance(user_id, str) and user_id:
            return (user_id,), None
        return (), f"a {kind} event names no user ({_label(event)})"
    if kind == API_WRITE_TYPE:
        return _read_api_write(event, method_owners=method_owners)
    return (), None


def _read_api_write(
    event: Mapping[str, object], *, method_owners: Mapping[str, str]
) -> tuple[tuple[str, ...], str | None]:
    request = _mapping(_mapping(event.get("details")).get("request"))
    method = request.get("method")
    raw_path = request.get("path")
    if not isinstance(method, str) or not isinstance(raw_path, str):
        return (), None
    method = method.lower()
    if method not in WRITE_METHODS:
        return (), None
    segments = _segments(raw_path)
    if segments[:2] != ["api", "v2"]:
        return (), None
    rest = segments[2:]
    if len(rest) >= 2 and rest[0] == "users":
        user_id = rest[1]
        if len(rest) == 2:
            # DELETE /users/{id} removes every factor; PATCH /users/{id} does not touch them.
            return ((user_id,), None) if method == "delete" else ((), None)
        if rest[2] in USER_FACTOR_SUBPATHS:
            return (user_id,), None
        return (), None
    if len(rest) == 3 and rest[:2] == ["guardian", "enrollments"] and method == "delete":
        owner = method_owners.get(rest[2])
        if owner is not None:
            return (owner,), None
        return (), (
            f"a write whose user cannot be told ({method.upper()} {'/'.join(segments)}, "
            f"{_label(event)}): the enrollment is not in the state"
        )
    if rest[:2] == ["jobs", "users-imports"]:
        return (), f"a bulk user import job was started ({_label(event)})"
    return (), None


def _owner_index(method_owners: Mapping[str, str]) -> dict[str, str]:
    """Method id -> user, also keyed by the part after `type|` (a Guardian enrollment id)."""
    index: dict[str, str] = {}
    for method_id, user_id in method_owners.items():
        _, bar, bare = method_id.partition("|")
        if bar and bare:
            index.setdefault(bare, user_id)
    index.update(method_owners)
    return index


def _segments(raw_path: str) -> list[str]:
    """Path segments, each URL-decoded after the split (a decoded id may hold any character)."""
    path = raw_path.split("?", 1)[0]
    return [urllib.parse.unquote(part) for part in path.split("/") if part]


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _label(event: Mapping[str, object]) -> str:
    log_id = event.get("log_id")
    date = event.get("date")
    parts = [f"log {log_id}" if isinstance(log_id, str) else "log ?"]
    if isinstance(date, str):
        parts.append(date)
    return ", ".join(parts)
