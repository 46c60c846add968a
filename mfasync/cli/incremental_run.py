"""`--incremental` / `--full` for plan, apply and drift: which users a run reads (DESIGN.md 8).

Composes the pure parts (`incremental.scan_mode`, `changefeed.read_events`, `incremental.select`)
with the tenant's logs (`executing.logreading`) and the state's checkpoint. The new checkpoint is
the last log id seen before the run's reads begin, and it is saved only once every chosen user has
been read, so a change made during a run, or a run that dies, is read again next time.

What it must not do: plan or print anything but its one-line notices (info and warnings).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from mfasync import changefeed, errors, executing, incremental, models, records, secretrefs
from mfasync.cli import output, stateful
from mfasync.executing import logreading

F = TypeVar("F", bound=Callable[..., Any])


def incremental_options(func: F) -> F:
    """--incremental, --full, --log-retention-days, --max-full-scan-age-days."""
    decorators = [
        click.option(
            "--incremental",
            is_flag=True,
            help="Read only the users the tenant's logs (and the manifests) say changed since "
            "the last run; needs a state and the read:logs scope.",
        ),
        click.option(
            "--full",
            is_flag=True,
            help="Read every user, and record a new log checkpoint for later --incremental runs.",
        ),
        click.option(
            "--log-retention-days",
            type=click.FloatRange(0.01, 366),
            default=2.0,
            show_default=True,
            help="The tenant's log retention: an older checkpoint forces a full scan.",
        ),
        click.option(
            "--max-full-scan-age-days",
            type=click.FloatRange(0.01, 3660),
            default=7.0,
            show_default=True,
            help="Warn when the last full scan is older than this (the logs miss some changes).",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


@dataclasses.dataclass(frozen=True, slots=True)
class Choice:
    """What the run reads, and the checkpoint to save once it has read them."""

    users: tuple[models.DesiredUser, ...]
    checkpoint: records.Checkpoint | None  # None: record none (a plain run, or no read:logs)


@dataclasses.dataclass(frozen=True, slots=True)
class Asked:
    """The flags of one run."""

    incremental: bool = False
    full: bool = False
    log_retention_days: float = 2.0
    max_full_scan_age_days: float = 7.0

    @property
    def any(self) -> bool:
        return self.incremental or self.full


PLAIN = Asked()
"""A run asked for neither --incremental nor --full: every user, no checkpoint."""


async def choose(
    users: Sequence[models.DesiredUser],
    *,
    asked: Asked,
    session: stateful.Session,
    source: logreading.LogSource,
    retrier: executing.Retrier,
    resolver: secretrefs.Resolver,
    console: output.Console,
) -> Choice:
    """The users to read and the checkpoint to record (see the module docstring)."""
    if not asked.any:
        return Choice(users=tuple(users), checkpoint=None)
    if asked.incremental and asked.full:
        raise errors.UsageError("--incremental and --full: choose one")
    store = session.store
    if store is None:
        raise errors.UsageError(
            f"--{'incremental' if asked.incremental else 'full'} needs a state to keep the log "
            "checkpoint in: drop --state none"
        )
    now = datetime.datetime.now(datetime.UTC)
    previous = await store.checkpoint()
    mode = incremental.scan_mode(
        previous,
        now=now,
        full=asked.full,
        log_retention_days=asked.log_retention_days,
        max_full_scan_age_days=asked.max_full_scan_age_days,
    )
    if mode.warning:
        console.warn(f"Warning: {mode.warning}")
    if mode.full_scan_reason is None and previous is not None and previous.log_id is not None:
        try:
            read = await logreading.read_log(source, after=previous.log_id, retrier=retrier)
        except errors.ForbiddenError:
            console.warn(
                "Warning: the token lacks read:logs, so the logs cannot say who changed: "
                "full scan, and no checkpoint is recorded"
            )
            return Choice(users=tuple(users), checkpoint=None)
        owners = store.method_owners()
        changes = changefeed.read_events(read.events, method_owners=owners)
        checkpoint = records.Checkpoint(
            log_id=read.last_log_id, taken_at=now, last_full_scan_at=previous.last_full_scan_at
        )
        if changes.full_scan_reason is None:
            fingerprinter = session.fingerprinter
            wanted = {
                user.key: fingerprinter.desired_user(resolver.resolve_user(user)) for user in users
            }
            selection = incremental.select(
                users,
                user_records=await store.user_records(),
                desired_fingerprints=wanted,
                named=changes.user_ids,
            )
            if selection.skipped:
                since = selection.since.strftime("%Y-%m-%d %H:%M") if selection.since else "?"
                console.info(
                    f"{selection.skipped:,} users not re-read (unchanged in the logs since "
                    f"{since}); {len(selection.read):,} to read, {read.pages} log pages read"
                )
            return Choice(users=selection.read, checkpoint=checkpoint)
        console.info(changes.full_scan_reason)
        return Choice(
            users=tuple(users), checkpoint=dataclasses.replace(checkpoint, last_full_scan_at=now)
        )
    if mode.full_scan_reason is not None and asked.incremental:
        console.info(mode.full_scan_reason)
    try:
        newest = await logreading.newest_log_id(source, retrier=retrier)
    except errors.ForbiddenError:
        console.warn(
            "Warning: the token lacks read:logs: full scan, and no checkpoint is recorded "
            "(later --incremental runs will scan everything too)"
        )
        return Choice(users=tuple(users), checkpoint=None)
    return Choice(
        users=tuple(users),
        checkpoint=records.Checkpoint(log_id=newest, taken_at=now, last_full_scan_at=now),
    )


async def record(session: stateful.Session, choice: Choice) -> None:
    """Save the run's checkpoint, once every chosen user has been read."""
    if session.store is not None and choice.checkpoint is not None:
        await session.store.save_checkpoint(choice.checkpoint)
