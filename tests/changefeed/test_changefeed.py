"""The change feed over events of the recorded shape (reference, "Tenant logs")."""

from __future__ import annotations

from typing import Any

from mfasync import changefeed


def sapi(log_id: str, method: str, path: str, *, caller: str = "") -> dict[str, Any]:
    return {
        "log_id": log_id,
        "date": "2026-12-01T10:15:00.120Z",
        "type": "sapi",
        "description": "Delete an authentication method",
        "client_id": "AbC123",
        "client_name": "mfasync",
        "ip": "203.0.113.7",
        "user_id": caller,
        "details": {
            "request": {
                "method": method,
                "path": path,
                "channel": "api",
                "auth": {"strategy": "jwt"},
            },
            "response": {"statusCode": 204},
        },
    }


def event(log_id: str, kind: str, user_id: str = "") -> dict[str, Any]:
    return {"log_id": log_id, "date": "2026-12-01T10:15:00.120Z", "type": kind, "user_id": user_id}


def read(*events: dict[str, Any], owners: dict[str, str] | None = None) -> changefeed.Changes:
    return changefeed.read_events(events, method_owners=owners or {})


def test_recorded_sapi_delete_names_the_url_encoded_target() -> None:
    changes = read(
        sapi(
            "900200",
            "delete",
            "/api/v2/users/auth0%7Cabc123/authentication-methods/totp%7Cdev_6NWz8awwC8brh2dN",
        )
    )
    assert changes.user_ids == frozenset({"auth0|abc123"})
    assert changes.full_scan_reason is None
    assert changes.last_log_id == "900200"


def test_plain_and_encoded_paths_name_the_same_user() -> None:
    plain = read(sapi("1", "post", "/api/v2/users/auth0|abc/authentication-methods"))
    encoded = read(sapi("1", "post", "/api/v2/users/auth0%7Cabc/authentication-methods"))
    assert plain.user_ids == encoded.user_ids == frozenset({"auth0|abc"})


def test_sapi_target_is_the_path_never_the_caller() -> None:
    changes = read(
        sapi(
            "1", "put", "/api/v2/users/auth0%7Ctarget/authentication-methods", caller="auth0|admin"
        )
    )
    assert changes.user_ids == frozenset({"auth0|target"})


def test_every_factor_subpath_names_its_user() -> None:
    changes = read(
        sapi("1", "patch", "/api/v2/users/u1/authentication-methods/phone%7Cdev_1"),
        sapi("2", "delete", "/api/v2/users/u2/authenticators"),
        sapi("3", "delete", "/api/v2/users/u3/multifactor/guardian"),
        sapi("4", "post", "/api/v2/users/u4/recovery-code-regeneration"),
        sapi("5", "delete", "/api/v2/users/u5"),
    )
    assert changes.user_ids == frozenset({"u1", "u2", "u3", "u4", "u5"})
    assert changes.last_log_id == "5"


def test_writes_that_cannot_touch_factors_are_ignored() -> None:
    changes = read(
        sapi("1", "patch", "/api/v2/users/u1"),
        sapi("2", "post", "/api/v2/users/u2/roles"),
        sapi("3", "get", "/api/v2/users/u3/authentication-methods"),
        sapi("4", "patch", "/api/v2/guardian/factors/sms"),
        sapi("5", "post", "/api/v2/clients"),
    )
    assert changes.user_ids == frozenset()
    assert changes.full_scan_reason is None
    assert changes.events == 5


def test_self_service_and_deletion_events_name_user_id() -> None:
    changes = read(
        event("1", "gd_enrollment_complete", "auth0|a"),
        event("2", "gd_unenroll", "auth0|b"),
        event("3", "gd_update_device_account", "auth0|c"),
        event("4", "my_account_authentication_method_created", "auth0|d"),
        event("5", "sdu", "auth0|e"),
        event("6", "du", "auth0|f"),
    )
    assert changes.user_ids == frozenset({f"auth0|{c}" for c in "abcdef"})


def test_unknown_and_noise_types_are_ignored() -> None:
    changes = read(event("1", "s", "auth0|a"), event("2", "f", "auth0|b"), event("3", "zz_new"))
    assert changes.user_ids == frozenset()
    assert changes.full_scan_reason is None
    assert changes.last_log_id == "3"


def test_bulk_import_forces_a_full_scan_with_its_log_id() -> None:
    changes = read(event("7", "gd_unenroll", "auth0|a"), event("8", "sui"))
    assert changes.full_scan
    assert changes.full_scan_reason is not None
    assert "sui" in changes.full_scan_reason
    assert "8" in changes.full_scan_reason


def test_import_job_forces_a_full_scan() -> None:
    assert read(sapi("1", "post", "/api/v2/jobs/users-imports")).full_scan


def test_guardian_enrollment_delete_maps_through_the_state_method_ids() -> None:
    owners = {"totp|dev_6NWz8awwC8brh2dN": "auth0|abc", "phone|dev_x": "auth0|def"}
    changes = read(
        sapi("1", "delete", "/api/v2/guardian/enrollments/dev_6NWz8awwC8brh2dN"), owners=owners
    )
    assert changes.user_ids == frozenset({"auth0|abc"})
    assert changes.full_scan_reason is None


def test_guardian_enrollment_delete_unknown_to_the_state_forces_a_full_scan() -> None:
    changes = read(sapi("1", "delete", "/api/v2/guardian/enrollments/dev_unknown"), owners={})
    assert changes.full_scan_reason is not None
    assert "dev_unknown" in changes.full_scan_reason


def test_the_first_reason_is_kept_and_later_ids_still_count() -> None:
    changes = read(
        event("1", "sui"),
        sapi("2", "delete", "/api/v2/guardian/enrollments/dev_x"),
        event("3", "gd_unenroll", "auth0|z"),
    )
    assert changes.full_scan_reason is not None
    assert "sui" in changes.full_scan_reason
    assert changes.last_log_id == "3"
    assert changes.user_ids == frozenset({"auth0|z"})


def test_malformed_events_do_not_crash() -> None:
    changes = changefeed.read_events(
        [
            {},
            {"type": 3},
            {"type": "sapi", "details": "x"},
            {"type": "sapi", "details": {"request": {}}},
        ],
        method_owners={},
    )
    assert changes == changefeed.Changes(
        user_ids=frozenset(), full_scan_reason=None, last_log_id=None, events=4
    )


def test_self_service_event_without_user_forces_a_full_scan() -> None:
    assert read(event("1", "gd_enrollment_complete", "")).full_scan
