"""`mfasync export`: live methods become pinned manifests that plan to zero changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mfasync import emulator, manifests, models
from mfasync.cli import export_cmd
from tests.drift import tenant

USERS = ("--user", "auth0|alice", "--user", "auth0|bob", "--user", "auth0|carol")


@pytest.fixture
def emu() -> Iterator[emulator.Emulator]:
    yield from tenant.running()


def _written(out: Path) -> str:
    return "".join(path.read_text(encoding="utf-8") for path in sorted(out.glob("*.yaml")))


def test_export_then_plan_shows_no_changes(emu: emulator.Emulator, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    exported = tenant.invoke(emu, "export", "--out", str(out), *USERS)
    assert exported.exit_code == 0
    planned = tenant.invoke(emu, "plan", str(out), "--detailed-exitcode")
    assert planned.exit_code == 0
    assert "0 to create, 0 to update, 0 to delete" in planned.stdout
    drifted = tenant.invoke(emu, "drift", str(out))
    assert drifted.exit_code == 0
    assert tenant.writes(emu) == 0


def test_export_pins_managed_methods_by_id_and_writes_no_value(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    assert tenant.invoke(emu, "export", "--out", str(out), *USERS).exit_code == 0
    users = {user.key: user for user in manifests.load([str(out)]).users}
    assert [(m.type.value, m.id, m.name) for m in users["auth0|alice"].methods] == [
        ("email", "email|dev_a2", "Mail"),
        ("phone", "phone|dev_a1", "SMS"),
    ]
    assert [(m.type.value, m.id) for m in users["auth0|bob"].methods] == [("totp", "totp|dev_b1")]
    assert users["auth0|carol"].methods == ()
    text = _written(out)
    for key in ("phone_number:", "email:", "totp_secret:", "public_key:"):
        assert key not in text
    for value in (tenant.ALICE_PHONE, tenant.ALICE_EMAIL, tenant.BOB_SEED, "XXXXXXX"):
        assert value not in text


def test_unmanaged_types_are_only_named_in_a_comment(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    assert tenant.invoke(emu, "export", "--out", str(out), *USERS).exit_code == 0
    text = _written(out)
    assert "#   not managed, left as they are: push" in text
    assert "#   not managed, left as they are: passkey" in text
    assert "type: push" not in text
    assert "type: passkey" not in text
    assert "#   phone|dev_a1 (...0123)" in text


def test_users_file_takes_one_id_per_line_with_comments(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    users_file = tmp_path / "users.txt"
    users_file.write_text("# who to export\nauth0|bob\n\nauth0|carol  # no methods\n")
    out = tmp_path / "exported"
    run = tenant.invoke(emu, "export", "--out", str(out), "--users-file", str(users_file))
    assert run.exit_code == 0
    keys = [user.key for user in manifests.load([str(out)]).users]
    assert keys == ["auth0|bob", "auth0|carol"]


def test_an_unreadable_user_fails_the_export_but_the_others_are_written(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    run = tenant.invoke(emu, "export", "--out", str(out), "--user", "auth0|bob", "--user", "x|zed")
    assert run.exit_code == 1
    assert "x|zed: not exported:" in run.stderr
    assert [user.key for user in manifests.load([str(out)]).users] == ["auth0|bob"]


def test_export_without_users_is_a_usage_error(emu: emulator.Emulator, tmp_path: Path) -> None:
    run = tenant.invoke(emu, "export", "--out", str(tmp_path / "exported"))
    assert run.exit_code == 2
    assert "--user ID" in run.stderr


def test_a_method_whose_id_does_not_fit_its_type_is_kept_by_prune_none() -> None:
    live = (
        models.LiveMethod(id="sms|dev_odd", type="phone", phone_number="XXXXXXX0123"),
        models.LiveMethod(id="totp|dev_ok", type="totp", name="A name longer than twenty chars"),
    )
    exported = export_cmd.describe("auth0|odd", live)
    assert exported.user is not None
    assert exported.user.prune is models.Prune.NONE
    assert [(m.id, m.name) for m in exported.user.methods] == [("totp|dev_ok", None)]
    assert exported.notes == ("  phone (...0123) has an unusual id: kept, not written",)


def test_users_file_parsing_skips_blank_lines_and_comments(tmp_path: Path) -> None:
    users_file = tmp_path / "users.txt"
    users_file.write_text("\ufeff# header\n  auth0|a  \n\n# auth0|commented\nauth0|b # trailing\n")
    assert export_cmd.read_user_ids(users_file) == ("auth0|a", "auth0|b")
