"""`mfasync demo`: the whole story runs in a folder of its own and exits 0."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from mfasync.cli import main

# The bundled legacy CSV's numbers and seeds: none may reach the demo's output.
SECRETS = ("JBSWY3DPEHPK3PXP", "GEZDGNBVGY3TQOJQ", "MFRGGZDFMZTWQ2LK")
FULL_PHONE = re.compile(r"\+\d{8,}|\d{3} \d{3} \d{4}")


def test_demo_runs_every_step_in_the_given_folder_and_exits_0(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    env = {"AUTH0_DOMAIN": "tenant.example.com", "AUTH0_ACCESS_TOKEN": "real-token-DO-NOT-USE"}
    result = CliRunner().invoke(main.cli, ["demo", "--dir", str(folder)], env=env)
    assert result.exit_code == 0, result.output
    for command in (
        "$ mfasync import csv legacy/users.csv --out manifests",
        "$ mfasync validate manifests",
        "$ mfasync plan manifests --detailed-exitcode",
        "$ mfasync apply manifests --yes",
        "$ mfasync drift manifests",
    ):
        assert command in result.stdout
    assert "Drift: 1 user drifted (1 missing, 0 unexpected, 0 changed)" in result.stdout
    assert "The demo went as expected." in result.stdout
    assert (folder / "legacy" / "users.csv").is_file()
    assert (folder / "manifests" / "users-0001.yaml").is_file()
    everything = result.stdout + result.stderr
    assert [secret for secret in SECRETS if secret in everything] == []
    assert FULL_PHONE.findall(everything) == []
    assert "real-token-DO-NOT-USE" not in everything


def test_demo_works_in_a_temporary_folder_by_default() -> None:
    result = CliRunner().invoke(main.cli, ["demo"], env={"AUTH0_DOMAIN": "tenant.example.com"})
    assert result.exit_code == 0, result.output
    assert "removed at the end" in result.stdout
