"""`mfasync apply [PATH...]`: plan, show, confirm, apply; or apply a saved plan (`--plan FILE`).

Safe by default: asks for confirmation unless --yes (and fails at once, before any request, when
there is no terminal to ask on), refuses a plan a safety guard objects to unless --force.
`--dry-run` runs the same pipeline with a backend that records writes instead of sending them,
and prints each request it would send (bodies redacted). Exit 0 when everything applied, 1 on any
failed or stale user. What it must not do: print a secret or a full phone number, or decide
anything the executor decides (ordering, retries, staleness).
"""

from __future__ import annotations

import json
import sys

import click

from mfasync import errors, executing, models, plans, rendering, settings, state
from mfasync.cli import (
    asyncrun,
    incremental_run,
    interrupts,
    options,
    output,
    plan_cmd,
    runs,
    stateful,
)


def _stdin_is_terminal() -> bool:
    isatty = getattr(sys.stdin, "isatty", None)
    return bool(isatty and isatty())


def _confirm(console: output.Console, *, yes: bool, dry_run: bool) -> None:
    if yes or dry_run:
        return
    if not click.confirm("Apply these changes?", default=False, err=True):
        console.warn("Nothing applied.")
        raise click.exceptions.Exit(1)


def _show_requests(console: output.Console, backend: executing.DryRunBackend) -> None:
    for request in backend.requests:
        body = "" if request.body is None else " " + json.dumps(request.body, sort_keys=True)
        console.result(f"{request.method} {request.path}{body}")


def _saved_summary(saved: plans.SavedPlan) -> str:
    counts = {name: int(saved.summary.get(name, 0)) for name in plans.Summary.__dataclass_fields__}
    return rendering.summary_line(plans.Summary(**counts))


async def _apply(
    *,
    users: tuple[models.DesiredUser, ...],
    saved: plans.SavedPlan | None,
    connection: settings.ConnectionSettings,
    run: settings.RunSettings,
    policy: models.Policy,
    console: output.Console,
    yes: bool,
    dry_run: bool,
    force: bool,
    state_url: str,
    lock_timeout_s: float,
    asked: incremental_run.Asked,
    grace_period_s: float,
    only_users: tuple[str, ...] = (),
) -> executing.ApplyReport | None:
    resolver = runs.resolver()
    stop = executing.StopSignal()
    # Ctrl-C / SIGTERM stop the writes gently (see `interrupts`); before them they end the run.
    signals = interrupts.StopOnSignals(stop, console=console, grace_period_s=grace_period_s)
    # A dry run writes nothing, so it takes no lock and records nothing; it still plans with the
    # state's records, so that it shows what the real apply would do.
    async with (
        stateful.session(
            state_url,
            domain=connection.domain,
            command="apply",
            console=console,
            lock_timeout_s=None if dry_run else lock_timeout_s,
            record=not dry_run,
        ) as session,
        runs.connect(connection, run) as (client, governor),
    ):
        users = await runs.narrow(  # `--user ID` of a user declared by email:
            users,
            only_users,
            backend=client,
            retrier=executing.Retrier(run.retry, governor=governor),
        )
        recorder = session.recorder(read_only=dry_run)
        backend: executing.Backend = client
        journal: executing.JournaledBackend | None = None
        if dry_run:
            backend = executing.DryRunBackend(client)
        elif session.store is not None and recorder is not None and session.run_id is not None:
            # every write is journaled in the state before it is sent
            journal = executing.JournaledBackend(
                client, store=session.store, run_id=session.run_id, recorder=recorder
            )
            backend = journal
        if saved is not None:
            saved = saved.bind(session.fingerprinter)
            console.result(f"Saved plan: {_saved_summary(saved)}")
            _confirm(console, yes=yes, dry_run=dry_run)
            pending = sum(1 for user in saved.users.values() if user.actions or user.error)
            display = runs.ProgressDisplay(
                console, governor=governor, label="Applying", total=pending
            )
            with signals:
                async with display:
                    report = await executing.apply_saved_plan(
                        saved,
                        users,
                        backend=backend,
                        policy=policy,
                        settings=run,
                        resolver=resolver,
                        force=force,
                        on_event=display.on_event,
                        governor=governor,
                        recorder=recorder,
                        stop=stop,
                    )
        else:
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
                recorder=recorder,
            )
            if not dry_run:
                await incremental_run.record(session, choice)
            console.result(plan_cmd.render(plan, "text"))
            if not plan.changed and not plan.summary.errors:
                console.result("No changes. Nothing to do.")
                return None
            executing.enforce_guards(plan, run.safety, force=force)
            if plan.changed:
                _confirm(console, yes=yes, dry_run=dry_run)
            changed = sum(1 for user in plan.users if user.changed or user.error)
            display = runs.ProgressDisplay(
                console, governor=governor, label="Applying", total=changed
            )
            with signals:
                async with display:
                    report = await executing.apply_plan(
                        plan,
                        backend=backend,
                        settings=run,
                        users=users,
                        policy=policy,
                        resolver=resolver,
                        force=force,
                        on_event=display.on_event,
                        governor=governor,
                        stop=stop,
                    )
        if isinstance(backend, executing.DryRunBackend):
            _show_requests(console, backend)
        session.counts.update(_counts(report))
        session.outcome = _outcome(report)
        if journal is not None and journal.failure is not None:
            session.outcome = "failed"
            _show_report(console, report)
            raise errors.StateError(
                f"{journal.failure}; no write was sent after it, the run stopped after the "
                "writes in flight (the tenant has what the report above says)"
            )
        return report


def _outcome(report: executing.ApplyReport) -> str:
    """The run's outcome in the state; `stopped` makes the next apply settle abandoned writes."""
    if not report.interrupted:
        return "ok" if report.ok else "failed"
    abandoned = any(
        action.status is executing.ActionStatus.UNKNOWN
        for user in report.users
        for action in user.actions
    )
    return state.STOPPED_OUTCOME if abandoned else "interrupted"


def _counts(report: executing.ApplyReport) -> dict[str, int]:
    applied = report.applied_counts()
    return {
        "created": applied[plans.Op.CREATE],
        "already_present": report.already_present,
        "updated": applied[plans.Op.PATCH],
        "deleted": applied[plans.Op.DELETE],
        "replaced": applied[plans.Op.REPLACE],
        "failed": report.count(executing.UserStatus.FAILED),
        "stale": report.count(executing.UserStatus.STALE),
        "unchanged": report.unchanged,
        "interrupted": report.count(executing.UserStatus.INTERRUPTED),
        "not_started": report.count(executing.UserStatus.NOT_STARTED),
    }


def _show_report(console: output.Console, report: executing.ApplyReport) -> None:
    for user in report.users:
        if user.status in (executing.UserStatus.FAILED, executing.UserStatus.STALE):
            console.warn(f"{user.heading}: {user.status.value}: {user.message}")
    console.result(report.summary_line())


@click.command("apply")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(dir_okay=False, exists=True),
    help="Apply a plan saved by `plan --out`; users changed since are skipped as stale.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--dry-run", is_flag=True, help="Show the requests apply would send; send none.")
@click.option("--force", is_flag=True, help="Apply even when a safety guard objects.")
@click.option(
    "--report", "report_file", type=click.Path(dir_okay=False), help="Write a JSON report."
)
@plan_cmd.reseed_option
@interrupts.grace_period_option
@stateful.state_option
@stateful.lock_timeout_option
@incremental_run.incremental_options
@options.pace_options
@options.connection_options
@click.pass_obj
def command(
    console: output.Console,
    paths: tuple[str, ...],
    plan_file: str | None,
    yes: bool,
    dry_run: bool,
    force: bool,
    report_file: str | None,
    reseed: tuple[str, ...],
    grace_period_s: float,
    state_url: str,
    lock_timeout_s: float,
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
    """Apply the plan: create, update and delete factors so the tenant matches the manifests."""
    if not (yes or dry_run or _stdin_is_terminal()):
        # Asking on a pipe would hang or read garbage: refuse before any request is sent.
        raise errors.UsageError(
            "apply asks for confirmation, but stdin is not a terminal: pass --yes (or --dry-run)"
        )
    policy = models.Policy(reseed_totp=runs.parse_reseed(reseed))
    saved = plans.read_plan_file(plan_file) if plan_file else None
    if saved is not None and not paths:
        paths = saved.manifest_files
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
        _apply(
            users=users,
            saved=saved,
            connection=connection,
            run=run,
            policy=policy,
            console=console,
            yes=yes,
            dry_run=dry_run,
            force=force,
            state_url=state_url,
            lock_timeout_s=lock_timeout_s,
            asked=incremental_run.Asked(
                incremental=incremental,
                full=full,
                log_retention_days=log_retention_days,
                max_full_scan_age_days=max_full_scan_age_days,
            ),
            grace_period_s=grace_period_s,
            only_users=only_users,
        )
    )
    if report is None:
        return
    _show_report(console, report)
    if report_file:
        runs.write_report(report_file, report)
        console.info(f"Report written to {report_file}.")
    if report.interrupted:
        raise click.exceptions.Exit(interrupts.EXIT_INTERRUPTED)
    if not report.ok:
        raise click.exceptions.Exit(1)
