"""Ctrl-C and SIGTERM during apply's writes: stop gently, then at once.

The first SIGINT or SIGTERM asks the executor to stop (`executing.StopSignal.request`): no user is
started any more, and users in flight finish the action they are sending, for at most the grace
period. A second signal, or the end of the grace period, stops at once. Either way the command
goes on to print its summary and write its report, then exits 130, as a shell expects of a run
ended by Ctrl-C. What it must not do: decide what a stop means for a user (the executor does).

Signals are caught only around the writes: while the plan is read, Ctrl-C ends the run at once
as usual (nothing was written), and the confirmation prompt keeps its usual Ctrl-C.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import click

from mfasync import executing
from mfasync.cli import output

F = TypeVar("F", bound=Callable[..., Any])

EXIT_INTERRUPTED = 130  # 128 + SIGINT: what shells and CI runners expect after Ctrl-C
DEFAULT_GRACE_PERIOD_S = 30.0
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def grace_period_option(func: F) -> F:
    """--grace-period SECONDS: how long users in flight may finish after a first Ctrl-C."""
    return click.option(
        "--grace-period",
        "grace_period_s",
        type=click.FloatRange(0, 3_600),
        default=DEFAULT_GRACE_PERIOD_S,
        show_default=True,
        metavar="SECONDS",
        help="After a first Ctrl-C or SIGTERM, how long users in flight may finish the action "
        "they are sending; a second one stops at once.",
    )(func)


class StopOnSignals:
    """While entered, SIGINT / SIGTERM drive `stop`: the first gently, the second at once.

    Use around the write phase, inside the running event loop (`with StopOnSignals(...)`).
    """

    def __init__(
        self, stop: executing.StopSignal, *, console: output.Console, grace_period_s: float
    ) -> None:
        self.stop = stop
        self._console = console
        self._grace_period_s = grace_period_s
        self._signals = 0
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: dict[signal.Signals, Any] = {}

    @property
    def caught(self) -> bool:
        """True once a signal came: the command exits 130."""
        return self._signals > 0

    def __enter__(self) -> StopOnSignals:
        self._loop = asyncio.get_running_loop()
        for each in _SIGNALS:
            self._previous[each] = signal.getsignal(each)
            self._loop.add_signal_handler(each, self._on_signal, each)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
        assert self._loop is not None
        for each, previous in self._previous.items():
            self._loop.remove_signal_handler(each)
            # asyncio.run's own Ctrl-C handling, or the default, as it was before
            signal.signal(each, previous)

    def _on_signal(self, received: signal.Signals) -> None:
        self._signals += 1
        if self._signals == 1:
            self.stop.request()
            self._console.warn(
                f"{received.name}: stopping. No new user is started; users in flight finish "
                f"the action they are sending (up to {self._grace_period_s:g} s). "
                f"{received.name} again stops at once."
            )
            assert self._loop is not None
            self._timer = self._loop.call_later(self._grace_period_s, self._grace_over)
            return
        if not self.stop.hard:
            self._console.warn(f"{received.name} again: stopping at once.")
            self.stop.stop_now()

    def _grace_over(self) -> None:
        if not self.stop.hard:
            self._console.warn(
                f"The grace period ({self._grace_period_s:g} s) is over: stopping at once."
            )
            self.stop.stop_now()
