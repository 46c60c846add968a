"""Claims about `mfasync state list`, `show`, `history` and `forget`, through the real CLI, on both
backends (the `state_url` fixture), with a state populated by `mfasync apply` on an emulator."""

from __future__ import annotations

import asyncio
import datetime
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mfasync import emulator
from mfasync import state as state_package
from mfasync.cli import state_cmd
from mfasync.state import method_records
from tests.state.conftest import apply, connection, listed, mfasync, state, through_main


def methods_by_id(document: dict[str, object]) -> dict[str, dict[str, object]]:
    users = document["users"]
    assert isinstance(users, list)
    return {method["method_id"]: {**method, "user_id": user["user_id"]} for user in users
            for method in user["methods"]}  # fmt: skip


def test_list_shows_every_user_and_method_with_its_origin(
    emu: emulator.Emulator, manifest: Path, state_url: str
) -> None:
    apply(emu, state_url, manifest)
    document = listed(emu, state_url)
    assert document["tenant"] == emu.url.lower()
    assert [user["user_id"] for user in document["users"]] == ["auth0|alice", "auth0|bob"]
    methods = methods_by_id(document)
    kinds = sorted((m["user_id"], m["origin"], m["type"]) for m in methods.values())
    assert kinds == [
        ("auth0|alice", "created", "phone"),  # the PUT mfasync sent
        ("auth0|alice", "created", "totp"),
        ("auth0|bob", "adopted", "phone"),  # live, fitted the declared phone's mask
        ("auth0|bob", "seen", "push"),  # listed, never declared
    ]
    live = {
        method["id"]
        for user in ("auth0|alice", "auth0|bob")
        for method in emu.state.methods_of(user)
    }
    assert set(methods) == live
    for method in methods.values():
        if method["origin"] == "seen":
            assert method["fingerprint"] is None
            assert method["fingerprint_verified"] is None
        else:
            assert len(str(method["fingerprint"])) == 64
            assert method["fingerprint_verified"] is (method["origin"] == "created")

    text = state(emu, state_url, "list")
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[0] == f"Tenant {emu.url.lower()} in {state_url}:"
    assert lines[-1] == "2 users, 4 method records."
    assert lines[1].split() == [
        "USER", "ORIGIN", "TYPE", "METHOD", "ID", "FINGERPRINT", "FIRST", "SEEN", "LAST", "SEEN"
    ]  # fmt: skip
    for method_id, method in methods.items():
        (row,) = [line for line in lines if method_id in line]
        cells = row.split()
        assert cells[:4] == [method["user_id"], method["origin"], method["type"], method_id]
        fingerprint = method["fingerprint"]
        if fingerprint is None:
            assert cells[4] == "-"
        else:  # a short prefix only, and an adopted one says it is unverified
            assert isinstance(fingerprint, str)
            assert cells[4] == fingerprint[:8]
            assert fingerprint not in text.stdout
            assert ("unverified" in cells) is (method["origin"] == "adopted")
    assert any(line.startswith("unverified: an adopted method's fingerprint") for line in lines)


def test_list_of_one_user(emu: emulator.Emulator, manifest: Path, state_url: str) -> None:
    apply(emu, state_url, manifest)
    document = listed(emu, state_url, "--user", "auth0|bob")
    assert [user["user_id"] for user in document["users"]] == ["auth0|bob"]
    assert {m["type"] for m in document["users"][0]["methods"]} == {"phone", "push"}
    text = state(emu, state_url, "list", "--user", "auth0|bob")
    assert "auth0|alice" not in text.stdout
    assert text.stdout.splitlines()[-1] == "1 user, 2 method records."
    nobody = state(emu, state_url, "list", "--user", "auth0|nobody")
    assert nobody.exit_code == 0
    assert nobody.stdout.splitlines() == [
        f"Tenant {emu.url.lower()} in {state_url}:",
        "0 users, 0 method records.",
    ]
    empty = state(emu, state_url, "list", "--user", "auth0|nobody", "--format", "json")
    assert json.loads(empty.stdout)["users"] == []


def test_a_large_list_is_read_and_printed_page_by_page_the_same(
    emu: emulator.Emulator, manifest: Path, state_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply(emu, state_url, manifest)
    forgot = state(emu, state_url, "forget", "auth0|bob", "--yes")
    assert forgot.exit_code == 0, forgot.output
    # users of every kind: with records of both kinds (alice), with a user record only (carol,
    # listed with no factor), with method records only (dave: records settled for a write)
    asyncio.run(_add_carol_and_dave(state_url, emu.url.lower()))
    whole = {fmt: state(emu, state_url, "list", "--format", fmt).stdout for fmt in ("text", "json")}
    monkeypatch.setattr(method_records, "PAGE_USERS", 1)
    paged = {fmt: state(emu, state_url, "list", "--format", fmt).stdout for fmt in ("text", "json")}
    assert paged == whole
    document = json.loads(whole["json"])
    assert whole["json"] == json.dumps(document, indent=2) + "\n"  # one ordinary JSON document
    users = {user["user_id"]: user for user in document["users"]}
    assert list(users) == ["auth0|alice", "auth0|carol", "auth0|dave"]
    assert users["auth0|carol"]["methods"] == []
    assert users["auth0|carol"]["record"]["in_sync"] is True
    assert users["auth0|dave"]["record"] is None
    assert [m["origin"] for m in users["auth0|dave"]["methods"]] == ["created"]
    assert "auth0|carol  -  " in whole["text"]
    assert "(no method records)" in whole["text"]
    assert whole["text"].splitlines()[-1] == "3 users, 3 method records."


async def _add_carol_and_dave(url: str, tenant: str) -> None:
    location = state_package.parse(url)
    assert location is not None
    store = await state_package.Store.open(location, tenant=tenant)
    now = datetime.datetime.now(datetime.UTC)
    try:
        await store.observe(
            state_package.Observation(
                user_id="auth0|carol",
                live=(),
                adoptions={},
                desired_fingerprint=None,
                in_sync=True,
                at=now,
            )
        )
        await store.record_settled(
            "auth0|dave",
            state_package.Written(created=(("phone|dev_dave", "phone", "f" * 64),)),
            at=now,
        )
    finally:
        await store.close()


def test_show_gives_the_user_record_its_methods_and_what_mfasync_wrote(
    emu: emulator.Emulator, manifest: Path, state_url: str
) -> None:
    apply(emu, state_url, manifest)
    result = state(emu, state_url, "show", "auth0|alice", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["user_id"] == "auth0|alice"
    record = document["record"]
    assert len(record["desired_fingerprint"]) == 64
    assert record["last_listed_at"].endswith("Z")
    assert record["in_sync"] is False  # the listing before the apply planned changes
    created = sorted(method["method_id"] for method in document["methods"])
    (run,) = document["history"]
    assert (run["command"], run["outcome"]) == ("apply", "ok")
    (write,) = run["writes"]
    assert (write["user_id"], write["op"], write["outcome"], write["status"]) == (
        "auth0|alice", "replace", "ok", 200
    )  # fmt: skip
    assert sorted(write["new_method_ids"]) == created  # the ids the PUT's answer gave

    text = state(emu, state_url, "show", "auth0|alice")
    assert text.exit_code == 0, text.output
    shown = text.stdout
    assert shown.startswith(f"auth0|alice in tenant {emu.url.lower()} ({state_url})\n")
    assert f"Desired entry: fingerprint recorded ({record['desired_fingerprint'][:8]})" in shown
    assert record["desired_fingerprint"] not in shown
    assert "not in sync" in shown
    assert "Method records: 2" in shown
    assert "History: 1 write in 1 run" in shown
    assert "run 1: apply, ok; started " in shown
    (line,) = [line for line in shown.splitlines() if " replace " in line]
    assert line.split()[-2:] == ["ok", "(200)"]
    assert all(method_id in line for method_id in created)

    bob = state(emu, state_url, "show", "auth0|bob")
    assert "unverified" in bob.stdout  # its phone was adopted: the fingerprint is unverified
    assert " patch " in bob.stdout


def test_show_of_a_user_the_state_never_met_is_one_line_and_exit_1(
    emu: emulator.Emulator,
    manifest: Path,
    state_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    apply(emu, state_url, manifest)
    args = ["state", "show", "auth0|nobody", "--state", state_url, "--domain", emu.url]
    code, out, err = through_main(args, capsys=capsys, monkeypatch=monkeypatch)
    assert code == 1
    assert out == ""
    assert err.splitlines() == [
        f"Error: the state of {emu.url.lower()} holds no record and no history of auth0|nobody"
    ]


def test_history_lists_runs_newest_first_with_their_writes(
    emu: emulator.Emulator, manifest: Path, state_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_RUN_ID", "4242")
    monkeypatch.setenv("GITHUB_REPOSITORY", "team/factors")
    apply(emu, state_url, manifest)
    monkeypatch.delenv("GITHUB_RUN_ID")
    plan = mfasync("plan", str(manifest), "--state", state_url, *connection(emu))
    assert plan.exit_code == 0, plan.output

    result = state(emu, state_url, "history", "--format", "json")
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)["runs"]
    assert [(run["run_id"], run["command"]) for run in runs] == [(2, "plan"), (1, "apply")]
    applied = runs[1]
    assert applied["outcome"] == "ok"
    assert applied["ci_job"] == "github:team/factors/actions/runs/4242"
    assert applied["host"]
    assert applied["os_user"]
    assert applied["pid"] > 0
    assert applied["ended_at"] >= applied["started_at"]
    assert applied["counts"]["replaced"] == 1
    assert applied["counts"]["updated"] == 1
    writes = [(w["user_id"], w["op"], w["method_type"], w["outcome"]) for w in applied["writes"]]
    assert sorted(writes, key=str) == sorted(
        [("auth0|alice", "replace", None, "ok"), ("auth0|bob", "patch", "phone", "ok")], key=str
    )
    assert runs[0]["writes"] == []
    assert runs[0]["ci_job"] is None

    text = state(emu, state_url, "history")
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[0] == f"Tenant {emu.url.lower()} in {state_url}: 2 runs."
    headings = [line for line in lines if line.startswith("run ")]
    assert headings[0].startswith("run 2: plan, ok; started ")
    assert headings[1].startswith("run 1: apply, ok; started ")
    assert f"by {applied['os_user']} on {applied['host']} (pid {applied['pid']})" in headings[1]
    assert headings[1].endswith("; CI job github:team/factors/actions/runs/4242")
    assert "  counts: created 2, replaced 1, updated 1" in lines
    (patch,) = [line for line in lines if " patch " in line]
    assert patch.split()[1:4] == ["auth0|bob", "patch", "phone"]
    assert patch.split()[-2:] == ["ok", "(200)"]

    only_bob = json.loads(
        state(emu, state_url, "history", "--user", "auth0|bob", "--format", "json").stdout
    )
    assert [run["run_id"] for run in only_bob["runs"]] == [1]  # the plan wrote nothing for bob
    assert [w["user_id"] for w in only_bob["runs"][0]["writes"]] == ["auth0|bob"]

    newest = state(emu, state_url, "history", "--limit", "1")
    assert "(the 1 newest; --limit N for more)" in newest.stdout.splitlines()[0]
    assert [line for line in newest.stdout.splitlines() if line.startswith("run ")] == [headings[0]]


def test_forget_asks_refuses_on_a_pipe_and_drops_only_the_records(
    emu: emulator.Emulator,
    manifest: Path,
    state_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    apply(emu, state_url, manifest)
    args = ["state", "forget", "auth0|bob", "--state", state_url, "--domain", emu.url]
    # no terminal to ask on (a pipe, CI): refused before anything is touched
    code, out, err = through_main(args, capsys=capsys, monkeypatch=monkeypatch)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "Error: state forget asks for confirmation, but stdin is not a terminal: pass --yes"
    ]
    assert len(listed(emu, state_url, "--user", "auth0|bob")["users"]) == 1

    monkeypatch.setattr(state_cmd, "_stdin_is_terminal", lambda: True)
    declined = state(emu, state_url, "forget", "auth0|bob", stdin="n\n")
    assert declined.exit_code == 1
    assert "Forget 2 method records and the user record of auth0|bob" in declined.stderr
    assert "Nothing forgotten." in declined.stderr
    assert len(listed(emu, state_url, "--user", "auth0|bob")["users"]) == 1

    accepted = state(emu, state_url, "forget", "auth0|bob", stdin="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "Forgot auth0|bob in " in accepted.stdout
    assert "2 method records dropped" in accepted.stdout
    users = listed(emu, state_url)["users"]
    assert [user["user_id"] for user in users] == ["auth0|alice"]  # alice's records are kept

    # the history stays: what mfasync wrote for bob, and the forget itself as a run
    shown = state(emu, state_url, "show", "auth0|bob", "--format", "json")
    assert shown.exit_code == 0, shown.output
    document = json.loads(shown.stdout)
    assert document["record"] is None
    assert document["methods"] == []
    assert [w["op"] for run in document["history"] for w in run["writes"]] == ["patch"]
    runs = json.loads(state(emu, state_url, "history", "--format", "json").stdout)["runs"]
    assert (runs[0]["command"], runs[0]["outcome"], runs[0]["counts"]) == (
        "state forget", "ok", {"forgotten": 2}
    )  # fmt: skip

    again = state(emu, state_url, "forget", "auth0|bob", "--yes")
    assert again.exit_code == 1
    assert "holds no record of auth0|bob: nothing to forget" in str(again.exception)


def test_forget_with_yes_needs_no_terminal_and_the_next_plan_sees_the_factors_afresh(
    emu: emulator.Emulator, manifest: Path, state_url: str
) -> None:
    apply(emu, state_url, manifest)
    forgot = state(emu, state_url, "forget", "auth0|alice", "--yes")
    assert forgot.exit_code == 0, forgot.output
    assert listed(emu, state_url, "--user", "auth0|alice")["users"] == []
    plan = mfasync("plan", str(manifest), "--state", state_url, *connection(emu))
    assert plan.exit_code == 0, plan.output
    (alice,) = listed(emu, state_url, "--user", "auth0|alice")["users"]
    # what mfasync created is now only known as fitting the declared values: adopted
    assert {method["origin"] for method in alice["methods"]} == {"adopted"}


def test_forget_waits_for_no_apply_it_fails_at_once_naming_the_holder(
    emu: emulator.Emulator, manifest: Path, state_url: str
) -> None:
    apply(emu, state_url, manifest)

    async def hold_then_forget() -> str:
        location = state_package.parse(state_url)
        assert location is not None
        store = await state_package.Store.open(location, tenant=emu.url.lower())
        try:
            async with state_package.TenantLock(store, timeout_s=0, host="ci-9", pid=99) as held:
                await held.name_run(77, since=datetime.datetime.now(datetime.UTC))
                result = await asyncio.to_thread(
                    state, emu, state_url, "forget", "auth0|bob", "--yes"
                )
                assert result.exit_code == 1
                return str(result.exception)
        finally:
            await store.close()

    message = asyncio.run(hold_then_forget())
    assert "is locked by run 77 (pid 99 on ci-9, since " in message
    assert len(listed(emu, state_url, "--user", "auth0|bob")["users"]) == 1


@pytest.mark.parametrize("command", [["list"], ["show", "auth0|alice"], ["history"]])
def test_with_state_none_there_is_nothing_to_show(
    command: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ["state", *command, "--state", "none", "--domain", "tenant.eu.auth0.com"]
    code, out, err = through_main(args, capsys=capsys, monkeypatch=monkeypatch)
    assert (code, out) == (1, "")
    assert err.splitlines() == ["Error: there is no state to show (--state none)"]


def test_the_commands_that_look_create_no_state_and_no_tenant(
    emu: emulator.Emulator,
    manifest: Path,
    state_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = tmp_path / "nowhere" / "state.db"
    args = ["state", "list", "--state", f"sqlite:///{missing}", "--domain", emu.url]
    code, _, err = through_main(args, capsys=capsys, monkeypatch=monkeypatch)
    assert code == 1
    assert err.splitlines() == [
        f"Error: there is no state at sqlite:///{missing} (no plan, apply or drift recorded "
        "one there)"
    ]
    assert not missing.parent.exists()

    apply(emu, state_url, manifest)
    other = ["state", "history", "--state", state_url, "--domain", "other.eu.auth0.com"]
    code, _, err = through_main(other, capsys=capsys, monkeypatch=monkeypatch)
    assert code == 1
    assert err.splitlines() == [
        f"Error: the state at {state_url} holds nothing for https://other.eu.auth0.com "
        f"(it holds {emu.url.lower()}; check --domain)"
    ]
    # looking did not add the tenant
    code, _, err = through_main(other, capsys=capsys, monkeypatch=monkeypatch)
    assert "holds nothing for https://other.eu.auth0.com" in err


def test_the_tenant_comes_from_auth0_domain_and_no_credentials_are_needed(
    emu: emulator.Emulator, manifest: Path, state_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply(emu, state_url, manifest)
    monkeypatch.setenv("AUTH0_DOMAIN", emu.url)
    monkeypatch.delenv("AUTH0_CLIENT_ID", raising=False)
    monkeypatch.delenv("AUTH0_CLIENT_SECRET", raising=False)
    result = mfasync("state", "list", "--state", state_url, "-v")
    assert result.exit_code == 0, result.output
    assert "4 method records" in result.stdout
    nowhere = mfasync("state", "list", "--state", state_url, "--domain", "")
    assert "no Auth0 domain: give --domain or set AUTH0_DOMAIN" in str(nowhere.exception)


def test_the_cli_imports_alembic_only_when_a_state_is_opened() -> None:
    # a quarter of a second that `--help`, `validate` and stateless runs need not pay
    code = "import sys, mfasync.cli.main; print('alembic' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False"
