"""Claims about `mfasync state push URL`: the whole state, every tenant with its key, copied from
SQLite to a real PostgreSQL and back, through the CLI."""

from __future__ import annotations

import asyncio
import datetime
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from mfasync import emulator
from mfasync import state as state_package
from mfasync.state import locations
from tests.state.conftest import (
    apply,
    connection,
    listed,
    mfasync,
    state,
    tenant,
    through_main,
)

PASSWORD = "pg-s3cret-never-shown"  # the test server trusts local users: any password passes


@pytest.fixture
def other_emu() -> Iterator[emulator.Emulator]:
    """A second tenant (another origin), so that the state holds two."""
    with emulator.run_in_thread(emulator.Config(), tenant()) as running:
        yield running


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'state.db'}"


def with_password(url: str) -> str:
    return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def push(source: str, target: str, *args: str) -> tuple[int, str, str]:
    result = mfasync("state", "push", target, "--state", source, *args)
    return result.exit_code, result.stdout, str(result.exception or "") + result.stderr


def answers(emu: emulator.Emulator, url: str) -> tuple[object, ...]:
    """What `state list` and `state history` say of the tenant, less the state's own name."""
    document = listed(emu, url)
    del document["state"]
    text = state(emu, url, "list")
    history = json.loads(state(emu, url, "history", "--format", "json").stdout)
    del history["state"]
    return document, text.stdout.splitlines()[1:], history


def test_push_copies_every_tenant_to_postgresql_and_back_and_both_answer_alike(
    emu: emulator.Emulator,
    other_emu: emulator.Emulator,
    manifest: Path,
    tmp_path: Path,
    postgres_url: str,
) -> None:
    source = sqlite_url(tmp_path / "laptop")
    apply(emu, source, manifest)
    plan = mfasync("plan", str(manifest), "--state", source, *connection(other_emu))
    assert plan.exit_code == 0, plan.output
    before = answers(emu, source), answers(other_emu, source)

    target = with_password(postgres_url)
    code, out, err = push(source, target)
    assert code == 0, err
    shown = locations.redact(target)
    assert shown.endswith(":***@" + target.split("@", 1)[1])
    assert out.splitlines() == [
        f"Pushed {source} to {shown}: 2 tenants, 6 method records, 4 user records, 2 runs, "
        "2 journal entries."
    ]
    assert PASSWORD not in out + err
    assert (answers(emu, target), answers(other_emu, target)) == before

    back = sqlite_url(tmp_path / "back")
    code, _, err = push(target, back)
    assert code == 0, err
    assert (answers(emu, back), answers(other_emu, back)) == before

    # the copies go on with ids of their own: a new tenant, its runs and journal entries follow
    # the copied ones (PostgreSQL's sequences were moved past them)
    for copy in (target, back):
        with emulator.run_in_thread(emulator.Config(), tenant()) as third:
            again = mfasync("apply", str(manifest), "--yes", "--state", copy, *connection(third))
            assert again.exit_code == 0, again.output
            runs = json.loads(state(third, copy, "history", "--format", "json").stdout)["runs"]
        assert [run["run_id"] for run in runs] == [3]  # after emu's apply and other_emu's plan
        assert [write["entry_id"] for write in runs[0]["writes"]] == [3, 4]  # after the 2 copied
        assert len(listed(emu, copy)["users"]) == 2  # the copied tenants are as they were


def test_a_target_that_holds_a_state_is_refused_without_force_and_replaced_with_it(
    emu: emulator.Emulator,
    manifest: Path,
    tmp_path: Path,
    postgres_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = sqlite_url(tmp_path / "laptop")
    apply(emu, source, manifest)
    target = with_password(postgres_url)
    assert push(source, target)[0] == 0

    gone = state(emu, source, "forget", "auth0|bob", "--yes")
    assert gone.exit_code == 0, gone.output
    code, out, err = through_main(
        ["state", "push", target, "--state", source], capsys=capsys, monkeypatch=monkeypatch
    )
    assert (code, out) == (1, "")
    shown = locations.redact(target)
    assert shown.endswith(":***@" + target.split("@", 1)[1])
    assert err.splitlines() == [
        f"Error: state push: the state at {shown} is not empty (1 tenant, 4 method records, "
        "2 user records, 1 run, 2 journal entries); pass --force to replace its mfasync rows"
    ]
    assert PASSWORD not in err
    assert len(listed(emu, target)["users"]) == 2  # untouched

    code, out, err = push(source, target, "--force")
    assert code == 0, err
    assert "Replaced 1 tenant, 4 method records, 2 user records, 1 run, 2 journal entries" in err
    assert answers(emu, target) == answers(emu, source)
    assert [user["user_id"] for user in listed(emu, target)["users"]] == ["auth0|alice"]


def test_the_key_goes_along_a_plan_saved_against_the_source_applies_with_the_target(
    emu: emulator.Emulator,
    manifest: Path,
    tmp_path: Path,
    postgres_url: str,
) -> None:
    source = sqlite_url(tmp_path / "laptop")
    saved = tmp_path / "plan.json"
    planned = mfasync(
        "plan", str(manifest), "--out", str(saved), "--state", source, *connection(emu)
    )
    assert planned.exit_code == 0, planned.output
    assert push(source, postgres_url)[0] == 0

    elsewhere = sqlite_url(tmp_path / "fresh")  # a state with a key of its own
    refused = mfasync(
        "apply", "--plan", str(saved), "--yes", "--state", elsewhere, *connection(emu)
    )
    assert refused.exit_code == 1
    assert "was saved with another state" in str(refused.exception)

    applied = mfasync(
        "apply", "--plan", str(saved), "--yes", "--state", postgres_url, *connection(emu)
    )
    assert applied.exit_code == 0, applied.output
    assert "Applied: 2 created, 1 updated" in applied.stdout
    replan = mfasync(
        "plan", str(manifest), "--detailed-exitcode", "--state", postgres_url, *connection(emu)
    )
    assert replan.exit_code == 0, replan.output
    origins = {m["origin"] for u in listed(emu, postgres_url)["users"] for m in u["methods"]}
    assert origins == {"created", "adopted", "seen"}


def test_push_refuses_its_own_database_none_and_a_missing_source(
    emu: emulator.Emulator,
    manifest: Path,
    tmp_path: Path,
    state_url: str,
) -> None:
    apply(emu, state_url, manifest)
    code, _, err = push(state_url, state_url, "--force")
    assert code == 1
    assert "is the state being pushed; name another database" in err
    assert len(listed(emu, state_url)["users"]) == 2  # not wiped

    code, _, err = push(state_url, "none")
    assert (code, err) == (1, "state push URL: name a state to copy to, not none")
    code, _, err = push("none", state_url)
    assert (code, err) == (1, "there is no state to push (--state none)")
    missing = tmp_path / "nowhere" / "state.db"
    code, _, err = push(f"sqlite:///{missing}", state_url)
    assert code == 1
    assert err.startswith(f"there is no state at sqlite:///{missing}")
    assert not missing.parent.exists()


def test_push_never_replaces_rows_under_a_running_apply(
    emu: emulator.Emulator, manifest: Path, tmp_path: Path, state_url: str
) -> None:
    source = sqlite_url(tmp_path / "laptop")
    apply(emu, source, manifest)
    apply(emu, state_url, manifest)  # the target knows the tenant too
    before = answers(emu, state_url)

    async def push_while_locked() -> tuple[int, str, str]:
        location = state_package.parse(state_url)
        assert location is not None
        store = await state_package.Store.open(location, tenant=emu.url.lower())
        try:
            async with state_package.TenantLock(store, timeout_s=0, host="ci-3", pid=33) as held:
                await held.name_run(41, since=datetime.datetime.now(datetime.UTC))
                return await asyncio.to_thread(push, source, state_url, "--force")
        finally:
            await store.close()

    code, _, err = asyncio.run(push_while_locked())
    assert code == 1
    assert err == (
        f"state push: the tenant {emu.url.lower()} is locked in {state_url} by a running apply "
        "(run 41, pid 33 on ci-3); wait for it to end"
    )
    assert answers(emu, state_url) == before  # nothing replaced
    code, _, err = push(source, state_url, "--force")  # the lock is gone with its holder
    assert code == 0, err
