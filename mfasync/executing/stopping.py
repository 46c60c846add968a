"""How an apply is asked to stop: first gently (no new user, no next action), then at once.

The CLI turns SIGINT / SIGTERM into calls here; the executor only asks `StopSignal` questions, so
it never touches signals itself and a test can stop a run without one. A gentle stop lets every
user in flight finish the request it is sending, then stops that user before its next action: a
user stopped between its create and its delete keeps both factors (make before break) and is
reported as interrupted. A hard stop (a second signal, or the grace period over) abandons the
requests in flight; their outcome is unknown, as after a crash, and the journal settles them.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


class Abandoned(Exception):
    """The request in flight was abandoned by a hard stop: its outcome is unknown."""


class StopSignal:
    """A run's stop requests. `requested`: start nothing new; `hard`: abandon what is in flight."""

    def __init__(self) -> None:
        self._requested = False
        self._hard = False
        self._in_flight: set[asyncio.Future[Any]] = set()

    @property
    def requested(self) -> bool:
        return self._requested

    @property
    def hard(self) -> bool:
        return self._hard

    def request(self) -> None:
        """Stop gently: no new user is started and no user starts its next action."""
        self._requested = True

    def stop_now(self) -> None:
        """Stop at once: the requests in flight are abandoned (a gentle stop is implied). Call it
        on the event loop's thread (a signal handler added with `loop.add_signal_handler` is)."""
        self._requested = True
        self._hard = True
        for request in list(self._in_flight):
            request.cancel()

    async def unless_stopped(self, request: Awaitable[T]) -> T:
        """Await `request`, unless a hard stop comes first: then cancel it, raise `Abandoned`.

        The request runs as a task of its own that `stop_now` cancels: one task per request, no
        waiter beside it (an action's cost on a run that is not stopped).
        """
        if self._hard:
            if inspect.iscoroutine(request):
                request.close()  # never sent: not left "never awaited"
            raise Abandoned
        task = asyncio.ensure_future(request)
        self._in_flight.add(task)
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self._hard and not (current is not None and current.cancelling()):
                raise Abandoned from None  # stop_now cancelled the request, not our caller
            raise
        finally:
            self._in_flight.discard(task)
