"""`mfasync drift` against the emulator: exit codes, categories, JUnit, and that it cannot write."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from mfasync import emulator, executing, models
from mfasync.cli import readonly
from tests.drift import tenant

IN_SYNC = f"""
version: 1
users:
  - user_id: "auth0|alice"
    methods:
      - {{type: phone, name: SMS, phone_number: "{tenant.ALICE_PHONE}"}}
      - {{type: email, name: Mail, email: {tenant.ALICE_EMAIL}}}
  - user_id: "auth0|bob"
    methods:
      - {{type: totp, id: "totp|dev_b1", name: App}}
  - user_id: "auth0|carol"
    methods: []
"""

DRIFTED = f"""
version: 1
users:
  - user_id: "auth0|alice"
    methods:
      - {{type: phone, name: Work, phone_number: "{tenant.ALICE_PHONE}"}}
      - type: webauthn-roaming
        name: YubiKey
        key_id: key-123456789
        public_key: cGs=
        relying_party_identifier: example.com
  - user_id: "auth0|bob"
    methods:
      - {{type: totp, id: "totp|dev_b1", name: App}}
"""

PRUNE_NONE = f"""
version: 1
users:
  - user_id: "auth0|alice"
    prune: none
    methods:
      - {{type: phone, name: SMS, phone_number: "{tenant.ALICE_PHONE}"}}
"""

UNKNOWN_USER = """
version: 1
users:
  - user_id: "auth0|bob"
    methods:
      - {type: totp, id: "totp|dev_b1", name: App}
  - user_id: "auth0|zed"
    methods: []
"""


def _manifest(tmp_path: Path, text: str) -> str:
    path = tmp_path / "users.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _leaks(run: tenant.Run) -> list[str]:
    output = run.stdout + run.stderr
    secrets = (tenant.ALICE_PHONE, tenant.ALICE_EMAIL, tenant.BOB_SEED, tenant.CLIENT_SECRET)
    return [secret for secret in secrets if secret in output]


def test_drift_exits_0_and_writes_nothing_when_the_tenant_matches(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    run = tenant.invoke(emu, "drift", _manifest(tmp_path, IN_SYNC))
    assert run.exit_code == 0
    assert "0 users drifted" in run.stdout
    assert "3 in sync, 0 errors. Not drift: 2 unmanaged." in run.stdout
    assert tenant.writes(emu) == 0


def test_drift_exits_2_and_sorts_differences_into_categories(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    run = tenant.invoke(emu, "drift", _manifest(tmp_path, DRIFTED), "--format", "json")
    assert run.exit_code == 2
    document = json.loads(run.stdout)
    alice = document["users"][0]
    assert alice["status"] == "drift"
    assert [(f["category"], f["type"], f["name"]) for f in alice["findings"]] == [
        ("missing", "webauthn-roaming", "YubiKey"),
        ("unexpected", "email", "Mail"),
        ("changed", "phone", "Work"),
        ("unmanaged", "push", "Guardian"),
    ]
    assert document["users"][1]["status"] == "in_sync"
    assert tenant.writes(emu) == 0
    assert _leaks(run) == []


def test_drift_reports_but_keeps_unmatched_methods_under_prune_none(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    run = tenant.invoke(emu, "drift", _manifest(tmp_path, PRUNE_NONE), "--format", "json")
    assert run.exit_code == 0
    findings = json.loads(run.stdout)["users"][0]["findings"]
    assert [(f["category"], f["type"], f["drift"], f["detail"]) for f in findings] == [
        ("unexpected", "email", False, "kept: prune is none"),
        ("unmanaged", "push", False, None),
    ]


def test_drift_exits_1_when_a_user_cannot_be_read_and_still_reports_the_others(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    run = tenant.invoke(emu, "drift", _manifest(tmp_path, UNKNOWN_USER))
    assert run.exit_code == 1
    assert "auth0|zed: error" in run.stdout
    assert "1 in sync, 1 error." in run.stdout


def test_junit_has_a_failure_for_drift_and_an_error_for_an_unreadable_user(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    junit = tmp_path / "drift.xml"
    text = DRIFTED + '  - user_id: "auth0|zed"\n    methods: []\n'
    run = tenant.invoke(emu, "drift", _manifest(tmp_path, text), "--junit", str(junit))
    assert run.exit_code == 1
    content = junit.read_text(encoding="utf-8")
    assert tenant.ALICE_PHONE not in content
    cases = {
        case.get("name", ""): case for case in ElementTree.fromstring(content).iter("testcase")
    }
    assert sorted(cases) == ["auth0|alice", "auth0|bob", "auth0|zed"]
    failure = cases["auth0|alice"].find("failure")
    assert failure is not None
    assert failure.get("message") == "drift: 1 missing, 1 unexpected, 1 changed"
    assert '~ changed    phone "Work" (...0123)  name: "SMS" -> "Work"' in (failure.text or "")
    assert cases["auth0|zed"].find("error") is not None
    assert cases["auth0|bob"].find("failure") is None


def test_the_backend_drift_gets_has_no_write_method() -> None:
    class Full:
        async def list_methods(self, user_id: str) -> tuple[models.LiveMethod, ...]:
            return ()

        async def find_users_by_email(self, email: str) -> tuple[str, ...]:
            return ()

        async def create_method(self, user_id: str, body: object) -> None:
            raise AssertionError("drift wrote")

    backend = readonly.ReadOnlyBackend(Full())
    for name in ("create_method", "replace_methods", "update_method", "delete_method"):
        assert not hasattr(backend, name)
    assert isinstance(backend, executing.ReadBackend)
    assert not isinstance(backend, executing.Backend)
    with pytest.raises(AttributeError):
        backend.create_method = Full().create_method  # type: ignore[attr-defined]
