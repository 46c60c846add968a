"""Incremental runs end to end (issue 12): the real CLI against the emulator's tenant logs.

After a full run, changes made behind mfasync's back (API writes by another client, simulated
Universal Login self-enrolments) are exactly the users an incremental drift re-reads; a re-run with
nothing changed reads no user at all; a missing or expired checkpoint scans everything and says why;
a token without read:logs falls back to a full scan with a warning.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import json
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from click.testing import CliRunner, Result

from mfasync import emulator, state
from mfasync.cli.main import cli
from mfasync.cli.stateful import tenant_of

USERS = 30


def user_id(index: int) -> str:
    return f"auth0|inc{index:03d}"


@pytest.fixture
def emu() -> Iterator[emulator.Emulator]:
    seeded = emulator.State(random_seed=12)
    emulator.seed_mapping(
        seeded, {"users": [{"user_id": user_id(i), "methods": []} for i in range(USERS)]}
    )
    with emulator.run_in_thread(emulator.Config(), seeded) as running:
        yield running


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    body = "version: 1\nusers:\n" + "".join(
        f'  - user_id: "{user_id(i)}"\n    methods:\n'
        f'      - {{type: phone, name: Mobile, phone_number: "+1415555{i:04d}"}}\n'
        for i in range(USERS)
    )
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "users.yaml").write_text(body, encoding="utf-8")
    return tmp_path / "m"


def run(emu: emulator.Emulator, tmp_path: Path, *args: str, token: str | None = None) -> Result:
    connection = ["--domain", emu.url]
    if token is None:
        connection += ["--client-id", emu.client_id, "--client-secret", emu.client_secret]
    else:
        connection += ["--access-token", token]
    env = {"MFASYNC_STATE": f"sqlite:///{tmp_path / 'state' / 'state.db'}"}
    return CliRunner().invoke(cli, [*args, *connection], env=env)


def lists(emu: emulator.Emulator) -> int:
    """How many users' methods were listed (first pages)."""
    return sum(
        count
        for (method, route, _status), count in emu.stats.snapshot().items()
        if method == "GET" and route.endswith("/authentication-methods")
    )


def converge(emu: emulator.Emulator, tmp_path: Path, folder: Path) -> None:
    applied = run(emu, tmp_path, "apply", str(folder), "--yes")
    assert applied.exit_code == 0, applied.output
    # the apply's own writes are in the logs after its checkpoint: a full drift takes them in
    full = run(emu, tmp_path, "drift", str(folder), "--full")
    assert full.exit_code == 0, full.output


def test_an_incremental_drift_reads_exactly_the_users_changed_behind_mfasyncs_back(
    emu: emulator.Emulator, tmp_path: Path, folder: Path
) -> None:
    converge(emu, tmp_path, folder)
    # another client deletes user 3's phone through the API; user 7 enrols an app himself
    phone = next(m for m in emu.state.methods_of(user_id(3)) if m["type"] == "phone")
    token = emu.issue_token()

    async def delete() -> int:
        async with aiohttp.ClientSession() as session:
            path = f"{emu.api_url}/users/{user_id(3).replace('|', '%7C')}/authentication-methods"
            async with session.delete(
                f"{path}/{phone['id'].replace('|', '%7C')}",
                headers={"Authorization": f"Bearer {token}"},
            ) as answer:
                return answer.status

    assert asyncio.run(delete()) == 204
    emulator.simulate_enrollment(
        emu.state, user_id(7), {"type": "totp", "name": "Own", "totp_secret": "JBSWY3DPEHPK3PXP"}
    )
    emulator.add_login_noise(emu.state, 500)
    emu.stats.reset()
    result = run(emu, tmp_path, "drift", str(folder), "--incremental")
    assert result.exit_code == 2, result.output  # user 3 lost its phone: drift
    assert lists(emu) == 2  # users 3 and 7, nobody else
    assert f"{USERS - 2} users not re-read (unchanged in the logs since" in result.output
    assert user_id(3) in result.output
    # the drift run read the changes: its new checkpoint is past them
    emu.stats.reset()
    again = run(emu, tmp_path, "drift", str(folder), "--incremental")
    # both still drift (a lost phone, an undeclared app), so neither last listing was in sync:
    # read again; the 28 others are not
    assert lists(emu) == 2
    assert again.exit_code == 2, again.output


def test_a_rerun_with_nothing_changed_reads_no_user(
    emu: emulator.Emulator, tmp_path: Path, folder: Path
) -> None:
    converge(emu, tmp_path, folder)
    emu.stats.reset()
    result = run(emu, tmp_path, "drift", str(folder), "--incremental")
    assert result.exit_code == 0, result.output
    assert lists(emu) == 0
    assert f"{USERS} users not re-read" in result.output


def test_without_a_checkpoint_an_incremental_run_scans_everything_and_says_why(
    emu: emulator.Emulator, tmp_path: Path, folder: Path
) -> None:
    assert run(emu, tmp_path, "apply", str(folder), "--yes").exit_code == 0
    emu.stats.reset()
    result = run(emu, tmp_path, "drift", str(folder), "--incremental")
    assert "full scan: no log checkpoint yet" in result.output
    assert lists(emu) == USERS


def test_a_checkpoint_older_than_the_log_retention_forces_a_full_scan(
    emu: emulator.Emulator, tmp_path: Path, folder: Path
) -> None:
    converge(emu, tmp_path, folder)
    asyncio.run(age_checkpoint(tmp_path, emu, days=3))  # the last run was three days ago
    emu.stats.reset()
    result = run(emu, tmp_path, "drift", str(folder), "--incremental")  # retention: 2 days
    assert "older than the log retention" in result.output
    assert lists(emu) == USERS


async def age_checkpoint(tmp_path: Path, emu: emulator.Emulator, *, days: float) -> None:
    location = state.parse(f"sqlite:///{tmp_path / 'state' / 'state.db'}")
    assert location is not None
    store = await state.Store.open(location, tenant=tenant_of(emu.url))
    try:
        checkpoint = await store.checkpoint()
        assert checkpoint is not None
        then = checkpoint.taken_at - datetime.timedelta(days=days)
        await store.save_checkpoint(
            dataclasses.replace(checkpoint, taken_at=then, last_full_scan_at=then)
        )
    finally:
        await store.close()


def test_a_token_without_read_logs_falls_back_to_a_full_scan_with_a_warning(
    emu: emulator.Emulator, tmp_path: Path, folder: Path
) -> None:
    converge(emu, tmp_path, folder)
    token = emu.issue_token(scopes=["read:authentication_methods", "read:users"])
    emu.stats.reset()
    result = run(emu, tmp_path, "drift", str(folder), "--incremental", token=token)
    assert result.exit_code == 0, result.output
    assert "lacks read:logs" in result.output
    assert lists(emu) == USERS


def test_incremental_needs_a_state(emu: emulator.Emulator, tmp_path: Path, folder: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["plan", str(folder), "--incremental", "--state", "none", "--domain", emu.url,
         "--access-token", emu.issue_token()],
    )  # fmt: skip
    assert "needs a state" in str(result.exception)


def test_a_saved_incremental_plan_records_its_checkpoint_and_applies_like_any_saved_plan(
    emu: emulator.Emulator, tmp_path: Path, folder: Path
) -> None:
    converge(emu, tmp_path, folder)
    emulator.simulate_enrollment(
        emu.state, user_id(5), {"type": "totp", "name": "Own", "totp_secret": "JBSWY3DPEHPK3PXP"}
    )
    out = tmp_path / "plan.json"
    planned = run(emu, tmp_path, "plan", str(folder), "--incremental", "--out", str(out))
    assert planned.exit_code == 0, planned.output
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["log_checkpoint"] == emu.state.logs.last_log_id()
    assert [user["user_id"] for user in saved["users"]] == [user_id(5)]  # only the one read
    applied = run(emu, tmp_path, "apply", "--plan", str(out), "--yes")
    assert applied.exit_code == 0, applied.output
    assert [m["type"] for m in emu.state.methods_of(user_id(5))] == ["phone"]  # the app is gone
