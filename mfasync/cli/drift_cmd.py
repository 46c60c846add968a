"""`mfasync drift [PATH...]`: compare the tenant with the manifests, read-only by construction.

The same pipeline as `plan` reads and plans every listed user, but it is handed a
`readonly.ReadOnlyBackend` (no write method exists on it), so nothing can be written. The plan is
turned into a `drift.Report`: missing, unexpected, changed, and unmanaged (information only).
Exit 0 in sync, 2 drift, 1 when any user could not be compared. `--junit FILE` also writes one
JUnit test case per user, for CI dashboards. What it must not do: write to the tenant, print or
write a secret or a full phone number.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import click

from mfasync import drift, errors, executing, models, rendering, settings
from mfasync.cli import asyncrun, incremental_run, options, output, readonly, runs, stateful

# Drift plans without full replaces, so that every difference lands in its exact category (a PUT
# would fold matched and unmatched methods into one action).
DRIFT_POLICY = models.Policy(allow_replace=False)


def as_compared(users: Sequence[models.DesiredUser]) -> tuple[models.DesiredUser, ...]:
    """The users as drift plans them: `prune: none` ones under `prune: managed`.

    Planning a `prune: none` user as if it were managed turns its unmatched live methods into
    deletes, which is how drift finds them; `drift.from_plan` then reports them as kept. A
    `prune: owned` user is planned as declared: what it would delete is drift, what it keeps is
    reported as enrolled outside mfasync.
    """
    return tuple(
        user.model_copy(update={"prune": models.Prune.MANAGED})
        if user.prune is models.Prune.NONE
        else user
        for user in users
    )


async def _compare_with_progress(
    users: tuple[models.DesiredUser, ...],
    *,
    connection: settings.ConnectionSettings,
    run: settings.RunSettings,
    console: output.Console,
    state_url: str,
    asked: incremental_run.Asked,
    only_users: tuple[str, ...] = (),
) -> drift.Report:
    """Read and plan `users` through a read-only backend and report the drift."""
    async with (
        stateful.session(
            state_url, domain=connection.domain, command="drift", console=console
        ) as session,
        runs.connect(connection, run) as (client, governor),
    ):
        resolver = runs.resolver()
        users = await runs.narrow(  # `--user ID` of a user declared by email:
            users,
            only_users,
            backend=client,
            retrier=executing.Retrier(run.retry, governor=governor),
        )
        choice = await incremental_run.choose(
            as_compared(users),
            asked=asked,
            session=session,
            source=client,
            retrier=executing.Retrier(run.retry, governor=governor),
            resolver=resolver,
            console=console,
        )
        plan = await runs.plan_with_progress(
            session.first(choice.users),
            backend=readonly.ReadOnlyBackend(client),
            governor=governor,
            run=run,
            policy=DRIFT_POLICY,
            resolver=resolver,
            console=console,
            label="Checking drift",
            recorder=session.recorder(),
        )
        await incremental_run.record(session, choice)
        session.counts.update(plan.summary.as_dict())
    kept = [user.key for user in users if user.prune is models.Prune.NONE]
    return drift.from_plan(plan, keep_unexpected=kept)


def render(report: drift.Report, output_format: str) -> str:
    if output_format == "json":
        return rendering.drift.render_json(report).rstrip("\n")
    if output_format == "markdown":
        return rendering.drift.render_markdown(report).rstrip("\n")
    return rendering.drift.render_text(report).rstrip("\n")


def write_junit(path: str, report: drift.Report) -> None:
    """Write the JUnit XML atomically (a CI step reading it never sees half a file)."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(rendering.drift.render_junit(report), encoding="utf-8")
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
@stateful.state_option
@incremental_run.incremental_options
@options.pace_options
@options.connection_options
@click.pass_context
def command(
    ctx: click.Context,
    paths: tuple[str, ...],
    output_format: str,
    junit: str | None,
    state_url: str,
    incremental: bool,
    full: bool,
    log_retention_days: float,
    max_full_scan_age_days: float,
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
    report = asyncrun.run(
        _compare_with_progress(
            users,
            connection=connection,
            run=run,
            console=console,
            state_url=state_url,
            only_users=only_users,
            asked=incremental_run.Asked(
                incremental=incremental,
                full=full,
                log_retention_days=log_retention_days,
                max_full_scan_age_days=max_full_scan_age_days,
            ),
        )
    )
    console.result(render(report, output_format))
    if junit:
        write_junit(junit, report)
        console.info(f"JUnit report written to {junit}.")
    ctx.exit(report.exit_code)
