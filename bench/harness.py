"""Result rows, the table printed at the end of a run, and the results files.

A benchmark returns `Row`s: one measured figure each, with its target and whether it was met.
This module formats and writes them (`bench/results/latest.md` and `latest.json`); it must not
measure anything itself.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclasses.dataclass(frozen=True)
class Row:
    """One measured figure. `met` is None when the figure has no target (context only)."""

    bench: str
    case: str
    metric: str
    value: str
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        return {True: "ok", False: "MISSED", None: ""}[self.met]


def machine() -> dict[str, str]:
    """What the figures were measured on (cores, memory, Python), for the results file."""
    memory = ""
    try:
        memory = subprocess.run(
            ["free", "-h"], capture_output=True, text=True, check=False, timeout=5
        ).stdout.splitlines()[1]
        memory = " ".join(memory.split()[1:2])
    except (OSError, IndexError, subprocess.SubprocessError):
        memory = "?"
    return {
        "cpus": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


_COLUMNS = ("bench", "case", "metric", "value", "target", "verdict")


def _cells(row: Row) -> tuple[str, ...]:
    return (row.bench, row.case, row.metric, row.value, row.target, row.verdict)


def table(rows: Sequence[Row]) -> str:
    """A plain fixed-width table for the terminal."""
    cells = [_COLUMNS, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def markdown(rows: Sequence[Row], *, command: str, quick: bool, seconds: float) -> str:
    info = machine()
    out = [
        "# mfasync benchmark results",
        "",
        f"Command: `{command}` ({'quick' if quick else 'full'} size), {seconds:.0f} s in all.",
        f"Machine: {info['cpus']} CPUs, {info['memory']} RAM, Python {info['python']}, "
        f"{info['platform']}; {info['date']}.",
        "",
        "| benchmark | case | metric | value | target | verdict |",
        "|---|---|---|---|---|---|",
    ]
    out += ["| " + " | ".join(_cells(row)) + " |" for row in rows]
    notes = [f"- {row.bench} / {row.case}: {row.note}" for row in rows if row.note]
    if notes:
        out += ["", "Notes:", "", *notes]
    return "\n".join(out) + "\n"


def write(rows: Sequence[Row], *, command: str, quick: bool, seconds: float) -> list[Path]:
    """Write `latest.md` and `latest.json` under bench/results; returns the paths."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    md_path = RESULTS_DIR / "latest.md"
    json_path = RESULTS_DIR / "latest.json"
    md_path.write_text(markdown(rows, command=command, quick=quick, seconds=seconds))
    document = {
        "command": command,
        "quick": quick,
        "seconds": round(seconds, 1),
        "machine": machine(),
        "rows": [dataclasses.asdict(row) | {"verdict": row.verdict} for row in rows],
    }
    json_path.write_text(json.dumps(document, indent=2) + "\n")
    return [md_path, json_path]


def say(text: str) -> None:
    """Progress of the harness itself, on stderr (the table goes to stdout)."""
    print(text, file=sys.stderr, flush=True)
