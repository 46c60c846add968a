"""Bad states and state failures: one clear line, exit 1, and nothing written to the tenant
without a journal entry first."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from mfasync import emulator, errors, state
from mfasync.cli.main import cli
from tests.reliability.conftest import connection_args, writes

USERS = 20


@pytest.fixture
def emu() -> Iterator[emulator.Emulator]:
    seeded = emulator.State(random_seed=4)
    users = [{"user_id": f"auth0|fault{i:03d}", "methods": []} for i in range(USERS)]
    emulator.seed_mapping(seeded, {"users": users})
    with emulator.run_in_thread(emulator.Config(), seeded) as running:
        yield running


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    body = "version: 1\nusers:\n" + "".join(
        f'  - user_id: "auth0|fault{i:03d}"\n    methods:\n'
        f'      - {{type: phone, phone_number: "+1415555{i:04d}"}}\n'
        for i in range(USERS)
    )
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "users.yaml").write_text(body, encoding="utf-8")
    return tmp_path / "m"


def mfasync(emu: emulator.Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command line (`main()`'s error boundary), as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "mfasync", *args, *connection_args(emu)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "MFASYNC_STATE"},
    )


def corrupt(tmp_path: Path) -> str:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"not a database" * 512)
    return f"sqlite:///{path}"


@pytest.mark.parametrize(
    ("state_url", "expected"),
    [
        ("mysql://admin:hunter2@db/x", "unknown kind of state"),
        ("postgresql://mfasync:hunter2@127.0.0.1:1/mfasync", "state postgresql://mfasync:***@"),
        ("sqlite://relative.db", "three slashes"),
        (corrupt, "not a database"),
    ],
    ids=["unknown-scheme", "refused-postgresql", "bad-sqlite-url", "corrupt-sqlite"],
)
def test_a_bad_state_is_one_line_exit_1_and_nothing_reaches_the_tenant(
    emu: emulator.Emulator,
    folder: Path,
    tmp_path: Path,
    state_url: object,
    expected: str,
) -> None:
    url = state_url(tmp_path) if callable(state_url) else str(state_url)
    result = mfasync(emu, "apply", str(folder), "--yes", "--state", url)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "hunter2" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert emu.stats.total() == 0  # not even a token request


def test_a_state_that_fails_mid_apply_stops_writes_after_those_in_flight(
    emu: emulator.Emulator, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journaled = 0
    original = state.Store.intend

    async def failing_intend(self: state.Store, *args: object, **kwargs: object) -> int:
        nonlocal journaled
        if journaled >= 5:
            raise errors.StateError("state sqlite:///x: disk I/O error")
        journaled += 1
        return await original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(state.Store, "intend", failing_intend)
    result = CliRunner().invoke(
        cli,
        ["apply", str(folder), "--yes", "--concurrency", "2", *connection_args(emu)],
        env={"MFASYNC_STATE": f"sqlite:///{tmp_path / 's' / 'state.db'}"},
    )
    assert isinstance(result.exception, errors.StateError)
    assert "no write was sent after it" in str(result.exception)
    assert writes(emu) == journaled == 5  # every write that reached the tenant was journaled first
