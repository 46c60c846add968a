"""Shared plumbing of the benchmarks: emulated tenants, manifests, and running the real CLI.

`run_cli` runs `mfasync ...` in this process, exactly as the console script does (same click
group, same composition root), so a benchmark measures the product as users run it, minus the
interpreter's start-up. Output is captured and dropped; only the exit code and the wall time are
kept. This module must not print a secret: credentials go to the CLI as arguments in-process,
never to a terminal or a file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import click

from mfasync import emulator, errors
from mfasync.cli import main as cli_main

API_ROUTE = "/api/v2/users/{user_id}/authentication-methods"
METHOD_ROUTE = API_ROUTE + "/{method_id}"


@dataclasses.dataclass(frozen=True)
class CliRun:
    code: int
    seconds: float
    stdout: str
    stderr: str


def run_cli(args: Sequence[str]) -> CliRun:
    """`mfasync ARGS` in-process; returns the exit code, the wall time and the captured output."""
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            result = cli_main.cli.main(args=list(args), prog_name="mfasync", standalone_mode=False)
            code = result if isinstance(result, int) else 0
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except (click.ClickException, errors.MfasyncError) as exc:
            print(f"Error: {exc}", file=err)
            code = 1
    return CliRun(code, time.perf_counter() - start, out.getvalue(), err.getvalue())


def connection_args(emu: emulator.Emulator) -> list[str]:
    """Client-credentials flags for the CLI, as a user of the emulator passes them."""
    return [
        "--domain",
        emu.url,
        "--client-id",
        emu.client_id,
        "--client-secret",
        emu.client_secret,
    ]


def write_manifest(path: Path, users: Iterable[str]) -> Path:
    """A manifest file from pre-rendered user blocks (YAML text, indented under `users:`)."""
    path.write_text("version: 1\nusers:\n" + "".join(users))
    return path


def phone_user(user_id: str, number: str, name: str, *, prune: str | None = None) -> str:
    """One manifest user with one phone method (YAML text)."""
    lines = [f'  - user_id: "{user_id}"']
    if prune:
        lines.append(f"    prune: {prune}")
    lines += [
        "    methods:",
        "      - type: phone",
        f'        name: "{name}"',
        f'        phone_number: "{number}"',
    ]
    return "\n".join(lines) + "\n"


def api_counts(stats: emulator.Stats) -> dict[str, int]:
    """Requests by kind from the emulator's counters (API routes only, drops included)."""
    counts = {"list": 0, "post": 0, "put": 0, "patch": 0, "delete": 0, "other": 0, "429": 0}
    for (method, route, status), count in stats.snapshot().items():
        if not route.startswith("/api/v2"):
            continue
        if status == 429:
            counts["429"] += count
            continue
        if method == "GET" and route == API_ROUTE:
            counts["list"] += count
        elif method.lower() in counts and route in (API_ROUTE, METHOD_ROUTE):
            counts[method.lower()] += count
        else:
            counts["other"] += count
    return counts
