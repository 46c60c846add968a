"""The config file: `./mfasync.toml`, `--config FILE` or `MFASYNC_CONFIG`, read with `tomllib`.

Its keys are the long flag names (`max-rps = 20`, `state = "postgresql://..."`): top-level keys
apply to every command that has the option, a `[plan]`, `[apply]`... table overrides them for one
command (the `state` subcommands take the top-level keys: `state` is the `--state` URL). The file
becomes click's `Context.default_map`, so the precedence flag > environment > file > default is
click's own.

When a command runs, the group reads the file once and checks all of it against the index of
option names (`config_keys.KEYS`, which a test keeps equal to the real click options): the TOML
syntax, unknown keys and tables (with a did-you-mean), a key a table's command does not have, and
what never goes in a file (a client secret, a token, a password in the state URL, `--yes`,
`--force`). The values of the running command are then converted by its own click options, so a
bad value reads as the flag's error would; `mfasync config` converts every command's.

What it must not do: echo a secret (a refused value is shown as `***`), or import a command module
(this runs before every command; `mfasync validate` must stay fast).
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import click

from mfasync.cli import config_keys

ENV_CONFIG = "MFASYNC_CONFIG"
DEFAULT_FILE = "mfasync.toml"
META_KEY = "mfasync.config_file"  # where the group leaves the file it read, in ctx.meta

#: Keys that are secrets, and the variable to use instead.
SECRETS: Mapping[str, str] = {
    "client-secret": "AUTH0_CLIENT_SECRET",
    "access-token": "AUTH0_ACCESS_TOKEN",
}
#: Keys never taken from a file, and why.
NOT_IN_A_FILE: Mapping[str, str] = {
    "yes": "--yes is decided per run: give it on the command line",
    "force": "--force overrides the safety guards for one run: give it on the command line",
    "reseed": "--reseed is decided per run: give it on the command line",
    "verbose": "-v is given on the command line",
    "quiet": "-q is given on the command line",
    "log-file": "--log-file names one run's request log: give it on the command line",
}
_STATE_KEY = "state"


class ConfigFileError(click.ClickException):
    """Problems with the config file: one `Error:` line each, exit 1."""

    exit_code = 1

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)

    def show(self, file: IO[Any] | None = None) -> None:
        for problem in self.problems:
            click.echo(f"Error: {problem}", err=True, file=file)


@dataclasses.dataclass(frozen=True, slots=True)
class ConfigFile:
    """A config file as read: `shown` is its name in messages, `origin` how it was chosen."""

    path: Path
    shown: str
    origin: str  # "--config", "MFASYNC_CONFIG" or "default"
    top: Mapping[str, Any]  # the top-level keys
    tables: Mapping[str, Mapping[str, Any]]  # command name -> its keys


@dataclasses.dataclass(frozen=True, slots=True)
class Setting:
    """One value the file gives one command's option: converted, and where it came from."""

    value: Any
    source: str  # "file ./mfasync.toml" or "file ./mfasync.toml [plan]"


def key_of(param: click.Parameter) -> str | None:
    """The key of an option in the file (its first long flag without `--`); None: not an
    option a file could hold (an argument, a counter such as -v)."""
    if not isinstance(param, click.Option) or param.count or param.hidden:
        return None
    long = [opt for opt in param.opts if opt.startswith("--")]
    return long[0][2:] if long else None


def configurable(param: click.Parameter) -> str | None:
    """`key_of(param)` when a file may set it (not a secret, not a per-run decision)."""
    key = key_of(param)
    return None if key is None or key in SECRETS or key in NOT_IN_A_FILE else key


def leaves(name: str, command: click.Command) -> Iterator[tuple[str, click.Command]]:
    """`command` as `(path, command)`, or each subcommand of a group (`state list`...)."""
    if isinstance(command, click.Group):
        for sub, subcommand in sorted(command.commands.items()):
            yield from leaves(f"{name} {sub}", subcommand)
    else:
        yield name, command


def load(given: str | None, *, origin: str) -> ConfigFile | None:
    """The file named by `--config` / `MFASYNC_CONFIG` (`given`; it must exist), or else
    `./mfasync.toml` if there is one; checked (see the module docstring)."""
    if given is None:
        path, shown, origin = Path(DEFAULT_FILE), f"./{DEFAULT_FILE}", "default"
        if not path.is_file():
            return None
    else:
        path, shown = Path(given).expanduser(), given
        if not path.exists():
            raise ConfigFileError([f"{shown}: no such config file (named by {origin})"])
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigFileError([f"{shown}: cannot read it: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise ConfigFileError([f"{shown}: not UTF-8 text"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError([f"{shown}: not valid TOML: {exc}"]) from None
    top = {key: value for key, value in data.items() if not isinstance(value, dict)}
    tables = {key: value for key, value in data.items() if isinstance(value, dict)}
    problems = list(_problems(shown, top, tables))
    if problems:
        raise ConfigFileError(problems)
    return ConfigFile(path=path, shown=shown, origin=origin, top=top, tables=tables)


def settings_for(config: ConfigFile, path: str, command: click.Command) -> dict[str, Setting]:
    """What the file gives `command` (at `path`, e.g. `plan` or `state list`), by parameter
    name, converted by its own options. Raises ConfigFileError naming each bad value."""
    table_name = path.split(" ")[0]
    table = config.tables.get(table_name, {}) if " " not in path else {}
    layers = [(config.top, ""), (table, f"[{table_name}] ")]
    found: dict[str, Setting] = {}
    problems: list[str] = []
    for param in command.params:
        key = configurable(param)
        if key is None or not isinstance(param, click.Option):
            continue
        for values, where in layers:
            if key not in values:
                continue
            try:
                value = _convert(param, values[key])
            except click.BadParameter as exc:
                problems.append(f"{config.shown}: {where}{key}: {exc.message}")
                continue
            found[param.name or key] = Setting(value, f"file {config.shown} {where}".rstrip())
    if problems:
        raise ConfigFileError(problems)
    return found


def default_map(config: ConfigFile, name: str, command: click.Command) -> dict[str, Any]:
    """click's default_map for `command` (a group: one map per subcommand)."""
    if isinstance(command, click.Group):
        check_all(config, {name: command})  # every subcommand's problems, each line once
        return {
            sub: default_map(config, f"{name} {sub}", subcommand)
            for sub, subcommand in command.commands.items()
        }
    return {param: each.value for param, each in settings_for(config, name, command).items()}


def check_all(config: ConfigFile, commands: Mapping[str, click.Command]) -> None:
    """Convert every value for every command of `commands` (name -> command); one error line
    per bad value."""
    problems: list[str] = []
    for name, command in sorted(commands.items()):
        for path, leaf in leaves(name, command):
            try:
                settings_for(config, path, leaf)
            except ConfigFileError as exc:
                problems.extend(p for p in exc.problems if p not in problems)
    if problems:
        raise ConfigFileError(problems)


def redact_url(text: str) -> str:
    """`text` with the password of a URL in it (`scheme://user:password@host`) shown as `***`."""
    scheme, sep, rest = text.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return text
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"


def _convert(param: click.Option, value: Any) -> Any:
    """`value` (from TOML) as the flag would give it; BadParameter says what is wrong."""
    if param.multiple:
        if not isinstance(value, list):
            raise click.BadParameter(f"a list, as {param.opts[-1][2:]} = [...]")
        return tuple(_one(param, each) for each in value)
    if isinstance(value, list):
        raise click.BadParameter("one value, not a list")
    return _one(param, value)


def _one(param: click.Option, value: Any) -> Any:
    kind = param.type
    if isinstance(kind, click.types.BoolParamType) or param.is_flag:
        wanted: tuple[type, ...] = (bool,)
        noun = "true or false"
    elif isinstance(kind, click.types.IntParamType):
        wanted, noun = (int,), "an integer"
    elif isinstance(kind, click.types.FloatParamType):
        wanted, noun = (int, float), "a number"
    else:
        wanted, noun = (str,), "a string"
    if (isinstance(value, bool) and bool not in wanted) or not isinstance(value, wanted):
        raise click.BadParameter(f"{noun}, not {_toml_kind(value)}")
    return kind.convert(value, param, None)


def _toml_kind(value: Any) -> str:
    kinds = {bool: "true/false", int: "an integer", float: "a number", str: "a string"}
    return kinds.get(type(value), f"a TOML {type(value).__name__}")


def _problems(
    shown: str, top: Mapping[str, Any], tables: Mapping[str, Mapping[str, Any]]
) -> Iterator[str]:
    keys = config_keys.KEYS
    table_names = sorted({path for paths in keys.values() for path in paths if " " not in path})
    for key, value in top.items():
        yield from _key_problems(shown, "", key, value, list(keys))
    for name, table in tables.items():
        if name == _STATE_KEY:
            yield (
                f'{shown}: [state]: `state` is the --state URL (state = "sqlite:///..."); the '
                "state subcommands take the top-level keys"
            )
            continue
        if name not in table_names and name in keys:
            yield f"{shown}: {name}: a value, not a table"
            continue
        if name not in table_names:
            yield f"{shown}: [{name}]: not a command with options{_did_you_mean(name, table_names)}"
            continue
        known = [key for key, paths in keys.items() if name in paths]
        for key, value in table.items():
            yield from _key_problems(shown, f"[{name}] ", key, value, known)


def _key_problems(shown: str, where: str, key: str, value: Any, known: list[str]) -> Iterator[str]:
    at = f"{shown}: {where}{key}"
    if key in SECRETS:
        yield (
            f"{at} = ***: a secret never goes in a config file (it would end up in Git); set "
            f"{SECRETS[key]} instead"
        )
    elif key in NOT_IN_A_FILE:
        yield f"{at}: {NOT_IN_A_FILE[key]}"
    elif key not in config_keys.KEYS:
        yield f"{at}: unknown key{_did_you_mean(key, known)}"
    elif key not in known:
        command = where.strip()[1:-1]
        others = ", ".join(config_keys.KEYS[key])
        yield f"{at}: {command} has no --{key} (it is an option of: {others})"
    elif isinstance(value, dict):
        yield f"{at}: a value, not a table"
    elif key == _STATE_KEY and isinstance(value, str) and _has_password(value):
        yield (
            f"{at} = {redact_url(value)}: a password never goes in a config file; give it with "
            "PGPASSWORD or ~/.pgpass, or put the whole URL in MFASYNC_STATE"
        )


def _has_password(url: str) -> bool:
    return redact_url(url) != url


def _did_you_mean(word: str, candidates: list[str]) -> str:
    kebab = word.replace("_", "-").lower()
    if kebab != word and kebab in candidates:
        return f" (did you mean {kebab!r}?)"
    import difflib  # only when a key is wrong

    close = difflib.get_close_matches(kebab, candidates, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
