"""Claim: `apply` killed with SIGKILL at any moment is safe to run again.

`python -m mfasync apply DIR --yes` runs as a real process against an emulator in this process
(its own thread and loop, with a little latency so that a run takes a while). It is killed with
SIGKILL once the tenant has received a seeded number of writes, sometimes more than once in a
row; then it is run to the end. The tenant must end exactly as declared, hold no method twice,
and no user may ever have been left without a factor he had, not even between the kill and the
re-run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mfasync import emulator
from tests.reliability import tenant
from tests.reliability.conftest import invoke, writes

USERS = 60
LATENCY_MS = 15.0
#: A bound on how long one test may wait for a write count (a hang guard, not a timed claim).
WAIT_LIMIT_S = 60.0


def _environment(emu: emulator.Emulator) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AUTH0_") and key != "NO_COLOR"
    }
    env.update(
        AUTH0_DOMAIN=emu.url,
        AUTH0_CLIENT_ID=emu.client_id,
        AUTH0_CLIENT_SECRET=emu.client_secret,
        NO_COLOR="1",
    )
    return env


def _start(emu: emulator.Emulator, folder: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mfasync",
            "-q",
            "apply",
            str(folder),
            "--yes",
            "--concurrency",
            "6",
            "--max-rps",
            "1000",
        ],
        env=_environment(emu),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _kill_after(process: subprocess.Popen[bytes], emu: emulator.Emulator, count: int) -> bool:
    """SIGKILL the run once the tenant saw `count` writes. False if it finished first."""
    deadline = time.monotonic() + WAIT_LIMIT_S
    while writes(emu) < count:
        if process.poll() is not None or time.monotonic() > deadline:
            process.communicate()
            return False
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL
    return True


def _scenario(seed: int) -> tuple[tenant.Tenant, emulator.Config]:
    config = emulator.Config(faults=emulator.Faults(latency_ms=LATENCY_MS, seed=seed))
    return tenant.build(USERS, seed=seed), config


def _pending_writes(emu: emulator.Emulator, folder: Path) -> int:
    """How many writes an undisturbed run would send now: one per planned action."""
    result = invoke(emu, "plan", str(folder), "--format", "json", "--max-rps", "1000")
    assert result.exit_code == 0, result.output[-2000:]
    summary = json.loads(result.stdout)["summary"]
    return sum(int(summary[op]) for op in ("create", "patch", "delete", "replace"))


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "kills"), [(1, 1), (2, 1), (3, 2), (4, 3)])
def test_apply_killed_with_sigkill_converges_when_run_again(
    seed: int, kills: int, tmp_path: Path
) -> None:
    rng = random.Random(seed)
    built, config = _scenario(seed)
    folder = built.write_manifests(tmp_path / "manifests")
    ids = built.user_ids()
    with emulator.run_in_thread(config, built.state()) as emu:
        for _ in range(kills):
            pending = _pending_writes(emu, folder)
            assert pending >= 2  # there is still a moment to kill it at
            # The kill comes after a seeded number of this run's writes, within its first half.
            moment = writes(emu) + rng.randint(1, pending // 2)
            assert _kill_after(_start(emu, folder), emu, moment)
            assert emu.state.users_emptied_after_having() == set()
            assert tenant.duplicates(emu.state, ids) == {}
        final = _start(emu, folder)
        stdout, stderr = final.communicate(timeout=WAIT_LIMIT_S)
        assert final.returncode == 0, stderr.decode()[-2000:]
        assert b"0 users failed, 0 stale." in stdout
        assert tenant.actual(emu.state, ids) == tenant.expected(built)
        assert tenant.duplicates(emu.state, ids) == {}
        assert emu.state.users_emptied_after_having() == set()
        assert _pending_writes(emu, folder) == 0
