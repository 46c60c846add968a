"""`mfasync export --user email:ADDRESS`: an address is resolved as plan resolves it, and the
entry is written by the resolved user_id; the address is written nowhere and shown only masked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mfasync import emulator, manifests
from mfasync.cli import export_cmd
from tests.drift import tenant

SOCIAL_EMAIL = "Zed.Social@Example.com"  # a social user keeps the case its provider gave
TWIN_EMAIL = "twin@example.com"
EXTRA_USERS = (
    {
        "user_id": "google-oauth2|zed",
        "email": SOCIAL_EMAIL,
        "methods": [{"type": "phone", "name": "SMS", "phone_number": "+14155550177"}],
    },
    {"user_id": "auth0|twin1", "email": TWIN_EMAIL, "methods": []},
    {"user_id": "auth0|twin2", "email": TWIN_EMAIL, "methods": []},
)
ADDRESSES = (
    tenant.ALICE_EMAIL,
    "bob@example.com",
    "carol@example.com",
    "nobody@example.com",
    SOCIAL_EMAIL,
    TWIN_EMAIL,
)


@pytest.fixture
def emu() -> Iterator[emulator.Emulator]:
    seed = {"users": [*tenant.SEED["users"], *EXTRA_USERS]}
    state = emulator.seed_mapping(emulator.State(random_seed=3), seed)
    with emulator.run_in_thread(emulator.Config(client_secret=tenant.CLIENT_SECRET), state) as emu:
        yield emu


def _written(out: Path) -> str:
    return "".join(path.read_text(encoding="utf-8") for path in sorted(out.glob("*.yaml")))


def _keys(out: Path) -> list[str]:
    return [user.key for user in manifests.load([str(out)]).users]


def _no_clear_address(*texts: str) -> None:
    for text in texts:
        for address in ADDRESSES:
            assert address.lower() not in text.lower()


def test_an_email_key_exports_the_user_by_its_user_id(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    run = tenant.invoke(emu, "export", "--out", str(out), "--user", "email:bob@example.com")
    assert run.exit_code == 0, run.stderr
    assert _keys(out) == ["auth0|bob"]
    users = manifests.load([str(out)]).users
    assert [(m.type.value, m.id) for m in users[0].methods] == [("totp", "totp|dev_b1")]
    assert "email:****@exam******* (--user 1): exported as auth0|bob" in run.stderr
    text = _written(out)
    assert "# auth0|bob: given by its email address (--user 1)" in text
    assert "email:" not in text
    _no_clear_address(text, run.stdout, run.stderr)


def test_a_missing_address_fails_in_one_line_and_the_other_users_are_exported(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    users = ("--user", "email:nobody@example.com", "--user", "auth0|carol")
    run = tenant.invoke(emu, "export", "--out", str(out), *users, "--user", "email:bob@example.com")
    assert run.exit_code == 1
    failures = [line for line in run.stderr.splitlines() if "not exported" in line]
    assert failures == [
        "email:nob***@exam******* (--user 1): not exported: "
        "no user has the email address nob***@exam*******"
    ]
    assert "Traceback" not in run.stderr
    assert _keys(out) == ["auth0|bob", "auth0|carol"]
    _no_clear_address(_written(out), run.stdout, run.stderr)


def test_a_mixed_case_address_finds_the_lower_cased_user(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    run = tenant.invoke(emu, "export", "--out", str(out), "--user", "email:Alice.Smith@EXAMPLE.com")
    assert run.exit_code == 0, run.stderr
    assert _keys(out) == ["auth0|alice"]


def test_an_address_stored_with_capitals_is_found_as_written(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    run = tenant.invoke(emu, "export", "--out", str(out), "--user", f"email:{SOCIAL_EMAIL}")
    assert run.exit_code == 0, run.stderr
    assert _keys(out) == ["google-oauth2|zed"]
    _no_clear_address(_written(out), run.stdout, run.stderr)


def test_an_address_of_several_users_asks_to_export_by_user_id(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    out = tmp_path / "exported"
    users = ("--user", f"email:{TWIN_EMAIL}", "--user", "auth0|bob")
    run = tenant.invoke(emu, "export", "--out", str(out), *users)
    assert run.exit_code == 1
    assert (
        "email:****@exam******* (--user 1): not exported: 2 users have the email address "
        "****@exam*******; export this one by its user_id"
    ) in run.stderr
    assert _keys(out) == ["auth0|bob"]


def test_export_by_email_then_plan_shows_no_changes(emu: emulator.Emulator, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    users = ("--user", "email:Alice.Smith@Example.com", "--user", "email:bob@example.com")
    exported = tenant.invoke(emu, "export", "--out", str(out), *users, "--user", "auth0|carol")
    assert exported.exit_code == 0, exported.stderr
    planned = tenant.invoke(emu, "plan", str(out), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.stdout + planned.stderr
    assert "0 to create, 0 to update, 0 to delete" in planned.stdout
    assert "3 users unchanged, 0 errors" in planned.stdout
    assert tenant.writes(emu) == 0


def test_two_keys_naming_one_user_are_exported_once(emu: emulator.Emulator, tmp_path: Path) -> None:
    out = tmp_path / "exported"
    users = ("--user", "auth0|bob", "--user", "email:BOB@example.com")
    run = tenant.invoke(emu, "export", "--out", str(out), *users)
    assert run.exit_code == 0, run.stderr
    assert _keys(out) == ["auth0|bob"]  # one entry: two would be an error at plan
    assert "email:****@exam******* (--user 2): the same user as auth0|bob" in run.stderr
    assert "Exported 1 user (1 pinned methods)" in run.stderr


def test_a_users_file_takes_email_keys_and_names_their_lines(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    users_file = tmp_path / "users.txt"
    users_file.write_text("# who\nauth0|carol\nemail:nobody@example.com\nemail:bob@example.com\n")
    out = tmp_path / "exported"
    run = tenant.invoke(emu, "export", "--out", str(out), "--users-file", str(users_file))
    assert run.exit_code == 1
    assert f"email:nob***@exam******* ({users_file}:3): not exported" in run.stderr
    assert _keys(out) == ["auth0|bob", "auth0|carol"]
    assert f"# auth0|bob: given by its email address ({users_file}:4)" in _written(out)
    _no_clear_address(_written(out), run.stdout, run.stderr)


def test_an_email_key_without_an_address_is_a_usage_error(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    run = tenant.invoke(emu, "export", "--out", str(tmp_path / "x"), "--user", "email:")
    assert run.exit_code == 2
    assert "--user 1: 'email:' needs an address" in run.stderr


def test_the_help_offers_email_keys_that_export_accepts() -> None:
    helps = [param.help or "" for param in export_cmd.command.params]
    assert any("email:ADDRESS" in text for text in helps)
