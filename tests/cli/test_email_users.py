"""Claims about users declared by `email:`: one user declared twice is an error naming both
manifest entries; email users are told apart by `file:line` and their resolved id everywhere;
`--user` takes the id an email user resolves to. The real CLI against a threaded emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mfasync import emulator
from tests.reliability.conftest import invoke

A_YAML = """\
version: 1
users:
  - user_id: "auth0|u1"
    methods:
      - type: phone
        phone_number: "+61491570100"
  - user_id: "auth0|u4"
    methods:
      - type: phone
        phone_number: "+61491570156"
"""

B_YAML = """\
version: 1
users:
  - email: four@corp.example
    methods:
      - type: phone
        phone_number: "+61491570199"
  - email: ghost@corp.example
    methods:
      - type: phone
        phone_number: "+61491570111"
  - email: gone@corp.example
    methods:
      - type: phone
        phone_number: "+61491570122"
"""

#: The same users, each declared once, two of them by email.
C_YAML = """\
version: 1
users:
  - user_id: "auth0|u1"
    methods:
      - type: phone
        phone_number: "+61491570100"
  - email: four@corp.example
    methods:
      - type: phone
        phone_number: "+61491570199"
  - email: five@corp.example
    methods:
      - type: phone
        phone_number: "+61491570155"
"""


def tenant() -> emulator.State:
    state = emulator.State(random_seed=3)
    emulator.seed_mapping(
        state,
        {
            "users": [
                {"user_id": "auth0|u1", "email": "one@corp.example", "methods": []},
                {
                    "user_id": "auth0|u4",
                    "email": "four@corp.example",
                    "methods": [{"type": "phone", "phone_number": "+61491570156"}],
                },
                {"user_id": "auth0|u5", "email": "five@corp.example", "methods": []},
            ]
        },
    )
    state.reset_history()
    return state


@pytest.fixture
def emu() -> Iterator[emulator.Emulator]:
    with emulator.run_in_thread(emulator.Config(), tenant()) as running:
        yield running


def _write(folder: Path, **files: str) -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def test_one_user_declared_by_id_and_by_email_is_an_error_naming_both_entries(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    folder = _write(tmp_path / "m", a=A_YAML, b=B_YAML)
    a_entry, b_entry = f"{folder / 'a.yaml'}:7", f"{folder / 'b.yaml'}:3"

    planned = invoke(emu, "plan", str(folder))
    assert planned.exit_code == 1, planned.output
    u4 = [line for line in planned.output.splitlines() if "the same user as" in line]
    assert len(u4) == 2  # one error per entry, each naming the other's place
    assert any(b_entry in line for line in u4)
    assert any(a_entry in line for line in u4)
    assert a_entry in planned.output
    assert b_entry in planned.output

    before = emu.state.methods_of("auth0|u4")
    report_file = tmp_path / "report.json"
    applied = invoke(emu, "apply", str(folder), "--yes", "--report", str(report_file))
    assert applied.exit_code == 1, applied.output
    assert emu.state.methods_of("auth0|u4") == before  # nothing written for that user
    assert [m["type"] for m in emu.state.methods_of("auth0|u1")] == ["phone"]  # the others go on
    report = json.loads(report_file.read_text(encoding="utf-8"))
    failed = {user["source"]: user for user in report["users"] if user["status"] == "failed"}
    assert failed[a_entry]["user_id"] == "auth0|u4"
    assert failed[b_entry]["user_id"] == "auth0|u4"
    assert "four@corp.example" not in report_file.read_text(encoding="utf-8")


def test_email_users_that_fail_are_told_apart_by_their_manifest_entry(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    folder = _write(tmp_path / "m", b=B_YAML.replace("four@", "four-not-here@"))
    planned = invoke(emu, "plan", str(folder), "--format", "json")
    assert planned.exit_code == 1
    users = json.loads(planned.stdout)["users"]
    sources = [user["source"] for user in users]
    assert sorted(sources) == sorted(f"{folder / 'b.yaml'}:{line}" for line in (3, 7, 11))
    text = invoke(emu, "plan", str(folder))
    for line in (3, 7, 11):
        assert f"b.yaml:{line})" in text.output
    assert "ghost@corp.example" not in text.output


def test_a_resolved_email_user_shows_its_id_and_entry_in_the_apply_report(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    folder = _write(tmp_path / "m", c=C_YAML)
    report_file = tmp_path / "report.json"
    applied = invoke(emu, "apply", str(folder), "--yes", "--report", str(report_file))
    assert applied.exit_code == 0, applied.output
    by_id = {u["user_id"]: u for u in json.loads(report_file.read_text(encoding="utf-8"))["users"]}
    assert by_id["auth0|u4"]["source"] == f"{folder / 'c.yaml'}:7"
    assert by_id["auth0|u5"]["source"] == f"{folder / 'c.yaml'}:11"
    assert "source" not in by_id["auth0|u1"]  # a user id tells itself apart


def test_user_takes_the_id_an_email_user_resolves_to(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    folder = _write(tmp_path / "m", c=C_YAML)
    planned = invoke(emu, "plan", str(folder), "--user", "auth0|u5", "--format", "json")
    assert planned.exit_code == 0, planned.output
    users = json.loads(planned.stdout)["users"]
    assert [user["user_id"] for user in users] == ["auth0|u5"]

    missing = invoke(emu, "plan", str(folder), "--user", "auth0|nobody")
    assert missing.exit_code == 1
    assert str(missing.exception) == (  # main() prints it as one line
        "--user auth0|nobody: no such user in the manifests, nor an email: user's resolved id"
    )

    applied = invoke(emu, "apply", str(folder), "--yes", "--user", "auth0|u4")
    assert applied.exit_code == 0, applied.output
    assert [m["phone_number"] for m in emu.state.methods_of("auth0|u4")] == ["+61491570199"]
    assert emu.state.methods_of("auth0|u5") == []  # not chosen: untouched


def test_a_plan_saved_without_a_state_finds_email_users_by_their_resolved_id(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    """No state, no key: the plan file stores an email user by the id it resolved to, never the
    address nor a bare hash of it, and `apply --plan` resolves the addresses again to find it."""
    folder = _write(tmp_path / "m", c=C_YAML)
    plan_file = tmp_path / "plan.json"
    planned = invoke(emu, "plan", str(folder), "--out", str(plan_file), "--state", "none")
    assert planned.exit_code == 0, planned.output
    text = plan_file.read_text(encoding="utf-8")
    assert "four@corp.example" not in text
    assert "email-sha256" not in text
    keys = {user["key"] for user in json.loads(text)["users"]}
    assert {"email-of:auth0|u4", "email-of:auth0|u5"} <= keys

    applied = invoke(emu, "apply", "--plan", str(plan_file), "--yes", "--state", "none")
    assert applied.exit_code == 0, applied.output
    assert [m["phone_number"] for m in emu.state.methods_of("auth0|u4")] == ["+61491570199"]
    assert [m["phone_number"] for m in emu.state.methods_of("auth0|u5")] == ["+61491570155"]
