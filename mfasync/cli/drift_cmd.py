"""`mfasync drift [PATH...]`: compare the tenant with the manifests, read-only by construction.

The same pipeline as `plan` reads and plans every listed user, but it is handed a
`readonly.ReadOnlyBackend` (no write method exists on it), so nothing can be written. The plan is
turned into a `drift.Report`: missing, unexpected, changed, and unmanaged (information only).
Exit 0 in sync, 2 drift, 1 when any user could not be compared. `--junit FILE` also writes one
JUnit test case per user, for CI dashboards. What it must not do: write to the tenant, print or
write a secret or a full phone number.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

import click

from mfasync import drift, errors, models, settings
from mfasync.cli import options, output, readonly, runs

# Drift plans without full replaces, so that every difference lands in its exact category (a PUT
# would fold matched and unmatched methods into one action).
DRIFT_POLICY = models.Policy(allow_replace=False)


def as_compared(users: Sequence[models.DesiredUser]) -> tuple[models.DesiredUser, ...]:
    """The users as drift plans them: every one under `prune: managed`.

    Planning a `prune: none` user as if it were managed turns its unmatched live methods into
    deletes, which is how drift finds them; `drift.from_plan` then reports them as kept.
    """
    return tuple(
        user
        if user.prune is models.Prune.MANAGED
        else user.model_copy(update={"prune": models.Prune.MANAGED})
        for user in users
    )


async def _compare_with_progress(
    users: tuple[models.DesiredUser, ...],
    *,
    connection: settings.ConnectionSettings,
    run: settings.RunSettings,
    console: output.Console,
) -> drift.Report:
    """Read and plan `users` through a read-only backend and report the drift."""
    async with runs.connect(connection, run) as (client, governor):
        plan = await runs.plan_with_progress(
            as_compared(users),
            backend=readonly.ReadOnlyBackend(client),
            governor=governor,
            run=run,
            policy=DRIFT_POLICY,
            resolver=runs.resolver(),
            console=console,
            label="Checking drift",
        )
    kept = [user.key for user in users if user.prune is models.Prune.NONE]
    return drift.from_plan(plan, keep_unexpected=kept)


def render(report: drift.Report, output_format: str) -> str:
    if output_format == "json":
        return drift.render_json(report).rstrip("\n")
    if output_format == "markdown":
        return drift.render_markdown(report).rstrip("\n")
    return drift.render_text(report).rstrip("\n")


def write_junit(path: str, report: drift.Report) -> None:
    """Write the JUnit XML atomically (a CI step reading it never sees half a file)."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(drift.render_junit(report), encoding="utf-8")
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise errors.UsageError(f"cannot write {path}: {exc.strerror or 'I/O error'}") from exc


@click.command("drift")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option(
    "--junit",
    type=click.Path(dir_okay=False),
    help="Also write a JUnit XML report: one test case per user (drift fails, errors error).",
)
@options.pace_options
@options.connection_options
@click.pass_context
def command(
    ctx: click.Context,
    paths: tuple[str, ...],
    output_format: str,
    junit: str | None,
    concurrency: int,
    max_rps: float,
    only_users: tuple[str, ...],
    domain: str | None,
    client_id: str | None,
    client_secret: str | None,
    access_token: str | None,
    audience: str | None,
    ca_bundle: str | None,
) -> None:
    """Show how the tenant differs from the manifests, without writing (exit 2 on drift)."""
    console: output.Console = ctx.obj if isinstance(ctx.obj, output.Console) else output.Console()
    # Manifests first: their problems need no credentials to be shown.
    _, users = runs.load_users(paths, only_users=only_users, console=console)
    connection = options.build_connection(
        domain=domain,
        client_id=client_id,
        client_secret=client_secret,
        access_token=access_token,
        audience=audience,
        ca_bundle=ca_bundle,
    )
    run = runs.run_settings(concurrency=concurrency, max_rps=max_rps)
    report = asyncio.run(
        _compare_with_progress(users, connection=connection, run=run, console=console)
    )
    console.result(render(report, output_format))
    if junit:
        write_junit(junit, report)
        console.info(f"JUnit report written to {junit}.")
    ctx.exit(report.exit_code)
