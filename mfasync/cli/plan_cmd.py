"""`mfasync plan [PATH...]`: read live state, print the plan, optionally save it.

Exit codes: 0 no changes (or changes without --detailed-exitcode), 2 changes present with
--detailed-exitcode, 1 on any error, a single user's error included. The plan goes to stdout,
progress to stderr. What it must not do: write to the tenant (it reads only), or print a secret.
"""

from __future__ import annotations

import sys

import click

from mfasync import executing, models, plans, rendering, settings
from mfasync.cli import asyncrun, incremental_run, options, output, runs, stateful

EXIT_CHANGES = 2


def reseed_option(func: options.F) -> options.F:
    return click.option(
        "--reseed",
        multiple=True,
        metavar="USER:totp",
        help="Re-create this user's TOTP factors (a changed seed cannot be seen); repeatable.",
    )(func)


async def plan_tenant(
    users: tuple[models.DesiredUser, ...],
    *,
    connection: settings.ConnectionSettings,
    run: settings.RunSettings,
    policy: models.Policy,
    console: output.Console,
    state_url: str,
    fingerprints: bool = False,
    asked: incremental_run.Asked = incremental_run.PLAIN,
    only_users: tuple[str, ...] = (),
) -> tuple[plans.Plan, plans.Fingerprinter, str | None]:
    """The plan, the fingerprinter a saved copy of it must use (the state's key), and the log
    checkpoint an incremental plan was made from."""
    async with (
        stateful.session(
            state_url, domain=connection.domain, command="plan", console=console
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
            users,
            asked=asked,
            session=session,
            source=client,
            retrier=executing.Retrier(run.retry, governor=governor),
            resolver=resolver,
            console=console,
        )
        plan = await runs.plan_with_progress(
            session.first(choice.users),
            backend=client,
            governor=governor,
            run=run,
            policy=policy,
            resolver=resolver,
            console=console,
            fingerprints=fingerprints,
            recorder=session.recorder(),
        )
        await incremental_run.record(session, choice)
        session.counts.update(plan.summary.as_dict())
        session.outcome = "failed" if plan.summary.errors else "ok"
        made_from = choice.checkpoint.log_id if choice.checkpoint and asked.incremental else None
        return plan, session.fingerprinter, made_from


def render(plan: plans.Plan, output_format: str) -> str:
    if output_format == "json":
        return rendering.render_json(plan).rstrip("\n")
    if output_format == "markdown":
        return rendering.render_markdown(plan).rstrip("\n")
    return rendering.render_text(plan, colour=output.colour_enabled(sys.stdout)).rstrip("\n")


@click.command("plan")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--out", type=click.Path(dir_okay=False), help="Save the plan for `apply --plan`.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 2 when the plan has changes (0: none)."
)
@reseed_option
@stateful.state_option
@incremental_run.incremental_options
@options.pace_options
@options.connection_options
@click.pass_obj
def command(
    console: output.Console,
    paths: tuple[str, ...],
    out: str | None,
    output_format: str,
    detailed_exitcode: bool,
    reseed: tuple[str, ...],
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
    """Read the live methods of every listed user and show what apply would change."""
    policy = models.Policy(reseed_totp=runs.parse_reseed(reseed))
    # Manifests first: their problems need no credentials to be shown.
    manifest_set, users = runs.load_users(paths, only_users=only_users, console=console)
    connection = options.build_connection(
        domain=domain,
        client_id=client_id,
        client_secret=client_secret,
        access_token=access_token,
        audience=audience,
        ca_bundle=ca_bundle,
    )
    run = runs.run_settings(concurrency=concurrency, max_rps=max_rps)
    plan, fingerprinter, made_from = asyncrun.run(
        plan_tenant(
            users,
            connection=connection,
            run=run,
            policy=policy,
            console=console,
            state_url=state_url,
            fingerprints=bool(out),  # only a saved plan (`--out`) carries them
            only_users=only_users,
            asked=incremental_run.Asked(
                incremental=incremental,
                full=full,
                log_retention_days=log_retention_days,
                max_full_scan_age_days=max_full_scan_age_days,
            ),
        )
    )
    console.result(render(plan, output_format))
    if out:
        plans.write_plan_file(
            out,
            plan,
            manifest_files=manifest_set.files,
            policy=policy,
            fingerprinter=fingerprinter,
            log_checkpoint=made_from,
        )
        console.info(f"Plan saved to {out}.")
    if plan.summary.errors:
        raise click.exceptions.Exit(1)
    if detailed_exitcode and plan.changed:
        raise click.exceptions.Exit(EXIT_CHANGES)
