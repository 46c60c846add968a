"""Shared helpers of the reliability tests: running the CLI in-process and counting writes."""

from __future__ import annotations

from collections.abc import Sequence

from click.testing import CliRunner, Result

from mfasync import emulator
from mfasync.cli.main import cli


def connection_args(emu: emulator.Emulator) -> list[str]:
    return [
        "--domain",
        emu.url,
        "--client-id",
        emu.client_id,
        "--client-secret",
        emu.client_secret,
    ]


def invoke(emu: emulator.Emulator, *args: str, top: Sequence[str] = ()) -> Result:
    """`mfasync [top] args --domain ... --client-id ... --client-secret ...` in-process."""
    return CliRunner().invoke(cli, [*top, *args, *connection_args(emu)])


def writes(emu: emulator.Emulator) -> int:
    """Writes the Management API received (token requests are not writes)."""
    return sum(
        count
        for (method, route, _status), count in emu.stats.snapshot().items()
        if method != "GET" and "oauth" not in route
    )
