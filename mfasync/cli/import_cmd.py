"""`mfasync import FORMAT INPUT --out DIR`: a legacy MFA export becomes manifests.

Writes `DIR/users-NNNN.yaml` (references only), `DIR/.secrets.yaml` (TOTP seeds, mode 0600) and
`DIR/import-report.json`, checks that the manifests load, and prints a summary on stderr. Exit 1
when any row or factor was rejected (the good ones are still written); 0 otherwise, even when some
factor types could not migrate (they are counted in the report). The work is done by
`mfasync.importers`; this module only reads the input, calls it and reports.
"""

from __future__ import annotations

from pathlib import Path

import click

from mfasync import errors, models
from mfasync.cli import output
from mfasync.importers import auth0_bulk, building, checking, formats, reporting, writing

DEFAULT_USERS_PER_FILE = 1000


@click.command("import")
@click.argument("format_name", metavar="FORMAT", type=click.Choice(formats.NAMES))
@click.argument(
    "input_path",
    metavar="INPUT",
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the manifests, .secrets.yaml and import-report.json (created if missing).",
)
@click.option(
    "--users-per-file",
    type=click.IntRange(min=1),
    default=DEFAULT_USERS_PER_FILE,
    show_default=True,
    help="At most this many users per manifest file.",
)
@click.option(
    "--prune",
    type=click.Choice([p.value for p in models.Prune]),
    default=models.Prune.NONE.value,
    show_default=True,
    help="prune policy written for each user. `none` keeps factors users already have in Auth0; "
    "switch to `managed` once the migration is done.",
)
@click.option(
    "--connection-strategy",
    default=auth0_bulk.DEFAULT_STRATEGY,
    show_default=True,
    help="auth0-bulk only: prefix of user_ids given without one (Auth0 prepends the "
    "connection strategy: abc -> auth0|abc).",
)
@click.pass_context
def command(
    ctx: click.Context,
    format_name: str,
    input_path: Path,
    out_dir: Path,
    users_per_file: int,
    prune: str,
    connection_strategy: str,
) -> None:
    """Turn a legacy MFA export (FORMAT: auth0-bulk, csv, okta, otpauth) into manifests."""
    console: output.Console = ctx.obj if isinstance(ctx.obj, output.Console) else output.Console()
    if not connection_strategy or "|" in connection_strategy:
        raise click.BadParameter(
            "a strategy name such as auth0, without '|'", param_hint="--connection-strategy"
        )
    text = _read(input_path)
    parsed = formats.parse(format_name, text, strategy=connection_strategy)
    result = building.build(parsed, prune=models.Prune(prune), secrets_file=building.SECRETS_FILE)
    names = writing.manifest_names(len(result.users), users_per_file=users_per_file)
    document = reporting.report(
        result,
        format_name=format_name,
        input_name=input_path.name,
        files=names,
        secrets_file=building.SECRETS_FILE,
    )
    comment = (
        f"Written by `mfasync import {format_name}` from {input_path.name}.\n"
        f"TOTP seeds live in {building.SECRETS_FILE} beside this file, never in a manifest."
    )
    try:
        written = writing.write(
            result.users,
            secrets=result.secrets,
            report_text=reporting.to_json(document),
            out_dir=out_dir,
            users_per_file=users_per_file,
            secrets_file=building.SECRETS_FILE,
            comment=comment,
        )
    except OSError as exc:
        raise errors.UsageError(
            f"cannot write into {out_dir}: {exc.strerror or exc.__class__.__name__}"
        ) from exc
    checking.check_written(
        out_dir, manifest_files=written.manifests, expected_users=len(result.users)
    )
    code = reporting.exit_code(result)
    # Rejections are shown even with -q: the exit code alone does not say which rows to fix.
    show = console.warn if code else console.info
    show(reporting.summary(document, out_dir=str(out_dir)))
    if written.removed:
        console.info(f"Removed manifests of an earlier run: {', '.join(written.removed)}")
    console.info(f"Report: {out_dir / written.report_file}")
    ctx.exit(code)


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise errors.UsageError(f"cannot read {path}: {exc.strerror or 'I/O error'}") from exc
    try:
        # utf-8-sig: spreadsheet tools put a byte-order mark in front of CSV files.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise errors.UsageError(f"{path} is not UTF-8 text (line {line})") from exc
