"""-v / -q work after the command name too, as users type them (`mfasync plan -v`)."""

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from mfasync.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("flag", ["-v", "-vv", "--verbose", "-q", "--quiet"])
def test_verbosity_flags_are_accepted_after_the_command(flag: str) -> None:
    result = CliRunner().invoke(main.cli, ["validate", str(ROOT / "manifests"), flag])
    assert result.exit_code == 0, result.output


def _all_commands() -> dict[str, click.Command]:
    # the group imports a command when it is looked up (lazily): look every one up
    context = click.Context(main.cli)
    found = {name: main.cli.get_command(context, name) for name in main.cli.list_commands(context)}
    return {name: command for name, command in found.items() if command is not None}


def test_every_command_offers_verbose_and_quiet() -> None:
    commands = _all_commands()
    for name, command in dict(commands).items():  # a group's subcommands too
        for sub, subcommand in getattr(command, "commands", {}).items():
            commands[f"{name} {sub}"] = subcommand
    assert "state list" in commands
    missing = [
        name
        for name, command in sorted(commands.items())
        if not {"-v", "-q"} <= {opt for param in command.params for opt in param.opts}
    ]
    assert missing == []


def test_the_help_table_says_what_each_command_says_of_itself() -> None:
    # `mfasync --help` shows main.COMMANDS without importing the commands: it must not drift
    for name, command in _all_commands().items():
        first = (command.help or "").strip().splitlines()[0]
        assert main.COMMANDS[name][1] == first, name


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_scripts_are_produced_and_complete_command_names(shell: str) -> None:
    import os
    import subprocess
    import sys

    # the console script installed beside this interpreter (click names the variable after it)
    mfasync = str(Path(sys.executable).with_name("mfasync"))
    script = subprocess.run(
        [mfasync],
        env={**os.environ, "_MFASYNC_COMPLETE": f"{shell}_source"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "_MFASYNC_COMPLETE" in script.stdout
    completed = subprocess.run(
        [mfasync],
        env={
            **os.environ,
            "_MFASYNC_COMPLETE": "bash_complete",
            "COMP_WORDS": "mfasync st",
            "COMP_CWORD": "1",
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "plain,state" in completed.stdout.splitlines()
