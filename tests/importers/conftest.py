"""Helpers for the importer tests: run `mfasync import` through the real CLI group."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mfasync.cli import main


@dataclass(frozen=True)
class ImportRun:
    """One `mfasync import` run: its exit code, streams and output folder."""

    exit_code: int
    stdout: str
    stderr: str
    out_dir: Path

    @property
    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.out_dir / "import-report.json").read_text())
        return data

    @property
    def reasons(self) -> list[tuple[str, str | None, str]]:
        """(where, user, reason) of every rejection, in report order."""
        return [(r["where"], r["user"], r["reason"]) for r in self.report["rejected"]]

    def text(self, name: str) -> str:
        return (self.out_dir / name).read_text()

    def all_output(self) -> str:
        """Every byte the run produced except the secrets file: manifests, report, streams."""
        parts = [self.stdout, self.stderr]
        parts += [
            path.read_text()
            for path in sorted(self.out_dir.iterdir())
            if path.name != ".secrets.yaml"
        ]
        return "\n".join(parts)


Runner = Callable[..., ImportRun]


@pytest.fixture
def run_import(tmp_path: Path) -> Runner:
    """`run_import("csv", text, "--users-per-file", "2", out="name")` -> ImportRun."""

    def run(format_name: str, text: str, *args: str, out: str = "out") -> ImportRun:
        source = tmp_path / f"input-{format_name}.txt"
        source.write_text(text, encoding="utf-8")
        out_dir = tmp_path / out
        result = CliRunner().invoke(
            main.cli,
            ["import", format_name, str(source), "--out", str(out_dir), *args],
            catch_exceptions=False,
        )
        return ImportRun(result.exit_code, result.stdout, result.stderr, out_dir)

    return run
