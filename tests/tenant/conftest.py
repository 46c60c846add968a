"""Fixtures for the enterprise-tenant claims: a manifest, a threaded emulator, a CLI invoker."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mfasync import emulator
from mfasync.cli import main

MANIFEST = """\
version: 1
users:
  - user_id: "auth0|alice"
    methods:
      - type: phone
        name: Work phone
        phone_number: "+14155550123"
"""


def seeded(users: Sequence[Mapping[str, Any]] | None = None) -> emulator.State:
    state = emulator.State(random_seed=3)
    emulator.seed_mapping(state, {"users": list(users or [{"user_id": "auth0|alice"}])})
    state.reset_history()
    return state


@pytest.fixture
def manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    for name in ("AUTH0_ACCESS_TOKEN", "AUTH0_AUDIENCE", "HTTPS_PROXY", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return path


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Runner:
    """Runs `mfasync` in-process through its console entry point (the one-line error boundary)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
        self._monkeypatch = monkeypatch
        self._capsys = capsys

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Outcome:
        with self._monkeypatch.context() as patch:
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            patch.setattr(sys, "argv", ["mfasync", *args])
            self._capsys.readouterr()
            try:
                main.main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            else:  # pragma: no cover - main always exits
                code = 0
            captured = self._capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    def against(
        self, emu: emulator.Emulator, *args: str, env: dict[str, str] | None = None
    ) -> Outcome:
        """Run with the emulator's domain and client credentials appended."""
        connection = ["--domain", emu.url, "--client-id", emu.client_id]
        connection += ["--client-secret", emu.client_secret]
        return self(*args, *connection, env=env)


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Runner:
    return Runner(monkeypatch, capsys)
