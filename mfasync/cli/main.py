"""The `mfasync` command group and its error boundary.

Every `MfasyncError` becomes one line on stderr and exit 1; a traceback is shown only with -v.
-vv shows the request log on stderr and `--log-file FILE` writes it (both accepted before or after
the command name); `logsinks` holds the handlers for the run.
"""

from __future__ import annotations

import importlib
import sys

import click

import mfasync
from mfasync import errors
from mfasync.cli import output

_LOG_FILE_HELP = (
    "Write the request log (one timestamped line per HTTP request, as -vv shows them; never a "
    "body) to FILE, created private (0600)."
)
MAX_PROBLEMS_SHOWN = 50  # manifest problems printed by plan, apply...: the first ones, then a count

#: Each command's module and its one-line help, shown by `mfasync --help` without importing it: a
#: command's module is imported only when that command runs (or its own --help is asked for), so
#: `mfasync validate` never pays for aiohttp, SQLAlchemy or the planner. Keep it sorted; a test
#: checks each line against the command's own docstring.
COMMANDS: dict[str, tuple[str, str]] = {
    "apply": (
        "mfasync.cli.apply_cmd",
        "Apply the plan: create, update and delete factors so the tenant matches the manifests.",
    ),
    "config": (
        "mfasync.cli.config_cmd",
        "Show the effective settings and where each came from (flag, env, file or default).",
    ),
    "demo": (
        "mfasync.cli.demo_cmd",
        "Run the whole story (import, validate, plan, apply, drift) against a local emulator.",
    ),
    "drift": (
        "mfasync.cli.drift_cmd",
        "Show how the tenant differs from the manifests, without writing (exit 2 on drift).",
    ),
    "emulator": (
        "mfasync.cli.emulator_cmd",
        "Run a local Auth0 Management API (authentication methods) until Ctrl-C.",
    ),
    "export": (
        "mfasync.cli.export_cmd",
        "Write manifests pinning the live methods of the given users (--user ID or --users-file).",
    ),
    "import": (
        "mfasync.cli.import_cmd",
        "Turn a legacy MFA export (FORMAT: auth0-bulk, csv, okta, otpauth) into manifests.",
    ),
    "plan": (
        "mfasync.cli.plan_cmd",
        "Read the live methods of every listed user and show what apply would change.",
    ),
    "schema": (
        "mfasync.cli.schema_cmd",
        "Print the JSON Schema (draft 2020-12) of manifest format version 1.",
    ),
    "state": (
        "mfasync.cli.state_cmd",
        "Inspect and manage the state: what mfasync wrote to and saw of each tenant.",
    ),
    "validate": (
        "mfasync.cli.validate_cmd",
        "Check manifests (files or directories; default: manifests/) without calling the API.",
    ),
}


def _with_verbosity(command: click.Command) -> click.Command:
    """-v / -q / --log-file on a command and on a group's subcommands (`mfasync state list -v`)."""
    subcommands = getattr(command, "commands", {}).values()
    for each in (command, *subcommands):
        known = {name for param in each.params for name in param.opts}
        each.params.extend(
            option for option in _verbosity_options() if not known & set(option.opts)
        )
    return command


class LazyGroup(click.Group):
    """A group whose commands are imported when they are looked up, not when `mfasync` starts."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module = importlib.import_module(COMMANDS[cmd_name][0])
            self.add_command(_with_verbosity(module.command), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # the table's one-liners: asking each command for its short help would import them all
        rows = [(name, COMMANDS[name][1]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(mfasync.__version__, prog_name="mfasync")
@click.option(
    "-v", "--verbose", count=True, help="More detail; -v also shows tracebacks, -vv each request."
)
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the result.")
@click.option("--log-file", type=click.Path(dir_okay=False), metavar="FILE", help=_LOG_FILE_HELP)
@click.option(
    "--config",
    "config_path",
    envvar="MFASYNC_CONFIG",
    metavar="FILE",
    help="Read settings from this TOML file (default: ./mfasync.toml if there is one); "
    "flags and environment variables win over it. [env: MFASYNC_CONFIG]",
)
@click.pass_context
def cli(
    ctx: click.Context, verbose: int, quiet: bool, log_file: str | None, config_path: str | None
) -> None:
    """Keep Auth0 users' MFA factors in line with YAML manifests kept in Git."""
    ctx.obj = output.Console(verbosity=-1 if quiet else verbose)
    _update_request_log(ctx, log_file=log_file)
    _read_config(ctx, config_path)


def _read_config(ctx: click.Context, given: str | None) -> None:
    """The config file as the default_map of the command about to run (read only now: `--help`
    never reads it; the command's module is already imported, no other is)."""
    from mfasync.cli import config_file  # not for --help: only a command that runs pays for it

    source = ctx.get_parameter_source("config_path")
    origin = "MFASYNC_CONFIG" if source is click.core.ParameterSource.ENVIRONMENT else "--config"
    loaded = config_file.load(given or None, origin=origin)
    ctx.meta[config_file.META_KEY] = loaded
    name = ctx.invoked_subcommand
    group = ctx.command
    if loaded is None or name is None or not isinstance(group, click.Group):
        return
    command = group.get_command(ctx, name)
    if command is not None:
        ctx.default_map = {name: config_file.default_map(loaded, name, command)}


#: ctx.meta key of the run's `logsinks.RequestLog` (meta is shared by a context and its children)
_REQUEST_LOG = "mfasync.request_log"


def _update_request_log(ctx: click.Context, *, log_file: str | None = None) -> None:
    """The request log's handlers this run asks for: stderr at -vv, FILE with --log-file.

    Called by the group and again by a -v / -q / --log-file after the command name; closed with
    the outermost context, so that no handler outlives the run.
    """
    console = ctx.find_object(output.Console)
    on_stderr = console is not None and console.verbosity >= 2
    sinks = ctx.meta.get(_REQUEST_LOG)
    if sinks is None:
        if not on_stderr and log_file is None:
            return  # no log asked for: logging is not even set up
        from mfasync.cli import logsinks  # only for the runs that log

        sinks = ctx.meta[_REQUEST_LOG] = logsinks.RequestLog()
        ctx.find_root().call_on_close(sinks.close)
    sinks.show_on_stderr(on_stderr)
    if log_file is not None:
        sinks.write_to(log_file)


def _set_verbosity(ctx: click.Context, param: click.Parameter, value: int | bool) -> None:
    """-v / -q given after the command name (`mfasync plan -v`) count like before it."""
    console = ctx.find_object(output.Console)
    if console is None or not value:
        return
    if param.name == "quiet":
        console.verbosity = -1
    else:
        console.verbosity = max(console.verbosity, 0) + int(value)
    _update_request_log(ctx)


def _set_log_file(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """--log-file given after the command name (`mfasync plan --log-file http.log`)."""
    if value is not None:
        _update_request_log(ctx, log_file=value)


def _verbosity_options() -> list[click.Parameter]:
    return [
        click.Option(
            ["-v", "--verbose"],
            count=True,
            expose_value=False,
            is_eager=True,
            callback=_set_verbosity,
            help="More detail; -v also shows tracebacks, -vv each request.",
        ),
        click.Option(
            ["-q", "--quiet"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_set_verbosity,
            help="Only errors and the result.",
        ),
        click.Option(
            ["--log-file"],
            type=click.Path(dir_okay=False),
            metavar="FILE",
            expose_value=False,
            callback=_set_log_file,
            help=_LOG_FILE_HELP,
        ),
    ]


def main() -> None:
    """Console-script entry point: run the group behind the error boundary."""
    verbose = any(arg in ("-v", "-vv", "-vvv", "--verbose") for arg in sys.argv[1:])
    try:
        # Without standalone mode, click returns (not raises) the code of a command's ctx.exit(n).
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort as exc:
        # click turns Ctrl-C (KeyboardInterrupt) into Abort: exit as a shell expects after it.
        # (apply's writes catch the signal themselves, and finish with their summary.)
        if isinstance(exc.__context__, KeyboardInterrupt):
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except errors.ManifestError as exc:
        if verbose:
            raise
        for problem in exc.problems[:MAX_PROBLEMS_SHOWN]:
            click.echo(str(problem), err=True)
        more = len(exc.problems) - MAX_PROBLEMS_SHOWN
        if more > 0:
            click.echo(
                f"... and {more:,} more (mfasync validate --format json lists all)", err=True
            )
        sys.exit(1)
    except errors.MfasyncError as exc:
        if verbose:
            raise
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
