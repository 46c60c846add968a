"""The retry policy: which failed requests are sent again, and after how long.

Decided from the error class alone (see errors.py): a 429 waits for the tenant's bucket and
retries; a 5xx or a transport failure on a request that is safe to repeat (GET, PATCH, PUT, DELETE)
is retried with capped exponential backoff and full jitter; a retried DELETE that meets a 404 has
succeeded; everything else is final. An `AmbiguousWriteError` (a POST that may have been committed)
is NEVER re-sent here: the applier re-lists the user and decides. An `UnreachableError` (no request
of the run got an answer yet) is retried only within `unreachable_budget_s`, so an unreachable
tenant stops the run in seconds. Tokens are the client's business.
Each send is numbered (`attempts.numbered`) for the request log: 1, then 2 for the first re-send,
whatever made it (a 429, a 5xx, a dropped connection).
This module does not pace requests (the governor does) and knows nothing about plans.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from mfasync import attempts as numbering
from mfasync import errors, settings
from mfasync.executing import governor as governing

T = TypeVar("T")

#: 429s have their own budget: under a storm they are expected, and each one costs no write.
RATE_LIMIT_ATTEMPTS_FACTOR = 4

Sleep = Callable[[float], Awaitable[None]]


class Retrier:
    """Runs one request (a zero-argument coroutine function) under the retry policy."""

    def __init__(
        self,
        retry: settings.RetrySettings,
        *,
        governor: governing.RateGovernor | None = None,
        sleep: Sleep = asyncio.sleep,
        wall_clock: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._retry = retry
        self._governor = governor
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._clock = clock
        # Jitter only spreads retries out; it needs no cryptographic strength.
        self._rng = rng or random.Random()  # noqa: S311
        self.retries = 0

    def backoff_s(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**(attempt-1))] after failed `attempt`."""
        ceiling = min(self._retry.backoff_max_s, self._retry.backoff_base_s * 2 ** (attempt - 1))
        return self._rng.uniform(0.0, ceiling)

    @property
    def max_attempts(self) -> int:
        """Attempts per request (the first one included), from the retry settings."""
        return self._retry.max_attempts

    async def pause(self, attempt: int) -> None:
        """Sleep the backoff after failed `attempt`, for a caller that decides its own re-send."""
        delay_s = self.backoff_s(attempt)
        if delay_s > 0:
            await self._sleep(delay_s)

    def rate_limit_wait_s(self, exc: errors.RateLimitedError, *, attempt: int) -> float:
        """How long to wait after a 429 before sending the request again."""
        cap = self._retry.rate_limit_max_wait_s
        if exc.retry_after_s is not None:
            return max(0.0, min(exc.retry_after_s, cap))
        if self._governor is not None:
            # The governor already holds every request back until the bucket refills, and
            # releases them one by one at the measured rate: sleeping to the whole-second reset
            # here as well would waste most of a second on every 429.
            return 0.0
        if exc.retry_at_s is not None:
            return max(0.0, min(exc.retry_at_s - self._wall_clock(), cap))
        return self.backoff_s(attempt)

    def _lost(self, exc: errors.ApiError) -> None:
        # No status: no response came, so the governor got no after_response for this request.
        if exc.status is None and self._governor is not None:
            self._governor.request_lost(exc.method or "GET", exc.path or "")

    async def call(self, request: Callable[[], Awaitable[T]], *, sends: Sends | None = None) -> T:
        """Send `request` until it succeeds or fails for good; raise its final error.

        `sends`: the count of a request its caller re-sends on its own (an uncertain create), so
        that the log numbers its attempts on across calls; a fresh count by default.
        """
        return await self._run(request, _Attempts(), sends or Sends())

    async def delete(self, request: Callable[[], Awaitable[None]]) -> bool:
        """Send a DELETE. False when a retry found it already gone (an earlier try committed)."""
        attempts = _Attempts()
        try:
            await self._run(request, attempts, Sends())
        except errors.NotFoundError:
            if attempts.maybe_committed:
                return False
            raise
        return True

    async def _run(
        self, request: Callable[[], Awaitable[T]], attempts: _Attempts, sends: Sends
    ) -> T:
        started = self._clock()
        while True:
            sends.count += 1
            try:
                with numbering.numbered(sends.count):
                    return await request()
            except errors.RateLimitedError as exc:
                attempts.limited += 1
                if attempts.limited >= self._retry.max_attempts * RATE_LIMIT_ATTEMPTS_FACTOR:
                    raise
                delay_s = self.rate_limit_wait_s(exc, attempt=attempts.limited)
            except (errors.ServerError, errors.TransportError) as exc:
                self._lost(exc)
                attempts.failed += 1
                # The failed attempt may have reached the server before failing.
                attempts.maybe_committed = True
                if attempts.failed >= self._retry.max_attempts:
                    raise
                delay_s = self.backoff_s(attempts.failed)
                if isinstance(exc, errors.UnreachableError) and (
                    self._clock() - started + delay_s > self._retry.unreachable_budget_s
                ):
                    raise
            except errors.AmbiguousWriteError as exc:
                self._lost(exc)
                raise
            self.retries += 1
            if delay_s > 0:
                await self._sleep(delay_s)


@dataclass
class Sends:
    """How many times one request has been sent so far (see `Retrier.call`)."""

    count: int = 0


@dataclass
class _Attempts:
    """What happened to one request so far."""

    failed: int = 0  # 5xx / transport failures
    limited: int = 0  # 429s
    maybe_committed: bool = False
