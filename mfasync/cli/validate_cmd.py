"""`mfasync validate [PATH...]`: check manifests without calling the API.

Prints one line per problem (`file:line:column: error: message`) and a one-line summary, or one
JSON document with `--format json`. Exit 0 when valid, 1 when not. What it must not do: show a
traceback for any input, print a secret or a full phone number, or contact the API.
"""

from __future__ import annotations

import json
import os

import click

from mfasync import errors, manifests, secretrefs

FORMAT_VERSION = 1  # of the --format json document, as plan and drift carry theirs
MAX_SHOWN = 50  # problems printed before "... and N more": 200,000 lines help nobody

DEFAULT_PATH = "manifests"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _unresolved(
    result: manifests.CheckResult, *, resolver: secretrefs.Resolver
) -> list[errors.Problem]:
    """An error for every secret reference that does not resolve, at its method."""
    found: list[errors.Problem] = []
    for user in result.users:
        for method in user.methods:
            secret = method.totp_secret
            if secret is None or secret.reference is None or method.source is None:
                continue
            resolved = resolver.resolve(secret)
            if resolved.problem is not None:
                loc = method.source
                found.append(
                    errors.Problem(
                        loc.file, loc.line, loc.column, f"cannot resolve {resolved.problem}"
                    )
                )
    return found


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one line per problem and a summary; json: one document.",
)
@click.option("--strict", is_flag=True, help="Warnings count as errors (exit 1).")
@click.option(
    "--max-errors",
    type=click.IntRange(min=0),
    default=MAX_SHOWN,
    show_default=True,
    help="Text output shows the first N problems, then how many more (0: all).",
)
@click.option(
    "--require-secrets",
    is_flag=True,
    help="Every ${env:...} / ${file:...} reference must resolve now (reads the environment).",
)
def command(
    paths: tuple[str, ...],
    output_format: str,
    strict: bool,
    max_errors: int,
    require_secrets: bool,
) -> None:
    """Check manifests (files or directories; default: manifests/) without calling the API."""
    try:
        result = manifests.check(list(paths) or [DEFAULT_PATH])
    except errors.MfasyncError as exc:
        # A missing path or an empty folder: one clear line, never a traceback.
        if output_format == "json":
            document = {"format_version": FORMAT_VERSION, "valid": False, "error": str(exc)}
            click.echo(json.dumps(document, indent=2))
        else:
            click.echo(f"Error: {exc}", err=True)  # as the CLI prints every other error
        raise click.exceptions.Exit(1) from None
    problems = list(result.problems)
    if require_secrets:
        problems.extend(_unresolved(result, resolver=secretrefs.Resolver(os.environ)))
    problems.sort(key=lambda p: (p.source, p.line, p.column))
    error_count = sum(p.severity == "error" for p in problems)
    warning_count = len(problems) - error_count
    valid = error_count == 0 and not (strict and warning_count)
    if output_format == "json":
        document = {
            "format_version": FORMAT_VERSION,
            "valid": valid,
            "files": len(result.files),
            "users": len(result.users),
            "errors": error_count,
            "warnings": warning_count,
            "problems": [
                {
                    "file": p.source,
                    "line": p.line,
                    "column": p.column,
                    "severity": p.severity,
                    "message": p.message,
                }
                for p in problems
            ],
        }
        click.echo(json.dumps(document, indent=2))
    else:
        shown = problems if max_errors == 0 else problems[:max_errors]
        for problem in shown:
            click.echo(str(problem))
        if len(shown) < len(problems):
            more = len(problems) - len(shown)
            click.echo(f"... and {more:,} more (--format json lists all)")
        click.echo(
            f"{_plural(len(result.files), 'file')}, {_plural(len(result.users), 'user')}, "
            f"{_plural(error_count, 'error')}, {_plural(warning_count, 'warning')}"
            + (" (--strict: warnings fail)" if strict and warning_count else "")
        )
    if not valid:
        raise click.exceptions.Exit(1)
