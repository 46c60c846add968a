"""What happens to a tenant outside the Management API, with the log events the service writes.

Tests and benchmarks use these to change users "behind mfasync's back" the way real users and
administrators do, so that an incremental run has something to find in the logs:

- `simulate_enrollment`: a user enrols a factor through Universal Login: the method is really
  added (any type, no validation or limits, like seeding) and `gd_enrollment_complete` is logged
  with the user in `user_id`;
- `simulate_unenrollment`: a user removes a factor: the method (and the methods linked to it) is
  really removed, and `gd_unenroll` is logged;
- `simulate_user_deletion`: the user is really deleted, and `sdu` is logged;
- `add_login_noise`: `count` successful logins (`s`) at once, stored compactly (200,000 in well
  under a second), cycling through the tenant's users;
- `record_event`: any other event (`sui` for a bulk import, say), changing nothing.

The admin endpoints (`admin`) call these; this module must not know about HTTP. Each change is
committed before its event is logged, so whoever sees the event and re-reads sees the change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mfasync.emulator import problems, state

Method = dict[str, Any]


def _user_name(tenant: state.State, user_id: str) -> str | None:
    return tenant.user_email(user_id)


def simulate_enrollment(
    tenant: state.State, user_id: str, method: Mapping[str, Any]
) -> tuple[Method, str]:
    """Add `method` to the user as a self-enrolment; returns the stored method and the log id."""
    user_name = _user_name(tenant, user_id)  # 404 before anything changes
    stored = tenant.add_method(user_id, method)
    log_id = tenant.logs.record(
        "gd_enrollment_complete",
        description="Guardian - Enrollment complete",
        user_id=user_id,
        user_name=user_name,
        details={"authenticator": {"id": stored["id"], "type": stored["type"]}},
    )
    return stored, log_id


def simulate_unenrollment(
    tenant: state.State, user_id: str, method_id: str
) -> tuple[list[str], str]:
    """Remove a method (and the ones linked to it) as the user would; returns ids and log id."""
    user_name = _user_name(tenant, user_id)
    kinds = {m["id"]: str(m.get("type")) for m in tenant.methods_of(user_id)}
    removed = tenant.delete_method(user_id, method_id)  # 404 for an unknown method
    log_id = tenant.logs.record(
        "gd_unenroll",
        description="Guardian - Unenroll device account",
        user_id=user_id,
        user_name=user_name,
        details={"authenticator": {"id": method_id, "type": kinds.get(method_id, "")}},
    )
    return removed, log_id


def simulate_user_deletion(tenant: state.State, user_id: str) -> str:
    """Delete the user (404 if unknown); returns the `sdu` event's log id."""
    user_name = _user_name(tenant, user_id)
    tenant.delete_user(user_id)
    return tenant.logs.record(
        "sdu",
        description="Successful User Deletion",
        user_id=user_id,
        user_name=user_name,
        details={},
    )


def add_login_noise(
    tenant: state.State, count: int, *, user_ids: Iterable[str] | None = None
) -> tuple[str, str]:
    """`count` successful logins (`s`), cycling through `user_ids` (default: every user).

    Returns the first and the last log id. The events are stored as one compact run.
    """
    chosen = list(user_ids) if user_ids is not None else tenant.user_ids()
    users: list[tuple[str, str | None]] = []
    for user_id in chosen:
        try:
            users.append((user_id, tenant.user_email(user_id)))
        except problems.Problem:
            users.append((user_id, None))  # named but unknown: a login of a since-deleted user
    return tenant.logs.record_run(count, users=users)


def record_event(
    tenant: state.State,
    kind: str,
    *,
    description: str = "",
    user_id: str = "",
    details: Mapping[str, Any] | None = None,
) -> str:
    """Log any event without changing the tenant (e.g. `sui`); returns its log id."""
    return tenant.logs.record(kind, description=description, user_id=user_id, details=details)
