"""The rate governor: one pace for the whole run, adapted to the tenant's x-ratelimit-* headers.

It implements the API client's request hooks (`before_request`, `after_response`), so every HTTP
request of the run, paging included, passes through it. It owns ONE aiolimiter limiter (the
`max_rps` cap), created inside the running loop, and a `bucket.BucketModel` that slows requests down
to the tenant's measured refill rate when the bucket runs low, and holds everyone back after a 429.
It never retries anything (that is `retrying`'s job) and never sleeps inside the model.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from aiolimiter import AsyncLimiter

from mfasync import models, settings
from mfasync.executing import bucket

#: Requests per second are reported over this trailing window (progress display).
RPS_WINDOW_S = 5.0


@dataclass(frozen=True, slots=True)
class GovernorStats:
    """Counters for the progress display and the report."""

    requests: int
    rate_limited: int
    requests_per_s: float
    refill_per_s: float | None  # the tenant's rate as measured, when known


class RateGovernor:
    """Gates every request of a run. Create it anywhere; it binds to the loop on first use."""

    def __init__(
        self,
        rate: settings.RateSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate
        self._clock = clock
        self._model = bucket.BucketModel(max_rps=rate.max_rps)
        self._limiter: AsyncLimiter | None = None
        self._lock: asyncio.Lock | None = None
        self._wakeup: asyncio.Event | None = None
        self._sent_at: deque[float] = deque()
        self.requests = 0
        self.rate_limited = 0

    def _bind(self) -> tuple[AsyncLimiter, asyncio.Lock]:
        # Created inside the running loop (aiolimiter and asyncio primitives bind to it).
        if self._limiter is None or self._lock is None:
            # A small burst (a tenth of a second's worth) keeps "never more than max_rps" true
            # over any window while not serialising every request on the limiter.
            burst = max(1.0, min(10.0, float(int(self._rate.max_rps / 10))))
            self._limiter = AsyncLimiter(burst, burst / self._rate.max_rps)
            self._lock = asyncio.Lock()
        return self._limiter, self._lock

    async def before_request(self) -> None:
        limiter, lock = self._bind()
        if self._model.quiet and not lock.locked() and limiter.has_capacity():
            # The fast path: the tenant has announced no limit and sent no 429, nobody is
            # waiting, and the cap has room. The model would say "send now", so the lock and
            # its decision loop are skipped; the cap is still taken from the same limiter (its
            # `acquire` cannot wait here: nothing runs between the check and the call).
            await limiter.acquire()
            self._sent(self._clock())
            return
        # One caller decides at a time, so two callers never both take the last token.
        async with lock:
            while (delay_s := self._model.delay_s(self._clock())) > 0:
                self._wakeup = asyncio.Event()
                try:
                    # A response may bring better news (a fresh `remaining`) before the delay ends.
                    await asyncio.wait_for(self._wakeup.wait(), timeout=delay_s)
                except TimeoutError:
                    pass
                finally:
                    self._wakeup = None
            await limiter.acquire()
            self._sent(self._clock())

    def _sent(self, now: float) -> None:
        self._model.on_send(now)
        self.requests += 1
        self._sent_at.append(now)
        self._trim(now)

    def after_response(self, status: int, rate_limit: models.RateLimit) -> None:
        self._model.on_response(self._clock(), status=status, rate_limit=rate_limit)
        if status == 429:
            self.rate_limited += 1
        if self._wakeup is not None:
            self._wakeup.set()

    def request_lost(self) -> None:
        """A request ended without a response (no `after_response` will come for it)."""
        self._model.on_lost(self._clock())
        if self._wakeup is not None:
            self._wakeup.set()

    @property
    def in_flight(self) -> int:
        """Requests sent and neither answered nor reported lost."""
        return self._model.in_flight

    def _trim(self, now: float) -> None:
        while self._sent_at and now - self._sent_at[0] > RPS_WINDOW_S:
            self._sent_at.popleft()

    def stats(self) -> GovernorStats:
        now = self._clock()
        self._trim(now)
        span_s = now - self._sent_at[0] if self._sent_at else 0.0
        rps = len(self._sent_at) / max(span_s, 1.0) if self._sent_at else 0.0
        return GovernorStats(
            requests=self.requests,
            rate_limited=self.rate_limited,
            requests_per_s=rps,
            refill_per_s=self._model.refill_per_s if self._model.measured else None,
        )
