"""Shared plumbing of the commands that talk to the Management API (plan, apply; drift later).

Builds the run settings and the connection, the client with its rate governor, loads and filters
the manifests, builds the secret resolver from the environment, parses `--reseed`, shows progress
on stderr (a rich progress bar on a terminal, a plain line every few seconds otherwise) and writes
reports. What it must not do: plan, apply or render (those belong to executing / rendering).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from types import TracebackType

from rich.console import Console as RichConsole
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from mfasync import api, errors, executing, manifests, models, plans, secretrefs, settings
from mfasync.cli import output

DEFAULT_PATH = "manifests"
PLAIN_PROGRESS_EVERY_S = 5.0
RESEEDABLE_TYPES = ("totp",)
NARROW_CONCURRENCY = 8  # email look-ups at once while matching `--user` ids to email: users


def run_settings(*, concurrency: int, max_rps: float) -> settings.RunSettings:
    return settings.RunSettings(
        rate=settings.RateSettings(max_rps=max_rps, concurrency=concurrency)
    )


def load_users(
    paths: Sequence[str], *, only_users: Sequence[str], console: output.Console
) -> tuple[manifests.ManifestSet, tuple[models.DesiredUser, ...]]:
    """The manifest set (default `manifests/`), its warnings shown, limited to `--user`s.

    A `--user` id that no entry declares may be the id an `email:` entry resolves to: then the
    `email:` users are kept too, and `narrow` keeps only the right ones once connected.
    """
    manifest_set = manifests.load(list(paths) or [DEFAULT_PATH])
    for warning in manifest_set.warnings:
        console.info(str(warning))
    if not only_users:
        return manifest_set, manifest_set.users
    chosen, missing = _select(manifest_set.users, only_users)
    by_email = tuple(user for user in manifest_set.users if user.user_id is None)
    if missing and by_email and not any(value.startswith("email:") for value in missing):
        return manifest_set, tuple(dict.fromkeys((*chosen, *by_email)))
    if missing:
        raise _no_such_user(missing)
    return manifest_set, chosen


async def narrow(
    users: Sequence[models.DesiredUser],
    only_users: Sequence[str],
    *,
    backend: executing.ReadBackend,
    retrier: executing.Retrier,
) -> tuple[models.DesiredUser, ...]:
    """`users` limited to the `--user`s, `email:` users matched by the user id they resolve to.

    Only when a `--user` id named no entry (see `load_users`) is any address looked up.
    """
    chosen, missing = _select(users, only_users)
    if not missing:
        return tuple(users)
    wanted = set(missing)
    candidates = [user for user in users if user.user_id is None and user not in chosen]
    # an address that finds no one, or several, is no `--user` match
    resolved = await executing.resolve_emails(
        candidates, backend=backend, retrier=retrier, concurrency=NARROW_CONCURRENCY
    )
    found = {
        user_id: user
        for user in candidates
        if (user_id := resolved.get(user.key)) is not None and user_id in wanted
    }
    left = sorted(wanted - set(found))
    if left:
        raise _no_such_user(left, resolved=True)
    return (*chosen, *found.values())


def _select(
    users: Sequence[models.DesiredUser], only_users: Sequence[str]
) -> tuple[tuple[models.DesiredUser, ...], list[str]]:
    """The users a `--user` names by key or declared id, and the values that named none."""
    # `email:` keys compare case-insensitively, as addresses do; user ids exactly.
    wanted = {_filter_key(value): value for value in only_users}
    chosen = tuple(
        user for user in users if _filter_key(user.key) in wanted or user.user_id in wanted
    )
    found = {_filter_key(user.key) for user in chosen} | {user.user_id for user in chosen}
    return chosen, sorted(wanted[key] for key in set(wanted) - found)


def _no_such_user(missing: Sequence[str], *, resolved: bool = False) -> errors.UsageError:
    where = "in the manifests, nor an email: user's resolved id" if resolved else "in the manifests"
    return errors.UsageError(
        f"--user {missing[0]}: no such user {where}"
        + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
    )


def _filter_key(key: str | None) -> str | None:
    """A `--user` value or a user key, with an `email:` address case-folded."""
    if key is not None and key.startswith("email:"):
        return "email:" + key.removeprefix("email:").casefold()
    return key


def resolver() -> secretrefs.Resolver:
    """Secret references read the real environment: the CLI is the one place allowed to."""
    return secretrefs.Resolver(os.environ)


def parse_reseed(values: Sequence[str]) -> frozenset[str]:
    """`--reseed USER:totp` (repeatable) -> the user keys whose totp methods are re-created."""
    keys: set[str] = set()
    for value in values:
        user, sep, kind = value.rpartition(":")
        if not sep or not user or kind not in RESEEDABLE_TYPES:
            raise errors.UsageError(
                f"--reseed {value!r}: expected USER:totp (a TOTP seed cannot be read back, so "
                "re-seeding is the only way to change one)"
            )
        keys.add(user)
    return frozenset(keys)


@contextlib.asynccontextmanager
async def connect(
    connection: settings.ConnectionSettings, run: settings.RunSettings
) -> AsyncIterator[tuple[api.Client, executing.RateGovernor]]:
    """The run's one client (one session) with the run's one rate governor as its hooks."""
    governor = executing.RateGovernor(run.rate)
    async with api.Client(connection, http=run.http, hooks=governor) as client:
        yield client, governor


def write_report(path: str, report: executing.ApplyReport) -> None:
    """`--report FILE`: the report's JSON, mode 0600 from creation (it names users)."""
    text = json.dumps(report.to_document(), indent=2, sort_keys=True) + "\n"
    target = Path(path)
    with contextlib.suppress(FileNotFoundError):
        target.unlink()  # O_CREAT would keep an existing file's wider mode
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


class ProgressDisplay:
    """Users done / total, requests/s, 429s and ETA on stderr, updated as events arrive.

    On a terminal: a rich progress bar. Otherwise (CI logs): one plain line every few seconds.
    Quiet (-q) shows nothing. Use as an async context manager around a phase.
    """

    def __init__(
        self,
        console: output.Console,
        *,
        governor: executing.RateGovernor,
        label: str,
        total: int,
    ) -> None:
        self._console = console
        self._governor = governor
        self._label = label
        self._total = total
        self._done = 0
        self._errors = 0
        self._rich: Progress | None = None
        self._task: TaskID | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._started = time.monotonic()

    def on_event(self, event: executing.UserEvent) -> None:
        self._done += 1
        if event.status in ("error", "failed", "stale"):
            self._errors += 1
        self._refresh()

    def _refresh(self) -> None:
        if self._rich is not None and self._task is not None:
            stats = self._governor.stats()
            self._rich.update(
                self._task,
                completed=self._done,
                rps=stats.requests_per_s,
                limited=stats.rate_limited,
            )

    def _plain_line(self) -> str:
        stats = self._governor.stats()
        elapsed = time.monotonic() - self._started
        eta = ""
        if 0 < self._done < self._total:
            eta = f", about {(self._total - self._done) * elapsed / self._done:.0f}s left"
        return (
            f"{self._label}: {self._done}/{self._total} users, "
            f"{stats.requests_per_s:.1f} requests/s, {stats.rate_limited} 429s{eta}"
        )

    async def _tick(self) -> None:
        while True:
            if self._rich is not None:
                await asyncio.sleep(0.5)
                self._refresh()
            else:
                await asyncio.sleep(PLAIN_PROGRESS_EVERY_S)
                self._console.info(self._plain_line())

    async def __aenter__(self) -> ProgressDisplay:
        if self._console.verbosity < 0 or self._total == 0:
            return self
        if self._console.stderr_is_terminal:
            self._rich = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("users  {task.fields[rps]:.1f} req/s  {task.fields[limited]} 429s"),
                TimeRemainingColumn(),
                console=RichConsole(file=sys.stderr),
                transient=True,
            )
            self._rich.start()
            self._task = self._rich.add_task(self._label, total=self._total, rps=0.0, limited=0)
        self._ticker = asyncio.create_task(self._tick())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        if self._rich is not None:
            self._rich.stop()
        elif self._ticker is not None and exc is None:
            self._console.info(self._plain_line())


async def plan_with_progress(
    users: Sequence[models.DesiredUser],
    *,
    backend: executing.ReadBackend,
    governor: executing.RateGovernor,
    run: settings.RunSettings,
    policy: models.Policy,
    resolver: secretrefs.Resolver,
    console: output.Console,
    label: str = "Planning",
    fingerprints: bool = False,
    recorder: executing.StateRecorder | None = None,
) -> plans.Plan:
    """Read and plan every user through `backend`, with the progress display on stderr.

    `fingerprints`: as `executing.plan_users` (True for a plan that will be saved). `recorder`:
    plan with the state's records and record what was seen.
    """
    display = ProgressDisplay(console, governor=governor, label=label, total=len(users))
    async with display:
        return await executing.plan_users(
            users,
            backend=backend,
            policy=policy,
            settings=run,
            resolver=resolver,
            on_event=display.on_event,
            governor=governor,
            fingerprints=fingerprints,
            recorder=recorder,
        )
