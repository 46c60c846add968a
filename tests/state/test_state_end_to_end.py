"""The state issue's "done when", end to end: the real CLI against the emulator (a real HTTP
server), with the SQLite default and with a real PostgreSQL server (the `state_url` fixture)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mfasync import emulator, errors, records, state
from mfasync.cli.main import cli
from mfasync.cli.stateful import tenant_of

USER = "auth0|state0001"
SEED_A = "JBSWY3DPEHPK3PXP"
SEED_B = "KRSXG5CTMVRXEZLU"


def manifest(folder: Path, *, phone: str, prune: str = "managed", extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "users.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            version: 1
            users:
              - user_id: "{USER}"
                prune: {prune}
                methods:
                  - type: phone
                    name: Mobile
                    phone_number: "{phone}"
                  - type: totp
                    name: App
                    totp_secret: "${{env:STATE_E2E_SEED}}"
            """
        )
        + extra,
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def emu() -> Iterator[emulator.Emulator]:
    seeded = emulator.State(random_seed=5)
    emulator.seed_mapping(seeded, {"users": [{"user_id": USER, "methods": []}]})
    with emulator.run_in_thread(emulator.Config(), seeded) as running:
        yield running


def run(emu: emulator.Emulator, state_url: str, *args: str, seed: str = SEED_A) -> Result:
    env = {"STATE_E2E_SEED": seed, "MFASYNC_STATE": state_url}
    connection = ["--domain", emu.url, "--client-id", emu.client_id]
    connection += ["--client-secret", emu.client_secret]
    return CliRunner().invoke(cli, [*args, *connection], env=env)


def live(emu: emulator.Emulator) -> dict[str, tuple[str, object]]:
    """The user's live methods by id: (type, the value the emulator holds)."""
    found: dict[str, tuple[str, object]] = {}
    for method in emu.state.methods_of(USER):
        value = method.get("phone_number") or method.get("totp_secret") or method.get("name")
        found[str(method["id"])] = (str(method["type"]), value)
    return found


def values(emu: emulator.Emulator) -> set[tuple[str, object]]:
    return set(live(emu).values())


def test_a_same_last_four_phone_change_and_a_rotated_seed_are_applied_make_before_break(
    emu: emulator.Emulator, state_url: str, tmp_path: Path
) -> None:
    folder = manifest(tmp_path / "m", phone="+16505000000")
    first = run(emu, state_url, "apply", str(folder), "--yes")
    assert first.exit_code == 0, first.output
    assert values(emu) == {("phone", "+16505000000"), ("totp", SEED_A)}

    # a new number with the same last four digits, and a rotated seed behind the same reference
    manifest(tmp_path / "m", phone="+16506000000")
    emu.state.reset_history()
    planned = run(emu, state_url, "plan", str(folder), "--detailed-exitcode", seed=SEED_B)
    assert planned.exit_code == 2, planned.output
    # one PUT (cheaper than two creates and two deletes, and atomic: never without a factor)
    assert "replace all (PUT)" in planned.output
    assert "(value changed since mfasync wrote it)" in planned.output
    applied = run(emu, state_url, "apply", str(folder), "--yes", seed=SEED_B)
    assert applied.exit_code == 0, applied.output
    assert values(emu) == {("phone", "+16506000000"), ("totp", SEED_B)}
    assert emu.state.users_emptied_after_having() == set()  # never without a factor mid-run
    again = run(emu, state_url, "plan", str(folder), "--detailed-exitcode", seed=SEED_B)
    assert again.exit_code == 0, again.output


def test_without_a_state_the_same_change_is_invisible(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    folder = manifest(tmp_path / "m", phone="+16505000000")
    assert run(emu, "none", "apply", str(folder), "--yes").exit_code == 0
    manifest(tmp_path / "m", phone="+16506000000")
    planned = run(emu, "none", "plan", str(folder), "--detailed-exitcode", seed=SEED_B)
    assert planned.exit_code == 0, planned.output  # what the state exists to fix


def test_prune_owned_keeps_a_self_enrolled_factor_and_deletes_one_mfasync_created(
    emu: emulator.Emulator, state_url: str, tmp_path: Path
) -> None:
    extra_email = textwrap.indent(
        textwrap.dedent(
            """\
            - type: email
              name: Backup
              email: "backup@corp.example"
            """
        ),
        "      ",
    )
    folder = manifest(tmp_path / "m", phone="+14155550123", prune="owned", extra=extra_email)
    assert run(emu, state_url, "apply", str(folder), "--yes").exit_code == 0
    # behind mfasync's back, the user enrols a second authenticator app in Universal Login
    own = emu.state.add_method(USER, {"type": "totp", "name": "Own", "totp_secret": SEED_B})
    # and the manifest stops declaring the email factor mfasync created
    manifest(tmp_path / "m", phone="+14155550123", prune="owned")
    planned = run(emu, state_url, "plan", str(folder))
    assert "enrolled outside mfasync, kept" in planned.output
    applied = run(emu, state_url, "apply", str(folder), "--yes")
    assert applied.exit_code == 0, applied.output
    kinds = {kind for kind, _ in live(emu).values()}
    assert own["id"] in live(emu)  # the user's own factor survives
    assert "email" not in kinds  # the one mfasync created and no longer declares is gone


def test_a_second_apply_fails_at_once_naming_the_holder_and_writes_nothing(
    emu: emulator.Emulator, state_url: str, tmp_path: Path
) -> None:
    folder = manifest(tmp_path / "m", phone="+14155550123")
    location = state.parse(state_url)
    assert location is not None

    async def hold_and_try() -> Result:
        store = await state.Store.open(location, tenant=tenant_of(emu.url))
        try:
            async with state.TenantLock(store, timeout_s=0, host="other-host", pid=4242):
                return await asyncio.to_thread(run, emu, state_url, "apply", str(folder), "--yes")
        finally:
            await store.close()

    result = asyncio.run(hold_and_try())
    # in-process the error reaches the runner; `main()` prints it as one line and exits 1
    assert isinstance(result.exception, errors.LockHeldError)
    message = str(result.exception)
    assert "is locked by a run (pid 4242 on other-host, since " in message
    assert "\n" not in message
    assert live(emu) == {}  # nothing was written, not even a read: the lock comes first
    assert emu.stats.total(method="GET") == 0


KILLED_APPLY = """
import os, sys, time
from mfasync.cli.main import main
sys.argv = ["mfasync", *sys.argv[1:]]
main()
"""


def test_after_sigkill_the_lock_is_free_and_the_next_apply_converges_and_reports_it(
    state_url: str, tmp_path: Path
) -> None:
    # a slow emulator, so that the apply is surely mid-run when it is killed
    users = [{"user_id": f"auth0|kill{i:03d}", "methods": []} for i in range(60)]
    seeded = emulator.State(random_seed=9)
    emulator.seed_mapping(seeded, {"users": users})
    body = "version: 1\nusers:\n" + "".join(
        f'  - user_id: "auth0|kill{i:03d}"\n    methods:\n'
        f'      - {{type: phone, phone_number: "+1415555{i:04d}"}}\n'
        for i in range(60)
    )
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "users.yaml").write_text(body, encoding="utf-8")
    config = emulator.Config(faults=emulator.Faults(latency_ms=50.0))
    with emulator.run_in_thread(config, seeded) as emu:
        args = ["apply", str(tmp_path / "m"), "--yes", "--concurrency", "2"]
        args += ["--domain", emu.url, "--client-id", emu.client_id]
        args += ["--client-secret", emu.client_secret]
        env = {**os.environ, "MFASYNC_STATE": state_url}
        process = subprocess.Popen(
            [sys.executable, "-c", KILLED_APPLY, *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not _writes_started(emu):
                time.sleep(0.05)
            assert _writes_started(emu), "the apply never started writing"
            time.sleep(0.3)
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        result = CliRunner().invoke(cli, args, env={"MFASYNC_STATE": state_url})
        assert result.exit_code == 0, result.output
        assert "was interrupted;" in result.output
        for i in range(60):
            phones = [m["phone_number"] for m in emu.state.methods_of(f"auth0|kill{i:03d}")]
            assert phones == [f"+1415555{i:04d}"]
    # the journal agrees: the killed run is marked interrupted, the second run ended ok
    runs = asyncio.run(_runs(state_url, tenant_of(emu.url)))
    assert [(run.command, run.outcome) for run in runs] == [
        ("apply", "ok"),
        ("apply", "interrupted"),
    ]


def _writes_started(emu: emulator.Emulator) -> bool:
    return any(
        method == "POST" and "oauth" not in route
        for (method, route, _status) in emu.stats.snapshot()
    )


async def _runs(state_url: str, tenant: str) -> list[records.RunRecord]:
    location = state.parse(state_url)
    assert location is not None
    store = await state.Store.open(location, tenant=tenant)
    try:
        return await store.runs()
    finally:
        await store.close()


def test_the_journal_holds_each_write_of_the_run_with_its_user_and_outcome(
    emu: emulator.Emulator, state_url: str, tmp_path: Path
) -> None:
    folder = manifest(tmp_path / "m", phone="+14155550123")
    assert run(emu, state_url, "apply", str(folder), "--yes").exit_code == 0
    entries, methods = asyncio.run(_journal_and_records(state_url, tenant_of(emu.url)))
    # one PUT wrote both methods of the user (it has none): journaled, answered, with its ids
    assert [(e.user_id, e.op, e.outcome, e.status) for e in entries] == [
        (USER, "replace", records.WriteOutcome.OK, 200)
    ]
    assert set(entries[0].new_method_ids) == set(live(emu))
    assert {(m.method_id, m.origin) for m in methods} == {
        (method_id, records.MethodOrigin.CREATED) for method_id in live(emu)
    }


async def _journal_and_records(
    state_url: str, tenant: str
) -> tuple[list[records.JournalEntry], list[records.MethodRecord]]:
    location = state.parse(state_url)
    assert location is not None
    store = await state.Store.open(location, tenant=tenant)
    try:
        return await store.journal(), await store.method_records()
    finally:
        await store.close()


def test_a_dry_run_records_nothing(emu: emulator.Emulator, state_url: str, tmp_path: Path) -> None:
    folder = manifest(tmp_path / "m", phone="+14155550123")
    result = run(emu, state_url, "apply", str(folder), "--dry-run")
    assert result.exit_code == 0, result.output
    assert asyncio.run(_runs(state_url, tenant_of(emu.url))) == []


def test_the_report_and_the_journal_agree(
    emu: emulator.Emulator, state_url: str, tmp_path: Path
) -> None:
    folder = manifest(tmp_path / "m", phone="+14155550123")
    assert run(emu, state_url, "apply", str(folder), "--yes").exit_code == 0
    manifest(tmp_path / "m", phone="+14155550199")  # a new number: create, then delete the old
    report = tmp_path / "report.json"
    applied = run(emu, state_url, "apply", str(folder), "--yes", "--report", str(report))
    assert applied.exit_code == 0, applied.output
    document = json.loads(report.read_text(encoding="utf-8"))
    reported = [
        (user["user_id"], action["op"])
        for user in document["users"]
        for action in user["actions"]
        if action["status"] == "applied"
    ]
    entries, _ = asyncio.run(_journal_and_records(state_url, tenant_of(emu.url)))
    runs = asyncio.run(_runs(state_url, tenant_of(emu.url)))
    last = runs[0].run_id
    journaled = [
        (e.user_id, e.op)
        for e in entries
        if e.run_id == last and e.outcome is records.WriteOutcome.OK
    ]
    assert reported
    assert sorted(reported) == sorted(journaled)
