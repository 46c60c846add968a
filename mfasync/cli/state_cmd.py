"""`mfasync state list|show|history|forget|push`: look into the state store and manage it.

`list`, `show` and `history` read one tenant's records, runs and journal (`mfasync.state.Store`)
and print them with `rendering.state`; `forget` drops one user's records under the tenant's lock
and is recorded as a run; `push` copies the whole state, every tenant, to another backend
(`state.push`). The tenant is named by `--domain` / `AUTH0_DOMAIN` only: no credentials are read
and the Management API is never called. The commands that only look never create a state or a
tenant: a state or tenant that is not there is one line and exit 1, as `--state none` is.

What it must not do: print a password (locations are shown by their redacted `display`) or a full
fingerprint in text, or write to the tenant.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import click

from mfasync import errors, rendering, state
from mfasync.cli import asyncrun, options, output, stateful
from mfasync.rendering.state import RunWrites, UserState, Where

F = TypeVar("F", bound=Callable[..., Any])

HISTORY_LIMIT = 20
HISTORY_LIMIT_MAX = 10_000


@click.group("state")
def command() -> None:
    """Inspect and manage the state: what mfasync wrote to and saw of each tenant.

    Every subcommand but push names the tenant with --domain (AUTH0_DOMAIN); none reads
    credentials or calls the Management API.
    """


def _format_option(func: F) -> F:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="text for people (fingerprints shortened), json for tools.",
    )(func)


def _stdin_is_terminal() -> bool:
    isatty = getattr(sys.stdin, "isatty", None)
    return bool(isatty and isatty())


def _location(state_url: str, *, purpose: str) -> state.Location:
    """The state to look into; it must exist (the commands that look never create one)."""
    location = state.parse(state_url)
    if location is None:
        raise errors.StateError(f"there is no state to {purpose} (--state none)")
    if location.sqlite_path is not None and not location.sqlite_path.exists():
        raise errors.StateError(
            f"there is no state at {location.display} (no plan, apply or drift recorded one there)"
        )
    return location


@contextlib.asynccontextmanager
async def _opened(
    state_url: str, domain: str | None, *, purpose: str
) -> AsyncIterator[state.Store]:
    """The tenant's store, never creating the state or the tenant; closed at the end."""
    tenant = stateful.tenant_of(domain or "")
    location = _location(state_url, purpose=purpose)
    store = await state.Store.open(location, tenant=tenant, create=False)
    try:
        yield store
    finally:
        await store.close()


def _where(store: state.Store) -> Where:
    return Where(state=store.location.display, tenant=store.domain)


def _echo(console: output.Console, text: str) -> None:
    console.result(text.rstrip("\n"))


# -- list -----------------------------------------------------------------------------------------


async def _list(
    state_url: str,
    domain: str | None,
    user_id: str | None,
    *,
    output_format: str,
    console: output.Console,
) -> None:
    """Print the list page by page (a large tenant's records never all in memory at once)."""
    async with _opened(state_url, domain, purpose="show") as store:
        where = _where(store)
        text = rendering.state.ListText(where) if output_format == "text" else None
        document = rendering.state.ListJson(where) if text is None else None

        def emit(users: list[UserState] | None) -> None:
            if text is not None:
                lines = text.head() if users is None else text.page(users)
                if lines:
                    console.result("\n".join(lines))
            elif document is not None:
                console.result(document.head() if users is None else document.page(users), nl=False)

        emit(None)
        if user_id is not None:
            methods = await store.method_records(user_id)
            users = await store.user_records(user_id)
            emit(rendering.state.users_of(methods, users.values()))
        else:
            async for methods, records in store.pages():
                emit(rendering.state.users_of(methods, records))
        if text is not None:
            console.result("\n".join(text.tail()))
        elif document is not None:
            console.result(document.tail(), nl=False)


@command.command("list", short_help="Users and their method records, with origin.")
@click.option("--user", "user_id", metavar="ID", help="Only this user's records.")
@_format_option
@stateful.state_option
@options.domain_option
@click.pass_obj
def list_command(
    console: output.Console,
    user_id: str | None,
    output_format: str,
    state_url: str,
    domain: str | None,
) -> None:
    """Users and their method records: origin (created, adopted, seen), type, id, when seen."""
    asyncrun.run(_list(state_url, domain, user_id, output_format=output_format, console=console))


# -- show -----------------------------------------------------------------------------------------


async def _show(
    state_url: str, domain: str | None, user_id: str
) -> tuple[Where, UserState, list[RunWrites]]:
    async with _opened(state_url, domain, purpose="show") as store:
        methods = await store.method_records(user_id)
        users = await store.user_records(user_id)
        entries = await store.journal(user_id=user_id)
        runs = await store.runs(user_id=user_id)
        if not (methods or users or entries):
            raise errors.StateError(
                f"the state of {store.domain} holds no record and no history of {user_id}"
            )
        found = rendering.state.users_of(methods, users.values())
        user = found[0] if found else UserState(user_id=user_id, record=None, methods=())
        oldest_first = list(reversed(runs))
        return _where(store), user, rendering.state.runs_with_writes(oldest_first, entries)


@command.command("show", short_help="One user's records and what mfasync wrote for it.")
@click.argument("user_id", metavar="USER")
@_format_option
@stateful.state_option
@options.domain_option
@click.pass_obj
def show_command(
    console: output.Console, user_id: str, output_format: str, state_url: str, domain: str | None
) -> None:
    """One user: its user record, its method records, and what mfasync wrote for it, and when."""
    where, user, history = asyncrun.run(_show(state_url, domain, user_id))
    if output_format == "json":
        _echo(console, rendering.state.show_json(where, user, history))
    else:
        _echo(console, rendering.state.show_text(where, user, history))


# -- history --------------------------------------------------------------------------------------


async def _history(
    state_url: str, domain: str | None, user_id: str | None, limit: int
) -> tuple[Where, list[RunWrites]]:
    async with _opened(state_url, domain, purpose="show") as store:
        runs = await store.runs(limit=limit, user_id=user_id)
        entries = await store.journal(run_ids=[run.run_id for run in runs], user_id=user_id)
        return _where(store), rendering.state.runs_with_writes(runs, entries)


@command.command("history", short_help="Runs and their writes, newest first.")
@click.option("--user", "user_id", metavar="ID", help="Only the runs that wrote for this user.")
@click.option(
    "--limit",
    type=click.IntRange(1, HISTORY_LIMIT_MAX),
    default=HISTORY_LIMIT,
    show_default=True,
    help="How many of the newest runs to show.",
)
@_format_option
@stateful.state_option
@options.domain_option
@click.pass_obj
def history_command(
    console: output.Console,
    user_id: str | None,
    limit: int,
    output_format: str,
    state_url: str,
    domain: str | None,
) -> None:
    """Runs, newest first (who, where, when, command, counts, outcome) and the writes of each."""
    where, history = asyncrun.run(_history(state_url, domain, user_id, limit))
    if output_format == "json":
        _echo(console, rendering.state.history_json(where, history, user_id=user_id))
    else:
        text = rendering.state.history_text(where, history, user_id=user_id, limit=limit)
        _echo(console, text)


# -- forget ---------------------------------------------------------------------------------------


async def _forget(
    state_url: str,
    domain: str | None,
    user_id: str,
    *,
    console: output.Console,
    yes: bool,
    lock_timeout_s: float,
) -> None:
    async with _opened(state_url, domain, purpose="forget from") as store:
        methods = await store.method_records(user_id)
        users = await store.user_records(user_id)
        if not (methods or users):
            raise errors.StateError(
                f"the state of {store.domain} holds no record of {user_id}: nothing to forget"
            )
        count = len(methods)
        what = f"{count} method record{'s' if count != 1 else ''}"
        if users:
            what += " and the user record"
        question = (
            f"Forget {what} of {user_id} in {store.location.display} ({store.domain})? "
            "mfasync then treats its factors as never seen (prune: owned keeps them); "
            "the journal keeps its history."
        )
        if not yes and not click.confirm(question, default=False, err=True):
            console.warn("Nothing forgotten.")
            raise click.exceptions.Exit(1)
        host, pid = socket.gethostname(), os.getpid()
        started = datetime.datetime.now(datetime.UTC)
        # an apply holds the tenant's lock while it writes the records: never under its feet
        async with state.TenantLock(store, timeout_s=lock_timeout_s, host=host, pid=pid) as lock:
            run_id = await store.begin_run(
                state.RunInfo(
                    command="state forget",
                    host=host,
                    os_user=stateful.os_user(),
                    pid=pid,
                    ci_job=stateful.ci_job(os.environ),
                    started_at=started,
                )
            )
            await lock.name_run(run_id, since=started)
            outcome = "failed"
            removed = 0
            try:
                removed = await store.forget(user_id)
                outcome = "ok"
            finally:
                await store.end_run(
                    run_id,
                    counts={"forgotten": removed},
                    outcome=outcome,
                    at=datetime.datetime.now(datetime.UTC),
                )
        console.result(
            f"Forgot {user_id} in {store.domain}: {removed} method "
            f"record{'s' if removed != 1 else ''} dropped (run {run_id})."
        )


@command.command("forget", short_help="Drop a user's records (asks unless --yes).")
@click.argument("user_id", metavar="USER")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@stateful.lock_timeout_option
@stateful.state_option
@options.domain_option
@click.pass_obj
def forget_command(
    console: output.Console,
    user_id: str,
    yes: bool,
    lock_timeout_s: float,
    state_url: str,
    domain: str | None,
) -> None:
    """Drop a user's records (its history stays); asks for confirmation unless --yes."""
    if not (yes or _stdin_is_terminal()):
        # Asking on a pipe would hang or read garbage: refuse before touching the state.
        raise errors.UsageError(
            "state forget asks for confirmation, but stdin is not a terminal: pass --yes"
        )
    asyncrun.run(
        _forget(
            state_url,
            domain,
            user_id,
            console=console,
            yes=yes,
            lock_timeout_s=lock_timeout_s,
        )
    )


# -- push -----------------------------------------------------------------------------------------


@command.command("push", short_help="Copy the whole state to another backend.")
@click.argument("url", metavar="URL")
@click.option("--force", is_flag=True, help="Replace the target's mfasync rows if it has any.")
@stateful.state_option
@click.pass_obj
def push_command(console: output.Console, url: str, force: bool, state_url: str) -> None:
    """Copy the whole state (every tenant, with its key) to another backend at URL.

    For example from the SQLite default to a team's PostgreSQL: state push
    postgresql://USER@HOST/DB. Refuses a target that holds mfasync rows unless --force.
    """
    source = _location(state_url, purpose="push")
    target = state.parse(url)
    if target is None:
        raise errors.UsageError("state push URL: name a state to copy to, not none")
    pushed = asyncrun.run(state.push(source, target, force=force))
    if any(pushed.replaced.values()):
        console.info(f"Replaced {state.describe_counts(pushed.replaced)} in {target.display}.")
    console.result(
        f"Pushed {source.display} to {target.display}: {state.describe_counts(pushed.copied)}."
    )
