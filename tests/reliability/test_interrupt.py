"""Claim: Ctrl-C (or SIGTERM) during apply stops it cleanly, and what it says matches the tenant.

`python -m mfasync apply DIR --yes --report FILE` runs as a real process against an emulator in
this process (its own thread and loop, slowed by latency so the run takes a while), and gets real
signals once the tenant has seen some writes:

- one SIGINT / SIGTERM: no new user starts, users in flight finish the action they are sending;
  the summary and the report are written, the exit code is 130, and the report's applied actions
  are exactly the writes the emulator's own tenant log recorded for the run;
- a second SIGINT, or the grace period over, abandons the writes in flight (exit 130 still);
- no user is ever left without a factor he had, and a second apply finishes the job.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mfasync import emulator
from tests.reliability import tenant
from tests.reliability.conftest import invoke, writes
from tests.reliability.test_kill_rerun import WAIT_LIMIT_S, _environment

USERS = 200
#: The tenant log's lower-case method of each write, by the plan's operation.
OPS_BY_METHOD = {"post": "create", "patch": "patch", "delete": "delete", "put": "replace"}


def _start(
    emu: emulator.Emulator, folder: Path, report: Path, *extra: str
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mfasync",
            "apply",
            str(folder),
            "--yes",
            "--concurrency",
            "4",
            "--report",
            str(report),
            *extra,
        ],
        env=_environment(emu),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for_writes(process: subprocess.Popen[bytes], emu: emulator.Emulator, count: int) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_S
    while writes(emu) < count:
        assert process.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline, "the run never reached its writes"
        time.sleep(0.005)


def _logged_writes(emu: emulator.Emulator, since: int) -> Counter[str]:
    """The successful authentication-method writes the tenant logged after event `since`."""
    counts: Counter[str] = Counter()
    for event in emu.state.logs.events()[since:]:
        request = event.get("details", {}).get("request", {})
        if event["type"] == "sapi" and "/authentication-methods" in request.get("path", ""):
            counts[OPS_BY_METHOD[request["method"]]] += 1
    return counts


def _reported_writes(report: dict[str, Any]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for user in report["users"]:
        for action in user["actions"]:
            if action["status"] == "applied":
                counts[action["op"]] += 1
    return counts


def _scenario(latency_ms: float, users: int = USERS) -> tuple[tenant.Tenant, emulator.Config]:
    """`users` fewer where the latency is high, so that planning them stays short."""
    config = emulator.Config(faults=emulator.Faults(latency_ms=latency_ms, seed=7))
    return tenant.build(users, seed=7), config


@pytest.mark.slow
@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM])
def test_one_signal_stops_gently_with_a_summary_and_report_that_match_the_log(
    sent: signal.Signals, tmp_path: Path
) -> None:
    built, config = _scenario(latency_ms=20.0)
    folder = built.write_manifests(tmp_path / "manifests")
    ids = built.user_ids()
    report_file = tmp_path / "report.json"
    with emulator.run_in_thread(config, built.state()) as emu:
        since = emu.state.logs.count()
        process = _start(emu, folder, report_file)
        _wait_for_writes(process, emu, 20)
        process.send_signal(sent)
        stdout, stderr = process.communicate(timeout=WAIT_LIMIT_S)
        out, err = stdout.decode(), stderr.decode()

        assert process.returncode == 130, err[-2000:]
        assert f"{sent.name}: stopping." in err
        assert "Traceback" not in err
        report = json.loads(report_file.read_text(encoding="utf-8"))
        assert report["interrupted"] is True
        summary = report["summary"]
        assert summary["users_not_started"] > 0  # the stop came early: users were left
        # every action the report calls applied is a write the tenant logged, and no other
        logged = _logged_writes(emu, since)
        assert _reported_writes(report) == logged
        assert summary["deleted"] == logged["delete"]
        assert summary["updated"] == logged["patch"]
        assert summary["replaced"] == logged["replace"]
        # the summary line tells the report's numbers
        assert f"{summary['deleted']} deleted" in out
        assert f"{summary['users_not_started']} users not started" in out
        assert "Run apply again to finish." in out
        # a gentle stop abandons nothing: every write sent was answered
        statuses = {a["status"] for user in report["users"] for a in user["actions"]}
        assert "unknown" not in statuses
        halfway = [u for u in report["users"] if u["status"] == "interrupted"]
        for user in halfway:  # listed in the summary, by the key the screen shows
            assert user["key"] in out
        assert emu.state.users_emptied_after_having() == set()
        assert tenant.duplicates(emu.state, ids) == {}

        # the next apply finishes the job
        final = _start(emu, folder, tmp_path / "final.json")
        stdout, stderr = final.communicate(timeout=WAIT_LIMIT_S)
        assert final.returncode == 0, stderr.decode()[-2000:]
        assert tenant.actual(emu.state, ids) == tenant.expected(built)
        assert emu.state.users_emptied_after_having() == set()


@pytest.mark.slow
def test_a_second_signal_stops_at_once_and_the_next_apply_settles_what_was_abandoned(
    tmp_path: Path,
) -> None:
    # every write still in flight when the second signal comes
    built, config = _scenario(latency_ms=400.0, users=40)
    folder = built.write_manifests(tmp_path / "manifests")
    ids = built.user_ids()
    report_file = tmp_path / "report.json"
    with emulator.run_in_thread(config, built.state()) as emu:
        process = _start(emu, folder, report_file)
        _wait_for_writes(process, emu, 4)
        process.send_signal(signal.SIGINT)
        time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=WAIT_LIMIT_S)
        err = stderr.decode()
        assert process.returncode == 130, err[-2000:]
        assert "SIGINT again: stopping at once." in err
        assert "Traceback" not in err
        report = json.loads(report_file.read_text(encoding="utf-8"))
        assert report["interrupted"] is True
        abandoned = [
            user
            for user in report["users"]
            if any(action["status"] == "unknown" for action in user["actions"])
        ]
        assert abandoned, "a hard stop 50 ms into 400 ms writes abandons some"
        assert all(user["status"] == "interrupted" for user in abandoned)
        assert emu.state.users_emptied_after_having() == set()

        # the stopped run's abandoned writes are named by the next apply, which converges
        final = _start(emu, folder, tmp_path / "final.json")
        _stdout, stderr = final.communicate(timeout=WAIT_LIMIT_S * 3)
        assert final.returncode == 0, stderr.decode()[-2000:]
        assert "was interrupted" in stderr.decode()
        assert tenant.actual(emu.state, ids) == tenant.expected(built)
        assert tenant.duplicates(emu.state, ids) == {}


@pytest.mark.slow
def test_the_grace_period_ends_a_gentle_stop_that_takes_too_long(tmp_path: Path) -> None:
    built, config = _scenario(latency_ms=1500.0, users=9)  # under the ratio guard
    folder = built.write_manifests(tmp_path / "manifests")
    report_file = tmp_path / "report.json"
    with emulator.run_in_thread(config, built.state()) as emu:
        process = _start(emu, folder, report_file, "--grace-period", "0.2")
        _wait_for_writes(process, emu, 1)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=WAIT_LIMIT_S)
        err = stderr.decode()
        assert process.returncode == 130, err[-2000:]
        assert "The grace period (0.2 s) is over: stopping at once." in err
        report = json.loads(report_file.read_text(encoding="utf-8"))
        statuses = {a["status"] for user in report["users"] for a in user["actions"]}
        assert "unknown" in statuses


def test_ctrl_c_while_planning_ends_the_run_with_130_and_writes_nothing(tmp_path: Path) -> None:
    built, config = _scenario(latency_ms=200.0, users=60)  # planning takes seconds
    folder = built.write_manifests(tmp_path / "manifests")
    with emulator.run_in_thread(config, built.state()) as emu:
        process = _start(emu, folder, tmp_path / "report.json")
        deadline = time.monotonic() + WAIT_LIMIT_S
        while sum(emu.stats.snapshot().values()) < 5:  # a few reads: it is planning
            assert time.monotonic() < deadline
            time.sleep(0.005)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=WAIT_LIMIT_S)
        assert process.returncode == 130, stderr.decode()[-2000:]
        assert writes(emu) == 0
        assert "Traceback" not in stderr.decode()
        result = invoke(emu, "plan", str(folder), "--format", "json")
        assert result.exit_code == 0, result.output[-2000:]
        assert json.loads(result.stdout)["summary"]["create"] > 0  # everything still to do
