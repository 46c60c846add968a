"""The state as the commands use it: `--state`, the run row, the tenant lock and the crash trail.

`session(...)` opens the state named by `--state` (or `MFASYNC_STATE`; default
`sqlite:///.mfasync/state.db` in the working directory; `none` for a stateless run), and for the
length of a command holds what it needs: for `apply`, the tenant lock first (before planning),
then a run row, and the report of any earlier apply that was killed; for `plan` and `drift` a run
row and no lock. The run row is closed with the command's counts and outcome however it ends.

What it must not do: plan, apply or print anything but the one-line notices of the state itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import getpass
import os
import socket
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, TypeVar

import click

from mfasync import api, executing, models, plans, state
from mfasync.cli import output

ENV_STATE = "MFASYNC_STATE"
DEMO_STATE = "sqlite:///.mfasync/state.db"  # relative: inside the demo's own folder
F = TypeVar("F", bound=Callable[..., Any])

#: CI systems and the variables that name the job (the first one set wins).
_CI_JOB_VARIABLES: tuple[tuple[str, Callable[[Mapping[str, str]], str | None]], ...] = (
    (
        "GITHUB_RUN_ID",
        lambda env: (
            f"github:{env.get('GITHUB_REPOSITORY', '?')}/actions/runs/{env['GITHUB_RUN_ID']}"
        ),
    ),
    ("CI_JOB_URL", lambda env: f"gitlab:{env['CI_JOB_URL']}"),
    ("CI_JOB_ID", lambda env: f"gitlab:{env['CI_JOB_ID']}"),
    ("BUILDKITE_BUILD_URL", lambda env: f"buildkite:{env['BUILDKITE_BUILD_URL']}"),
    ("CIRCLE_BUILD_URL", lambda env: f"circleci:{env['CIRCLE_BUILD_URL']}"),
    ("BUILD_URL", lambda env: f"jenkins:{env['BUILD_URL']}"),
)


def state_option(func: F) -> F:
    """--state (MFASYNC_STATE): where mfasync remembers what it wrote and saw."""
    return click.option(
        "--state",
        "state_url",
        envvar=ENV_STATE,
        default=state.DEFAULT,
        show_default=True,
        metavar="URL",
        help="sqlite:///PATH, postgresql://USER@HOST/DB, or none (stateless). [env: MFASYNC_STATE]",
    )(func)


def lock_timeout_option(func: F) -> F:
    """--lock-timeout SECONDS: how long apply waits for another apply's lock."""
    return click.option(
        "--lock-timeout",
        "lock_timeout_s",
        type=click.FloatRange(0, 86_400),
        default=0.0,
        show_default=True,
        metavar="SECONDS",
        help="Wait this long for the tenant's lock when another apply holds it.",
    )(func)


def tenant_of(domain: str) -> str:
    """The tenant's identity in the state: the origin every request goes to."""
    return api.base_url(domain).lower()


def ci_job(environ: Mapping[str, str]) -> str | None:
    """The CI job that runs us, when the usual CI variables say so."""
    for variable, describe in _CI_JOB_VARIABLES:
        if environ.get(variable):
            return describe(environ)
    return None


def os_user() -> str:
    """Who runs us, for the runs table."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


@dataclasses.dataclass
class Session:
    """The state of one command run. `store` is None for `--state none`."""

    store: state.Store | None
    run_id: int | None = None
    counts: dict[str, int] = dataclasses.field(default_factory=dict)
    outcome: str = "ok"
    interrupted_users: tuple[str, ...] = ()

    @property
    def fingerprinter(self) -> plans.Fingerprinter:
        return self.store.fingerprinter if self.store is not None else plans.NO_KEY

    def recorder(self, *, read_only: bool = False) -> executing.StateRecorder | None:
        """The executor's view of the state (None when stateless); `read_only` records nothing."""
        if self.store is None:
            return None
        return executing.StateRecorder(self.store, read_only=read_only)

    def first(self, users: Sequence[models.DesiredUser]) -> tuple[models.DesiredUser, ...]:
        """`users` with those an interrupted run left unanswered first (they are re-read first)."""
        if not self.interrupted_users:
            return tuple(users)
        wanted = set(self.interrupted_users)
        early = [u for u in users if u.user_id in wanted or u.key in wanted]
        late = [u for u in users if not (u.user_id in wanted or u.key in wanted)]
        return (*early, *late)


@contextlib.asynccontextmanager
async def session(
    state_url: str,
    *,
    domain: str,
    command: str,
    console: output.Console,
    lock_timeout_s: float | None = None,
    record: bool = True,
) -> AsyncIterator[Session]:
    """Open the state for `command` (see the module docstring). `record=False`: read only."""
    location = state.parse(state_url)
    if location is None:
        yield Session(store=None)
        return
    store = await state.Store.open(location, tenant=tenant_of(domain))
    host, pid = socket.gethostname(), os.getpid()
    lock: state.TenantLock | None = None
    current = Session(store=store)
    try:
        if lock_timeout_s is not None:
            lock = state.TenantLock(store, timeout_s=lock_timeout_s, host=host, pid=pid)
            await lock.__aenter__()
        await store.load()
        started = datetime.datetime.now(datetime.UTC)
        if record:
            current.run_id = await store.begin_run(
                state.RunInfo(
                    command=command,
                    host=host,
                    os_user=os_user(),
                    pid=pid,
                    ci_job=ci_job(os.environ),
                    started_at=started,
                )
            )
            if lock is not None:
                await lock.name_run(current.run_id, since=started)
                current.interrupted_users = await _report_interrupted(
                    store, current.run_id, console
                )
        try:
            yield current
        except BaseException:
            current.outcome = "failed"
            raise
        finally:
            if current.run_id is not None:
                await store.end_run(
                    current.run_id,
                    counts=current.counts,
                    outcome=current.outcome,
                    at=datetime.datetime.now(datetime.UTC),
                )
    finally:
        try:
            if lock is not None:
                await lock.release()
        finally:
            await store.close()


async def _report_interrupted(
    store: state.Store, run_id: int, console: output.Console
) -> tuple[str, ...]:
    """One line per killed apply; the users of their unanswered writes, to be read first."""
    found = await store.interrupted(current_run=run_id)
    users: list[str] = []
    for item in found:
        run = item.run
        since = run.started_at.strftime("%Y-%m-%d %H:%M:%SZ")
        count = len(item.unanswered)
        writes = f"{count} write{'s' if count != 1 else ''} had no answer"
        names = sorted({entry.user_id for entry in item.unanswered})
        reread = f"; re-reading {', '.join(names[:5])}{' ...' if len(names) > 5 else ''} first"
        console.warn(
            f"run {run.run_id} (apply on {run.host}, pid {run.pid}, started {since}) was "
            f"interrupted; {writes}{reread if names else ''}"
        )
        users.extend(names)
    await store.close_interrupted([item.run.run_id for item in found])
    return tuple(dict.fromkeys(users))
