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
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class Abandoned(Exception):
    """The request in flight was abandoned by a hard stop: its outcome is unknown."""


class StopSignal:
    """A run's stop requests. `requested`: start nothing new; `hard`: abandon what is in flight."""

    def __init__(self) -> None:
        self._requested = False
        self._hard = asyncio.Event()

    @property
    def requested(self) -> bool:
        return self._requested

    @property
    def hard(self) -> bool:
        return self._hard.is_set()

    def request(self) -> None:
        """Stop gently: no new user is started and no user starts its next action."""
        self._requested = True

    def stop_now(self) -> None:
        """Stop at once: the requests in flight are abandoned (a gentle stop is implied)."""
        self._requested = True
        self._hard.set()

    async def unless_stopped(self, request: Awaitable[T]) -> T:
        """Await `request`, unless a hard stop comes first: then cancel it, raise `Abandoned`."""
        if self.hard:
            raise Abandoned
        task = asyncio.ensure_future(request)
        waiter = asyncio.ensure_future(self._hard.wait())
        try:
            await asyncio.wait((task, waiter), return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            task.cancel()  # the caller itself was cancelled: the request goes with it
            raise
        finally:
            waiter.cancel()
        if not task.done():
            task.cancel()
            # the abandoned request ends its own way (cancelled, or an error of its own)
            await asyncio.gather(task, return_exceptions=True)
            raise Abandoned
        return task.result()
