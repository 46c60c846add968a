"""`mfasync config [COMMAND] [FLAGS...]`: the effective settings, and where each came from.

The settings are read by click itself from the real options: without COMMAND, those that several
commands share (the connection, `--state`, `--lock-timeout`, the pace and `--incremental`
options, declared by the same decorators the commands use); with COMMAND (`plan`, `state list`...),
every option of that command, its `[COMMAND]` table included. FLAGS are parsed as that command
would parse them, so `flag` > `env VAR` > `file PATH` > `default` is what the command would see.
It also converts every value of the config file for every command, so it checks the whole file.

What it must not do: show a secret. The client secret and the token are `(set)` or `(not set)`;
a password in the state URL is `***`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from mfasync.cli import config_file, incremental_run, options, output, stateful

FORMAT_VERSION = 1
SHARED = "settings"  # the info name of the shared settings' command


def _shared_settings() -> click.Command:
    """A command holding the options several commands share, from their own decorators."""

    def settings(**_: Any) -> None:
        """The settings several commands share."""

    decorators: list[Callable[[Any], Any]] = [
        options.connection_options,
        stateful.state_option,
        stateful.lock_timeout_option,
        options.pace_options,
        incremental_run.incremental_options,
    ]
    for decorator in reversed(decorators):
        settings = decorator(settings)
    return click.command(SHARED)(settings)


@click.command(
    "config",
    context_settings={"ignore_unknown_options": True},
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for tools.",
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED, metavar="[COMMAND] [FLAGS]...")
@click.pass_context
def command(ctx: click.Context, output_format: str, args: tuple[str, ...]) -> None:
    """Show the effective settings and where each came from (flag, env, file or default).

    Without COMMAND: the settings several commands share (connection, state, lock timeout,
    pace, incremental). With COMMAND (plan, "state list"...): all of that command's, with its
    [COMMAND] table. FLAGS are read as that command would read them. Secrets are never shown.
    Every value of the config file is checked for every command.
    """
    root = ctx.find_root()
    group = root.command
    loaded: config_file.ConfigFile | None = ctx.meta.get(config_file.META_KEY)
    if loaded is not None and isinstance(group, click.Group):
        commands = {name: group.get_command(root, name) for name in group.list_commands(root)}
        config_file.check_all(loaded, {n: c for n, c in commands.items() if c is not None})
    path, target, rest = _target(root, args)
    defaults: dict[str, Any] = {}
    from_file: dict[str, config_file.Setting] = {}
    if loaded is not None:
        from_file = config_file.settings_for(loaded, path, target)
        defaults = {name: setting.value for name, setting in from_file.items()}
    sub = target.make_context(path, list(rest), parent=ctx, default_map=defaults)
    rows = _rows(sub, target, from_file)
    console = ctx.find_object(output.Console) or output.Console()
    if output_format == "json":
        document = {
            "format_version": FORMAT_VERSION,
            "config_file": _file_document(loaded),
            "command": None if path == SHARED else path,
            "settings": {key: {"value": value, "source": source} for key, value, _, source in rows},
        }
        console.result(json.dumps(document, indent=2))
        return
    console.result(f"config file: {_file_line(loaded)}")
    console.result(f"settings of {path}:" if path != SHARED else "shared settings:")
    width = max((len(key) for key, *_ in rows), default=0)
    shown_width = max((len(shown) for _, _, shown, _ in rows), default=0)
    for key, _, shown, source in rows:
        console.result(f"  {key:<{width}}  {shown:<{shown_width}}  {source}".rstrip())


def _target(root: click.Context, args: Sequence[str]) -> tuple[str, click.Command, list[str]]:
    """The command whose settings are shown, its path, and the flags to read for it."""
    group = root.command
    if not args or args[0].startswith("-") or not isinstance(group, click.Group):
        return SHARED, _shared_settings(), list(args)
    found = group.get_command(root, args[0])
    if found is None or found.name == "config":
        raise click.UsageError(f"no command {args[0]!r} to show the settings of")
    if isinstance(found, click.Group):
        sub = found.commands.get(args[1]) if len(args) > 1 else None
        if sub is None:
            names = "|".join(sorted(found.commands))
            raise click.UsageError(f"name one of {args[0]}'s commands: {args[0]} {names}")
        return f"{args[0]} {args[1]}", sub, list(args[2:])
    return args[0], found, list(args[1:])


def _rows(
    ctx: click.Context, command: click.Command, from_file: dict[str, config_file.Setting]
) -> list[tuple[str, Any, str, str]]:
    """(key, JSON value, text value, source) for each option a file, env or flag could set."""
    rows: list[tuple[str, Any, str, str]] = []
    for param in command.params:
        key = config_file.key_of(param)
        if key is None or key in config_file.NOT_IN_A_FILE or param.name is None:
            continue
        value = ctx.params.get(param.name)
        source = _source(ctx, param, from_file)
        if key in config_file.SECRETS:
            rows.append(
                (key, "(set)" if value else None, "(set)" if value else "(not set)", source)
            )
            continue
        if isinstance(value, str) and key == "state":
            value = config_file.redact_url(value)
        plain = _plain(value)
        rows.append((key, plain, _text(plain), source))
    return rows


def _source(
    ctx: click.Context, param: click.Parameter, from_file: dict[str, config_file.Setting]
) -> str:
    name = param.name or ""
    where = ctx.get_parameter_source(name)
    if where is click.core.ParameterSource.COMMANDLINE:
        return "flag"
    if where is click.core.ParameterSource.ENVIRONMENT:
        names = [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or ())
        found = [each for each in names if os.environ.get(each)]
        return f"env {found[0] if found else '?'}"
    if where is click.core.ParameterSource.DEFAULT_MAP and name in from_file:
        return from_file[name].source
    return "default"


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(each) for each in value]
    return value


def _text(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(each) for each in value) if value else "(none)"
    return str(value)


def _file_document(loaded: config_file.ConfigFile | None) -> dict[str, str] | None:
    return None if loaded is None else {"path": loaded.shown, "from": loaded.origin}


def _file_line(loaded: config_file.ConfigFile | None) -> str:
    if loaded is None:
        return (
            f"none (no ./{config_file.DEFAULT_FILE} here, no --config, no {config_file.ENV_CONFIG})"
        )
    origin = {"default": "found in the working directory"}.get(loaded.origin, loaded.origin)
    return f"{loaded.shown} ({origin})"
