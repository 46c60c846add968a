"""`mfasync import okta`: Okta users as JSON Lines; unexportable factor types are only counted."""

from __future__ import annotations

import json
from typing import Any

from mfasync import manifests, models
from tests.importers.conftest import Runner


def _line(email: str | None, *factors: dict[str, Any], login: str | None = None) -> str:
    profile = {"login": login or email, "email": email}
    return json.dumps({"id": "00u", "profile": profile, "factors": list(factors)})


def _factor(factor_type: str, status: str = "ACTIVE", **profile: str) -> dict[str, Any]:
    return {"factorType": factor_type, "provider": "OKTA", "status": status, "profile": profile}


def test_okta_sms_call_and_email_factors_become_methods_keyed_by_email(run_import: Runner) -> None:
    text = "\n".join(
        [
            _line("liam@example.com", _factor("sms", phoneNumber="+12025550111")),
            _line(
                "mia@example.com",
                _factor("call", phoneNumber="+44 20 7946 0959"),
                _factor("email", email="mia.private@example.org"),
            ),
        ]
    )
    run = run_import("okta", text)
    assert run.exit_code == 0
    users = manifests.load([run.out_dir / "users-0001.yaml"]).users
    assert [u.key for u in users] == ["email:liam@example.com", "email:mia@example.com"]
    call = users[1].methods[0]
    assert (call.phone_number, call.preferred_authentication_method) == (
        "+442079460959",
        models.PreferredMethod.VOICE,
    )
    assert users[1].methods[1].email == "mia.private@example.org"


def test_okta_factors_without_exportable_secret_are_counted_and_exit_0(run_import: Runner) -> None:
    text = "\n".join(
        [
            _line(
                "liam@example.com",
                _factor("sms", phoneNumber="+12025550111"),
                _factor("push"),
                _factor("token:software:totp"),
            ),
            _line("mia@example.com", _factor("push"), _factor("webauthn")),
            _line(
                "noah@example.com", _factor("sms", "PENDING_ACTIVATION", phoneNumber="+12025550112")
            ),
        ]
    )
    run = run_import("okta", text)
    assert run.exit_code == 0
    assert run.report["rejected"] == []
    assert run.report["unmigratable"] == [
        {"type": "push", "count": 2, "users": ["liam@example.com", "mia@example.com"]},
        {"type": "sms (status PENDING_ACTIVATION)", "count": 1, "users": ["noah@example.com"]},
        {"type": "token:software:totp", "count": 1, "users": ["liam@example.com"]},
        {"type": "webauthn", "count": 1, "users": ["mia@example.com"]},
    ]
    assert run.report["summary"]["unmigratable"] == 5
    # Only Liam has a factor that can migrate.
    assert run.report["summary"]["users"] == 1
    assert "push: 2 (2 user(s))" in run.stderr


def test_okta_bad_lines_and_factors_are_reported_with_line_numbers(run_import: Runner) -> None:
    text = "\n".join(
        [
            _line("olivia@example.com", _factor("sms", phoneNumber="12345"), _factor("sms")),
            _line(None, _factor("sms", phoneNumber="+12025550112"), login="noah"),
            "",
            '{"profile": {"login": "pat@example.com"',
            "[1, 2]",
            _line("quinn@example.com", {"no": "type"}),
            _line(
                "rose@example.com", _factor("sms", phoneNumber="+12025550113", phoneExtension="12")
            ),
        ]
    )
    run = run_import("okta", text)
    assert run.exit_code == 1
    found = {where: (user, reason) for where, user, reason in run.reasons}
    assert sorted(found) == [
        "line 1, factor 1",
        "line 1, factor 2",
        "line 2",
        "line 4",
        "line 5",
        "line 6, factor 1",
        "line 7, factor 1",
    ]
    assert found["line 1, factor 1"][1].startswith("phone …2345: ")
    assert found["line 1, factor 2"] == (
        "olivia@example.com",
        "sms factor without profile.phoneNumber",
    )
    assert found["line 2"] == (
        None,
        "missing user: no profile.email (nor an email-like profile.login)",
    )
    assert found["line 4"][1].startswith("not valid JSON (")
    assert found["line 5"] == (None, "a line must hold one JSON object")
    assert found["line 6, factor 1"][1] == "a factor must be an object with a factorType"
    assert found["line 7, factor 1"][1] == (
        "sms factor with a phone extension: Auth0 phones cannot dial one"
    )


def test_okta_login_that_is_an_address_keys_a_user_without_email(run_import: Runner) -> None:
    run = run_import(
        "okta", _line(None, _factor("sms", phoneNumber="+12025550111"), login="s@x.org")
    )
    assert run.exit_code == 0
    assert run.report["summary"]["users"] == 1
    assert [u.key for u in manifests.load([run.out_dir / "users-0001.yaml"]).users] == [
        "email:s@x.org"
    ]


def test_a_line_nested_too_deeply_is_rejected_with_its_line_and_the_others_imported(
    run_import: Runner,
) -> None:
    good = _line("liam@example.com", _factor("sms", phoneNumber="+12025550111"))
    run = run_import("okta", good + "\n" + "[" * 100_000 + "]" * 100_000)
    assert run.exit_code == 1
    assert [(r["line"], r["reason"]) for r in run.report["rejected"]] == [
        (2, "not valid JSON (nested too deeply)")
    ]
    assert run.report["summary"]["users"] == 1
