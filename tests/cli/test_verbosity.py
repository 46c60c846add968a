"""-v / -q work after the command name too, as users type them (`mfasync plan -v`)."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from mfasync.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("flag", ["-v", "-vv", "--verbose", "-q", "--quiet"])
def test_verbosity_flags_are_accepted_after_the_command(flag: str) -> None:
    result = CliRunner().invoke(main.cli, ["validate", str(ROOT / "manifests"), flag])
    assert result.exit_code == 0, result.output


def test_every_command_offers_verbose_and_quiet() -> None:
    commands = dict(main.cli.commands)
    for name, command in main.cli.commands.items():  # a group's subcommands too
        for sub, subcommand in getattr(command, "commands", {}).items():
            commands[f"{name} {sub}"] = subcommand
    assert "state list" in commands
    missing = [
        name
        for name, command in sorted(commands.items())
        if not {"-v", "-q"} <= {opt for param in command.params for opt in param.opts}
    ]
    assert missing == []
