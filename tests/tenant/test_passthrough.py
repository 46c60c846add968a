"""Fields of the OpenAPI spec's listed method pass through; a sub-authenticator id listed beside
its phone (`sms|dev_...`) is never planned for deletion as if it were a method."""

from __future__ import annotations

from pathlib import Path

from mfasync import emulator, models
from mfasync.api import wire
from tests.tenant.conftest import Runner, seeded

PHONE = {
    "id": "phone|dev_MAIN",
    "type": "phone",
    "name": "SMS",
    "phone_number": "XXXXXXXX0123",
    "confirmed": True,
    "created_at": "2026-01-01T00:00:00.000Z",
    "enrolled_at": "2026-01-01T00:00:01.000Z",
    "last_auth_at": "2026-11-30T08:00:00.000Z",
    "preferred_authentication_method": "sms",
    "authentication_methods": [{"id": "sms|dev_SUB", "type": "sms"}],
}
SUB_AS_PHONE = {"id": "sms|dev_SUB", "type": "phone", "phone_number": "XXXXXXXX0123"}
PASSKEY = {
    "id": "passkey|dev_PK",
    "type": "passkey",
    "credential_device_type": "multi_device",
    "credential_backed_up": True,
    "identity_user_id": "abc",
    "user_agent": "Firefox",
    "user_handle": "aGFuZGxl",
    "transports": ["internal", "hybrid"],
    "aaguid": "00000000-0000-0000-0000-000000000000",
    "enrolledAt": "2026-02-02T00:00:00.000Z",
}


def test_listed_fields_pass_through_and_sub_methods_are_marked() -> None:
    page = wire.method_page([PHONE, SUB_AS_PHONE, PASSKEY], where="GET test")
    methods = wire.mark_sub_methods(page.methods)
    phone, sub, passkey = methods
    assert (phone.enrolled_at, phone.last_auth_at) == (PHONE["enrolled_at"], PHONE["last_auth_at"])
    assert phone.sub_method_ids == ("sms|dev_SUB",)
    assert (phone.managed, phone.sub_method) == (True, False)
    assert (sub.managed, sub.sub_method) == (False, True)
    assert passkey.enrolled_at == "2026-02-02T00:00:00.000Z"
    assert passkey.type == "passkey"


def test_a_method_cannot_mark_itself_as_its_own_sub_method() -> None:
    alone = dict(PHONE, authentication_methods=[{"id": "phone|dev_MAIN", "type": "sms"}])
    (method,) = wire.mark_sub_methods(wire.method_page([alone], where="GET test").methods)
    assert method.managed


def test_a_sub_method_listed_beside_its_phone_is_never_deleted(tmp_path: Path, run: Runner) -> None:
    stored = [
        {**PHONE, "phone_number": "+14155550123"},
        {**SUB_AS_PHONE, "phone_number": "+14155550123"},
        PASSKEY,
    ]
    state = seeded([{"user_id": "auth0|alice", "methods": stored}])
    manifest = tmp_path / "alice.yaml"
    manifest.write_text(
        'version: 1\ndefaults: {prune: managed}\nusers:\n  - user_id: "auth0|alice"\n'
        '    methods:\n      - {type: phone, name: SMS, phone_number: "+14155550123"}\n',
        encoding="utf-8",
    )
    with emulator.run_in_thread(emulator.Config(), state) as emu:
        planned = run.against(emu, "plan", str(manifest), "--detailed-exitcode")
        applied = run.against(emu, "apply", str(manifest), "--yes")
        left = {method["id"] for method in emu.state.methods_of("auth0|alice")}
    assert planned.exit_code == 0, planned.output
    assert "0 to delete" in planned.stdout
    assert applied.exit_code == 0, applied.output
    assert left == {"phone|dev_MAIN", "sms|dev_SUB", "passkey|dev_PK"}
    assert models.LiveMethod(id="x", type="sms").managed is False
