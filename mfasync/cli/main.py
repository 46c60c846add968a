"""The `mfasync` command group and its error boundary.

Every `MfasyncError` becomes one line on stderr and exit 1; a traceback is shown only with -v.
"""

from __future__ import annotations

import sys

import click

import mfasync
from mfasync import errors
from mfasync.cli import output


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(mfasync.__version__, prog_name="mfasync")
@click.option("-v", "--verbose", count=True, help="More detail; -v also shows tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the result.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Keep Auth0 users' MFA factors in line with YAML manifests kept in Git."""
    ctx.obj = output.Console(verbosity=-1 if quiet else verbose)


def _set_verbosity(ctx: click.Context, param: click.Parameter, value: int | bool) -> None:
    """-v / -q given after the command name (`mfasync plan -v`) count like before it."""
    console = ctx.find_object(output.Console)
    if console is None or not value:
        return
    if param.name == "quiet":
        console.verbosity = -1
    else:
        console.verbosity = max(console.verbosity, 0) + int(value)


def _verbosity_options() -> list[click.Parameter]:
    return [
        click.Option(
            ["-v", "--verbose"],
            count=True,
            expose_value=False,
            is_eager=True,
            callback=_set_verbosity,
            help="More detail; -v also shows tracebacks.",
        ),
        click.Option(
            ["-q", "--quiet"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_set_verbosity,
            help="Only errors and the result.",
        ),
    ]


def _register() -> None:
    # Commands are imported here, not at module top, so that `main` stays the one composition
    # point and each command module stays independent of the others.
    # One line per command module; keep both lists sorted.
    from mfasync.cli import (
        apply_cmd,
        demo_cmd,
        drift_cmd,
        emulator_cmd,
        export_cmd,
        import_cmd,
        plan_cmd,
        schema_cmd,
        state_cmd,
        validate_cmd,
    )

    for module in (
        apply_cmd,
        demo_cmd,
        drift_cmd,
        emulator_cmd,
        export_cmd,
        import_cmd,
        plan_cmd,
        schema_cmd,
        state_cmd,
        validate_cmd,
    ):
        # a group's subcommands take -v / -q too (`mfasync state list -v`)
        subcommands = getattr(module.command, "commands", {}).values()
        for each in (module.command, *subcommands):
            known = {name for param in each.params for name in param.opts}
            if not known & {"-v", "-q"}:
                each.params.extend(_verbosity_options())
        cli.add_command(module.command)


_register()


def main() -> None:
    """Console-script entry point: run the group behind the error boundary."""
    verbose = any(arg in ("-v", "-vv", "-vvv", "--verbose") for arg in sys.argv[1:])
    try:
        # Without standalone mode, click returns (not raises) the code of a command's ctx.exit(n).
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
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
        for problem in exc.problems:
            click.echo(str(problem), err=True)
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
