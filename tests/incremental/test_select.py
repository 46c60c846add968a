"""Claims about `incremental.select`: who an incremental run reads (DESIGN.md section 8). Pure."""

from __future__ import annotations

import datetime

from mfasync import incremental, models, records

T0 = datetime.datetime(2026, 12, 1, 2, 0, tzinfo=datetime.UTC)


def user(user_id: str | None = None, email: str | None = None) -> models.DesiredUser:
    return models.DesiredUser(user_id=user_id, email=email, methods=())


def listed(user_id: str, *, in_sync: bool = True, desired: str = "d1") -> records.UserRecord:
    return records.UserRecord(
        user_id=user_id, desired_fingerprint=desired, last_listed_at=T0, in_sync=in_sync
    )


def test_only_named_changed_or_unknown_users_are_read() -> None:
    users = [user(f"auth0|{name}") for name in ("same", "named", "edited", "new", "dirty")]
    selection = incremental.select(
        users,
        user_records={
            "auth0|same": listed("auth0|same"),
            "auth0|named": listed("auth0|named"),
            "auth0|edited": listed("auth0|edited", desired="d0"),
            "auth0|dirty": listed("auth0|dirty", in_sync=False),  # its last plan had actions
        },
        desired_fingerprints={u.key: "d1" for u in users},
        named=frozenset({"auth0|named", "auth0|elsewhere"}),
    )
    assert [u.user_id for u in selection.read] == [
        "auth0|named",
        "auth0|edited",
        "auth0|new",
        "auth0|dirty",
    ]
    assert selection.skipped == 1
    assert selection.since == T0


def test_a_user_declared_by_email_is_always_read() -> None:
    selection = incremental.select(
        [user(email="a@corp.example")],
        user_records={},
        desired_fingerprints={"email:a@corp.example": "d1"},
        named=frozenset(),
    )
    assert selection.skipped == 0
    assert len(selection.read) == 1


def test_nothing_changed_reads_no_user() -> None:
    users = [user(f"auth0|u{i}") for i in range(3)]
    selection = incremental.select(
        users,
        user_records={u.user_id or "": listed(u.user_id or "") for u in users},
        desired_fingerprints={u.key: "d1" for u in users},
        named=frozenset(),
    )
    assert selection.read == ()
    assert selection.skipped == 3
