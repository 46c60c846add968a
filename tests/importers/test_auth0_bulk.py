"""`mfasync import auth0-bulk`: Auth0's bulk user import JSON, reported by item and factor."""

from __future__ import annotations

import json

from mfasync import manifests
from tests.importers.conftest import Runner


def test_bulk_users_and_factors_become_manifest_users(run_import: Runner) -> None:
    document = [
        {
            "user_id": "hank",
            "email": "hank@example.com",
            "mfa_factors": [
                {"totp": {"secret": "jbsw y3dp ehpk 3pxp"}},
                {"phone": {"value": "+14155550100"}},
            ],
        },
        {"email": "ivy@example.com", "mfa_factors": [{"email": {"value": "ivy@example.com"}}]},
        {"user_id": "kim"},
    ]
    run = run_import("auth0-bulk", json.dumps(document))
    assert run.exit_code == 0
    users = manifests.load([run.out_dir / "users-0001.yaml"]).users
    # Auth0 prepends the connection strategy to a bulk user_id: hank -> auth0|hank.
    assert [u.key for u in users] == ["auth0|hank", "email:ivy@example.com"]
    assert [m.type.value for m in users[0].methods] == ["totp", "phone"]
    assert run.text(".secrets.yaml").splitlines()[-1] == '"auth0_hank_totp": "JBSWY3DPEHPK3PXP"'


def test_bulk_connection_strategy_option_sets_the_user_id_prefix(run_import: Runner) -> None:
    document = [
        {"user_id": "hank", "mfa_factors": [{"phone": {"value": "+14155550100"}}]},
        {"user_id": "oidc|x", "mfa_factors": [{"phone": {"value": "+14155550101"}}]},
    ]
    run = run_import("auth0-bulk", json.dumps(document), "--connection-strategy", "custom")
    keys = [u.key for u in manifests.load([run.out_dir / "users-0001.yaml"]).users]
    assert keys == ["custom|hank", "oidc|x"]


def test_bulk_bad_factors_are_reported_by_item_factor_and_user(run_import: Runner) -> None:
    document = [
        {
            "user_id": "auth0|judy",
            "mfa_factors": [
                {"phone": {"value": "020 7946 0123"}},
                {"totp": {"secret": "abc"}},
                {"sms": {"value": "+14155550101"}},
                {"email": {}},
                {"phone": {"value": "+14155550102"}},
            ],
        },
        {"mfa_factors": [{"email": {"value": "nobody@example.com"}}]},
        "not a user",
        {"user_id": "auth0|x", "mfa_factors": {"totp": {}}},
    ]
    run = run_import("auth0-bulk", json.dumps(document, indent=1))
    assert run.exit_code == 1
    found = {where: (user, reason) for where, user, reason in run.reasons}
    assert sorted(found) == [
        "item 1, factor 1",
        "item 1, factor 2",
        "item 1, factor 3",
        "item 1, factor 4",
        "item 2",
        "item 3",
        "item 4",
    ]
    assert found["item 1, factor 1"][1].startswith("phone …0123: ")
    assert found["item 1, factor 2"][1].startswith("the TOTP secret has 3 Base32 characters")
    assert found["item 1, factor 3"] == (
        "auth0|judy",
        "unknown factor type 'sms': allowed are totp, phone, email",
    )
    assert found["item 1, factor 4"] == ("auth0|judy", 'email factor without "value"')
    assert found["item 2"] == (None, "missing user: no user_id and no email")
    assert found["item 3"] == (None, "a user must be a JSON object")
    assert found["item 4"] == ("auth0|x", "mfa_factors must be a list")
    report_entry = run.report["rejected"][0]
    assert (report_entry["item"], report_entry["factor"], report_entry["line"]) == (1, 1, None)
    # Judy's good phone is still written.
    users = manifests.load([run.out_dir / "users-0001.yaml"]).users
    assert [(u.key, len(u.methods)) for u in users] == [("auth0|judy", 1)]


def test_bulk_file_that_is_not_json_is_rejected_with_its_line(run_import: Runner) -> None:
    run = run_import("auth0-bulk", '[\n  {"user_id": "a",\n  oops\n]')
    assert run.exit_code == 1
    assert run.reasons == [
        (
            "line 3",
            None,
            "not valid JSON (Expecting property name enclosed in double quotes at column 3)",
        )
    ]


def test_bulk_file_that_is_not_an_array_is_rejected(run_import: Runner) -> None:
    run = run_import("auth0-bulk", '{"users": []}')
    assert run.reasons == [
        ("line 1", None, "expected a JSON array of users, as Auth0's bulk user import takes")
    ]


def test_bulk_connection_strategy_with_a_bar_is_refused(run_import: Runner) -> None:
    run = run_import("auth0-bulk", "[]", "--connection-strategy", "auth0|")
    assert run.exit_code == 2
    assert "a strategy name such as auth0, without '|'" in run.stderr


def test_a_document_nested_too_deeply_is_rejected_not_a_crash(run_import: Runner) -> None:
    run = run_import("auth0-bulk", "[" * 100_000 + "]" * 100_000)
    assert run.exit_code == 1
    assert [r["reason"] for r in run.report["rejected"]] == ["not valid JSON (nested too deeply)"]
