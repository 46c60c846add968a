"""Claims about `mfasync plan` and `mfasync apply`, run in-process against a threaded emulator."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mfasync import emulator
from mfasync.cli.main import cli

SEED_A = "JBSWY3DPEHPK3PXP"  # a well-known example seed, not a real one
SEED_B = "KRSXG5CTMVRXEZLU"

MANIFEST = """\
version: 1
users:
  - user_id: "auth0|alice"
    methods:
      - type: phone
        name: Work phone
        phone_number: "+14155550123"
      - type: totp
        name: Authenticator
        totp_secret: ${env:ALICE_TOTP}
  - user_id: "auth0|bob"
    methods:
      - type: phone
        name: Work phone
        phone_number: "+14155550456"
"""


def tenant() -> emulator.State:
    state = emulator.State(random_seed=2)
    emulator.seed_mapping(
        state,
        {
            "users": [
                {"user_id": "auth0|alice", "methods": []},
                {
                    "user_id": "auth0|bob",
                    "methods": [
                        {"type": "phone", "name": "SMS", "phone_number": "+14155550456"},
                        {"type": "push", "name": "Guardian"},
                    ],
                },
            ]
        },
    )
    state.reset_history()
    return state


@pytest.fixture
def emu() -> Iterator[emulator.Emulator]:
    with emulator.run_in_thread(emulator.Config(), tenant()) as running:
        yield running


@pytest.fixture
def manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    monkeypatch.setenv("ALICE_TOTP", SEED_A)
    monkeypatch.delenv("AUTH0_ACCESS_TOKEN", raising=False)
    return path


def invoke(emu: emulator.Emulator, *args: str, stdin: str | None = None) -> Result:
    connection = [
        "--domain",
        emu.url,
        "--client-id",
        emu.client_id,
        "--client-secret",
        emu.client_secret,
    ]
    return CliRunner().invoke(cli, [*args, *connection], input=stdin)


def writes(emu: emulator.Emulator) -> int:
    """Writes to the Management API (token requests are not writes)."""
    return sum(
        count
        for (method, route, _status), count in emu.stats.snapshot().items()
        if method != "GET" and "oauth" not in route
    )


def test_plan_exits_0_with_changes_and_2_with_detailed_exitcode(
    emu: emulator.Emulator, manifest: Path
) -> None:
    plain = invoke(emu, "plan", str(manifest))
    assert plain.exit_code == 0, plain.output
    assert "auth0|alice" in plain.stdout
    assert "Plan: 2 to create, 1 to update, 0 to delete, 1 full replace." in plain.stdout
    detailed = invoke(emu, "plan", str(manifest), "--detailed-exitcode")
    assert detailed.exit_code == 2
    assert writes(emu) == 0


def test_plan_exits_1_when_a_user_does_not_exist(
    emu: emulator.Emulator, manifest: Path, tmp_path: Path
) -> None:
    ghost = tmp_path / "ghost.yaml"
    ghost.write_text(
        'version: 1\nusers:\n  - user_id: "auth0|ghost"\n    methods: []\n', encoding="utf-8"
    )
    result = invoke(emu, "plan", str(manifest), str(ghost), "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    errors = {user["user_id"]: user["error"] for user in document["users"] if user["error"]}
    assert list(errors) == ["auth0|ghost"]
    assert "The user does not exist." in errors["auth0|ghost"]


def test_apply_without_yes_and_without_a_terminal_fails_at_once(
    emu: emulator.Emulator, manifest: Path
) -> None:
    result = invoke(emu, "apply", str(manifest), stdin="y\n")
    assert result.exit_code == 1
    assert "--yes" in str(result.exception)
    assert emu.stats.total() == 0  # not a single request, not even for a token


def test_dry_run_prints_redacted_requests_and_writes_nothing(
    emu: emulator.Emulator, manifest: Path
) -> None:
    result = invoke(emu, "apply", str(manifest), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "PUT /api/v2/users/auth0%7Calice/authentication-methods" in result.stdout
    assert "PATCH /api/v2/users/auth0%7Cbob/authentication-methods/" in result.stdout
    assert result.stdout.rstrip().endswith(
        "Would apply: 2 created, 1 updated, 0 deleted, 1 replaced. 0 users failed, 0 stale."
    )
    assert SEED_A not in result.output
    assert "+14155550123" not in result.output
    assert writes(emu) == 0


def test_apply_yes_applies_reports_and_then_plans_nothing(
    emu: emulator.Emulator, manifest: Path, tmp_path: Path
) -> None:
    report_path = tmp_path / "report.json"
    result = invoke(emu, "apply", str(manifest), "--yes", "--report", str(report_path))
    assert result.exit_code == 0, result.output
    assert (
        "Applied: 2 created, 1 updated, 0 deleted, 1 replaced. 0 users failed, 0 stale."
        in result.stdout
    )
    assert stat.S_IMODE(os.stat(report_path).st_mode) == 0o600
    report_text = report_path.read_text(encoding="utf-8")
    assert SEED_A not in report_text
    assert "+14155550123" not in report_text
    report = json.loads(report_text)
    assert report["summary"]["users_applied"] == 2
    assert sorted(m["type"] for m in emu.state.methods_of("auth0|bob")) == ["phone", "push"]
    again = invoke(emu, "plan", str(manifest), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    nothing = invoke(emu, "apply", str(manifest), "--yes")
    assert "No changes. Nothing to do." in nothing.stdout


def test_applying_a_saved_plan_skips_a_user_changed_since_as_stale(
    emu: emulator.Emulator, manifest: Path, tmp_path: Path
) -> None:
    plan_path = tmp_path / "plan.json"
    saved = invoke(emu, "plan", str(manifest), "--out", str(plan_path))
    assert saved.exit_code == 0, saved.output
    assert SEED_A not in plan_path.read_text(encoding="utf-8")
    emu.state.add_method("auth0|bob", {"type": "totp", "name": "New", "totp_secret": SEED_B})
    result = invoke(emu, "apply", "--plan", str(plan_path), "--yes")
    assert result.exit_code == 1
    assert "auth0|bob: stale" in result.stderr
    assert "0 users failed, 1 stale." in result.stdout
    assert sorted(m["type"] for m in emu.state.methods_of("auth0|alice")) == ["phone", "totp"]


def test_a_safety_guard_refuses_without_force(emu: emulator.Emulator, tmp_path: Path) -> None:
    users = "".join(
        f'  - user_id: "auth0|u{index}"\n    methods:\n      - type: phone\n'
        f'        phone_number: "+1415555{index:04d}"\n'
        for index in range(10)
    )
    for index in range(10):
        emu.state.add_user(
            f"auth0|u{index}",
            methods=[
                {"type": "phone", "phone_number": f"+1650555{index + 5000:04d}"},
                {"type": "recovery-code"},
            ],
        )
    path = tmp_path / "many.yaml"
    path.write_text(f"version: 1\nusers:\n{users}", encoding="utf-8")
    refused = invoke(emu, "apply", str(path), "--yes")
    assert refused.exit_code == 1
    assert "--force" in str(refused.exception)
    assert writes(emu) == 0
    forced = invoke(emu, "apply", str(path), "--yes", "--force")
    assert forced.exit_code == 0, forced.output
    assert "Applied: 10 created, 0 updated, 10 deleted, 0 replaced." in forced.stdout


def test_a_reseed_with_the_seed_the_user_already_has_says_a_new_seed_is_needed(
    emu: emulator.Emulator, manifest: Path
) -> None:
    assert invoke(emu, "apply", str(manifest), "--yes", "--state", "none").exit_code == 0
    # a push factor rules out a full replace, so the re-seed is a create, then a delete
    emu.state.add_method("auth0|alice", {"type": "push", "name": "Guardian"})
    # alice has her phone and her app with SEED_A; the manifest still says SEED_A
    result = invoke(
        emu, "apply", str(manifest), "--yes", "--state", "none", "--reseed", "auth0|alice:totp"
    )
    assert result.exit_code == 1
    assert "re-seeding needs a new seed" in result.output
    assert "409" in result.output  # said, but not as the explanation
    kinds = sorted(m["type"] for m in emu.state.methods_of("auth0|alice"))
    assert kinds == ["phone", "push", "totp"]  # the old app is kept: the delete never ran
