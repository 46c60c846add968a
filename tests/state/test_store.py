"""Claims about the state store, on both backends (SQLite file and a real PostgreSQL server)."""

from __future__ import annotations

import contextlib
import datetime
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mfasync import errors, models, records, state

T0 = datetime.datetime(2026, 12, 1, 2, 0, tzinfo=datetime.UTC)
T1 = T0 + datetime.timedelta(hours=1)


async def open_store(url: str, tenant: str = "tenant.eu.auth0.com") -> state.Store:
    location = state.parse(url)
    assert location is not None
    return await state.Store.open(location, tenant=tenant)


def live(method_id: str, kind: str) -> models.LiveMethod:
    return models.LiveMethod(id=method_id, type=kind)


async def test_a_new_state_gets_a_random_key_that_stays_with_its_tenant(state_url: str) -> None:
    first = await open_store(state_url)
    key = first.fingerprinter.key
    other = await open_store(state_url, tenant="other.us.auth0.com")
    assert other.fingerprinter.key != key
    await first.close()
    await other.close()
    again = await open_store(state_url)
    assert again.fingerprinter.key == key
    assert key is not None
    assert len(key) == 32
    await again.close()


async def test_listing_records_adopted_and_seen_methods_and_the_tenant_wins(state_url: str) -> None:
    store = await open_store(state_url)
    await store.observe(
        state.observation(
            "auth0|a",
            [live("phone|1", "phone"), live("push|1", "push-notification")],
            adoptions=[("phone|1", "f" * 64)],
            desired_fingerprint="d" * 64,
            in_sync=True,
            at=T0,
        )
    )
    await store.close()
    store = await open_store(state_url)
    await store.load()
    mine = store.records_of("auth0|a")
    assert mine["phone|1"].origin is records.MethodOrigin.ADOPTED
    assert mine["phone|1"].fingerprint == "f" * 64
    assert mine["push|1"].origin is records.MethodOrigin.SEEN
    assert mine["push|1"].fingerprint is None
    users = await store.user_records()
    assert users["auth0|a"].in_sync is True
    assert users["auth0|a"].last_listed_at == T0
    # the phone is gone from the tenant and a new method appeared: the records follow the tenant
    await store.observe(
        state.observation(
            "auth0|a",
            [live("push|1", "push-notification"), live("totp|9", "totp")],
            adoptions=[],
            desired_fingerprint="d" * 64,
            in_sync=False,
            at=T1,
        )
    )
    await store.flush()
    rows = await store.method_records("auth0|a")
    assert [(r.method_id, r.origin, r.first_seen, r.last_seen) for r in rows] == [
        ("push|1", records.MethodOrigin.SEEN, T0, T1),
        ("totp|9", records.MethodOrigin.SEEN, T1, T1),
    ]
    await store.close()


async def test_an_unchanged_listing_keeps_the_rows_and_moves_last_seen_only(
    state_url: str,
) -> None:
    """A second listing that shows the same methods writes no method row again (a nightly drift
    rewrote every row before); last_seen still moves, and a changed user is rewritten."""
    store = await open_store(state_url)
    for user_id in ("auth0|same", "auth0|moved"):
        await store.observe(
            state.observation(
                user_id,
                [live(f"phone|{user_id}", "phone")],
                adoptions=[(f"phone|{user_id}", "f" * 64)],
                desired_fingerprint="d" * 64,
                in_sync=True,
                at=T0,
            )
        )
    await store.close()
    store = await open_store(state_url)
    await store.load()
    await store.observe(
        state.observation(
            "auth0|same",
            [live("phone|auth0|same", "phone")],
            adoptions=[],
            desired_fingerprint="d" * 64,
            in_sync=True,
            at=T1,
        )
    )
    await store.observe(
        state.observation(
            "auth0|moved",
            [live("totp|new", "totp")],
            adoptions=[],
            desired_fingerprint="e" * 64,
            in_sync=False,
            at=T1,
        )
    )
    await store.close()
    store = await open_store(state_url)
    same = await store.method_records("auth0|same")
    assert [(r.method_id, r.origin, r.fingerprint, r.first_seen, r.last_seen) for r in same] == [
        ("phone|auth0|same", records.MethodOrigin.ADOPTED, "f" * 64, T0, T1)
    ]
    moved = await store.method_records("auth0|moved")
    assert [(r.method_id, r.origin, r.first_seen) for r in moved] == [
        ("totp|new", records.MethodOrigin.SEEN, T1)
    ]
    users = await store.user_records()
    assert (users["auth0|same"].last_listed_at, users["auth0|same"].in_sync) == (T1, True)
    assert (users["auth0|moved"].desired_fingerprint, users["auth0|moved"].in_sync) == (
        "e" * 64,
        False,
    )
    await store.close()


async def test_a_journaled_create_records_the_method_as_created(state_url: str) -> None:
    store = await open_store(state_url)
    await store.load()
    run = await store.begin_run(run_info())
    entry = await store.intend(
        run, user_id="auth0|a", op="create", method_type="phone", method_id=None, at=T0
    )
    # the intent is durable before the request is sent
    assert [(e.op, e.outcome) for e in await store.journal(run_id=run)] == [("create", None)]
    await store.settle(
        entry,
        user_id="auth0|a",
        outcome=records.WriteOutcome.OK,
        status=201,
        at=T1,
        written=state.Written(created=(("phone|new", "phone", "c" * 64),)),
    )
    assert store.records_of("auth0|a")["phone|new"].origin is records.MethodOrigin.CREATED
    delete = await store.intend(
        run, user_id="auth0|a", op="delete", method_type="phone", method_id="phone|new", at=T1
    )
    await store.settle(
        delete,
        user_id="auth0|a",
        outcome=records.WriteOutcome.OK,
        status=204,
        at=T1,
        written=state.Written(deleted=("phone|new",)),
    )
    await store.end_run(run, counts={"created": 1, "deleted": 1}, outcome="ok", at=T1)
    entries = await store.journal(user_id="auth0|a")
    assert [(e.op, e.outcome, e.status, e.new_method_ids) for e in entries] == [
        ("create", records.WriteOutcome.OK, 201, ("phone|new",)),
        ("delete", records.WriteOutcome.OK, 204, ()),
    ]
    assert await store.method_records("auth0|a") == []
    [ran] = await store.runs()
    assert (ran.command, ran.outcome, dict(ran.counts)) == (
        "apply",
        "ok",
        {"created": 1, "deleted": 1},
    )
    await store.close()


async def test_a_run_that_never_ended_is_reported_with_its_unanswered_writes(
    state_url: str,
) -> None:
    store = await open_store(state_url)
    killed = await store.begin_run(run_info())
    answered = await store.intend(
        killed, user_id="auth0|a", op="create", method_type="phone", method_id=None, at=T0
    )
    await store.settle(
        answered, user_id="auth0|a", outcome=records.WriteOutcome.OK, status=201, at=T0
    )
    await store.intend(
        killed, user_id="auth0|b", op="create", method_type="phone", method_id=None, at=T0
    )
    await store.close()  # the process dies here: no end_run

    store = await open_store(state_url)
    current = await store.begin_run(run_info())
    [found] = await store.interrupted(current_run=current)
    assert found.run.run_id == killed
    assert [entry.user_id for entry in found.unanswered] == ["auth0|b"]
    await store.close_interrupted([killed])
    assert await store.interrupted(current_run=current) == []
    runs = {run.run_id: run.outcome for run in await store.runs()}
    assert runs[killed] == "interrupted"
    await store.close()


async def test_forget_drops_a_users_records(state_url: str) -> None:
    store = await open_store(state_url)
    await store.observe(
        state.observation(
            "auth0|a",
            [live("phone|1", "phone")],
            adoptions=[],
            desired_fingerprint=None,
            in_sync=True,
            at=T0,
        )
    )
    assert await store.forget("auth0|a") == 1
    assert await store.method_records() == []
    assert await store.user_records() == {}
    await store.close()


async def test_the_checkpoint_round_trips(state_url: str) -> None:
    store = await open_store(state_url)
    assert await store.checkpoint() is None
    checkpoint = records.Checkpoint(log_id="9001", taken_at=T0, last_full_scan_at=T0)
    await store.save_checkpoint(checkpoint)
    await store.save_checkpoint(checkpoint)  # replaced, not duplicated
    assert await store.checkpoint() == checkpoint
    await store.close()


def run_info() -> state.RunInfo:
    return state.RunInfo(
        command="apply", host="ci-7", os_user="runner", pid=4242, ci_job=None, started_at=T0
    )


# -- bad input: one line each ---------------------------------------------------------------------


def test_an_unknown_kind_of_state_is_one_line() -> None:
    with pytest.raises(errors.StateError, match="unknown kind of state"):
        state.parse("mysql://u:hunter2@db/x")
    with pytest.raises(errors.StateError) as caught:
        state.parse("mysql://u:hunter2@db/x")
    assert "hunter2" not in str(caught.value)


def test_none_is_stateless_and_the_default_is_a_file_in_the_working_directory(
    tmp_path: Path,
) -> None:
    assert state.parse("none") is None
    location = state.parse(state.DEFAULT, cwd=tmp_path)
    assert location is not None
    assert location.sqlite_path == tmp_path / ".mfasync" / "state.db"


async def test_sqlite_state_is_private_from_creation(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'nested' / 'state.db'}")
    await store.close()
    assert (tmp_path / "nested").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "nested" / "state.db").stat().st_mode & 0o777 == 0o600


async def test_a_corrupt_sqlite_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(errors.StateError, match="not a database"):
        await open_store(f"sqlite:///{path}")


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make `path` read-only for this process: a mode for a user, the immutable flag for root
    (root ignores modes)."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o600)
        return
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot make a file immutable here: {made.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


async def test_a_read_only_sqlite_state_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = await open_store(f"sqlite:///{path}")
    await store.close()
    with read_only(path):
        with pytest.raises(errors.StateError) as caught:
            await _open_and_write(f"sqlite:///{path}")
        message = str(caught.value)
        assert "\n" not in message
        assert "readonly" in message or "unable to open" in message, message


async def _open_and_write(url: str) -> None:
    store = await open_store(url)
    try:
        await store.begin_run(run_info())
    finally:
        await store.close()


async def test_an_unreachable_postgresql_is_one_line_without_the_password() -> None:
    with pytest.raises(errors.StateError) as caught:
        await open_store("postgresql://mfasync:hunter2@127.0.0.1:1/mfasync")
    message = str(caught.value)
    assert "hunter2" not in message
    assert "***" in message
    assert "\n" not in message
