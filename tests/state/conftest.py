"""Helpers of the `mfasync state` command tests: a tenant, a manifest, the CLI run in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from mfasync import emulator
from mfasync.cli import main as cli_main

SEED = "JBSWY3DPEHPK3PXP"  # a well-known example seed, not a real one

MANIFEST = """\
version: 1
users:
  - user_id: "auth0|alice"
    methods:
      - type: phone
        name: Work phone
        phone_number: "+14155550123"
      - type: totp
        name: Authenticator
        totp_secret: ${env:ALICE_TOTP}
  - user_id: "auth0|bob"
    methods:
      - type: phone
        name: Work phone
        phone_number: "+14155550456"
"""


def tenant() -> emulator.State:
    """alice has no factor; bob has a phone (adopted by the manifest) and a push (seen)."""
    state = emulator.State(random_seed=15)
    emulator.seed_mapping(
        state,
        {
            "users": [
                {"user_id": "auth0|alice", "methods": []},
                {
                    "user_id": "auth0|bob",
                    "methods": [
                        {"type": "phone", "name": "SMS", "phone_number": "+14155550456"},
                        {"type": "push", "name": "Guardian"},
                    ],
                },
            ]
        },
    )
    state.reset_history()
    return state


@pytest.fixture
def emu() -> Iterator[emulator.Emulator]:
    with emulator.run_in_thread(emulator.Config(), tenant()) as running:
        yield running


@pytest.fixture
def manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    monkeypatch.setenv("ALICE_TOTP", SEED)
    monkeypatch.delenv("AUTH0_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("AUTH0_DOMAIN", raising=False)
    return path


def connection(emu: emulator.Emulator) -> list[str]:
    return ["--domain", emu.url, "--client-id", emu.client_id, "--client-secret", emu.client_secret]


def mfasync(*args: str, stdin: str | None = None) -> Result:
    """`mfasync args` in-process (errors stay exceptions: see `through_main` for the boundary)."""
    return CliRunner().invoke(cli_main.cli, list(args), input=stdin)


def apply(emu: emulator.Emulator, url: str, *paths: str | Path) -> Result:
    result = mfasync("apply", *map(str, paths), "--yes", "--state", url, *connection(emu))
    assert result.exit_code == 0, result.output
    return result


def state(emu: emulator.Emulator, url: str, *args: str, stdin: str | None = None) -> Result:
    """`mfasync state ARGS --state URL --domain EMULATOR` (no credentials: none are needed)."""
    return mfasync("state", *args, "--state", url, "--domain", emu.url, stdin=stdin)


def listed(emu: emulator.Emulator, url: str, *args: str) -> dict[str, Any]:
    result = state(emu, url, "list", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def through_main(
    args: list[str], *, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """`mfasync args` through the real entry point and its error boundary: (code, out, err)."""
    monkeypatch.setattr("sys.argv", ["mfasync", *args])
    try:
        cli_main.main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err
