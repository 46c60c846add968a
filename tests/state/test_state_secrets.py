"""No seed, token, client secret or full phone number in the state (a SQLite file, a PostgreSQL
dump) or in a saved plan; saved plans are fingerprinted with the state's own key."""

from __future__ import annotations

import glob
import json
import shutil
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import make_url

from mfasync import emulator
from mfasync.cli.main import cli

USER = "auth0|secret0001"
SEED = "JBSWY3DPEHPK3PXP"
PHONE = "+14155550123"
EMAIL = "someone.private@corp.example"


@pytest.fixture
def emu() -> Iterator[emulator.Emulator]:
    seeded = emulator.State(random_seed=3)
    emulator.seed_mapping(seeded, {"users": [{"user_id": USER, "methods": []}]})
    with emulator.run_in_thread(emulator.Config(), seeded) as running:
        yield running


def write_manifest(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "users.yaml").write_text(
        textwrap.dedent(
            f"""\
            version: 1
            users:
              - user_id: "{USER}"
                methods:
                  - {{type: phone, phone_number: "{PHONE}"}}
                  - {{type: email, email: "{EMAIL}"}}
                  - {{type: totp, name: App, totp_secret: "${{env:SECRET_TEST_SEED}}"}}
            """
        ),
        encoding="utf-8",
    )
    return folder


def run(emu: emulator.Emulator, state_url: str, *args: str) -> Result:
    connection = ["--domain", emu.url, "--client-id", emu.client_id]
    connection += ["--client-secret", emu.client_secret]
    env = {"SECRET_TEST_SEED": SEED, "MFASYNC_STATE": state_url}
    return CliRunner().invoke(cli, [*args, *connection], env=env)


def state_bytes(state_url: str) -> bytes:
    """Everything the state holds, as stored: the SQLite files, or a `pg_dump` of the database."""
    if state_url.startswith("sqlite:///"):
        path = Path(state_url[len("sqlite:///") :])
        return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))
    dump = shutil.which("pg_dump") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), reverse=True)), None
    )
    assert dump is not None, "pg_dump is part of the PostgreSQL server package"
    url = make_url(state_url)
    result = subprocess.run(
        [
            dump,
            "--host",
            str(url.host),
            "--port",
            str(url.port),
            "--username",
            str(url.username),
            "--data-only",
            str(url.database),
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert b"COPY public.mfasync_methods" in result.stdout  # the dump really holds the records
    return result.stdout


def test_the_state_holds_no_secret_and_no_full_phone_number(
    emu: emulator.Emulator, state_url: str, tmp_path: Path
) -> None:
    folder = write_manifest(tmp_path / "m")
    applied = run(emu, state_url, "apply", str(folder), "--yes")
    assert applied.exit_code == 0, applied.output
    assert run(emu, state_url, "plan", str(folder)).exit_code == 0
    stored = state_bytes(state_url)
    assert USER.encode() in stored  # the state names users: it is sensitive, not secret-bearing
    for secret in (SEED, PHONE, PHONE[1:], EMAIL, emu.client_secret):
        assert secret.encode() not in stored, secret


def test_a_saved_plan_is_fingerprinted_with_the_states_own_key(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    folder = write_manifest(tmp_path / "m")
    documents = []
    for name in ("one", "two"):
        out = tmp_path / f"{name}.json"
        state_url = f"sqlite:///{tmp_path / name / 'state.db'}"
        planned = run(emu, state_url, "plan", str(folder), "--out", str(out))
        assert planned.exit_code == 0, planned.output
        text = out.read_text(encoding="utf-8")
        for secret in (SEED, PHONE, PHONE[1:], EMAIL):
            assert secret not in text
        documents.append(json.loads(text))
    first, second = (_fingerprints(document) for document in documents)
    assert first
    assert len(first) == len(second)
    assert set(first).isdisjoint(second)  # two states, two keys: nothing to compare or guess
    assert documents[0]["state_key_id"] != documents[1]["state_key_id"]


def test_a_stateless_saved_plan_has_no_value_fingerprints(
    emu: emulator.Emulator, tmp_path: Path
) -> None:
    folder = write_manifest(tmp_path / "m")
    out = tmp_path / "plan.json"
    assert run(emu, "none", "plan", str(folder), "--out", str(out)).exit_code == 0
    assert _fingerprints(json.loads(out.read_text(encoding="utf-8"))) == []


def _fingerprints(document: dict[str, object]) -> list[str]:
    found: list[str] = []
    users = document["users"]
    assert isinstance(users, list)
    for user in users:
        for action in user["actions"]:
            for method in [action.get("method"), *action.get("methods", [])]:
                if method is not None:
                    found.extend(method.get("fingerprints", {}).values())
    return found
