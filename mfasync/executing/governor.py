"""The rate governor: one pace for the whole run, adapted to the tenant's x-ratelimit-* headers.

It implements the API client's request hooks (`before_request`, `after_response`), so every HTTP
request of the run, paging included, passes through it. It owns ONE aiolimiter limiter (the
`max_rps` cap), created inside the running loop, and per endpoint group (`endpoints.group_of`) the
bucket models of that group (`endpoints.GroupModels`: one `bucket.BucketModel` per bucket whose
headers came back), which slow requests down to the tenant's measured refill rate when a bucket
runs low, and hold the group back after a 429. Groups decide independently (a lock each), so reads
do not queue behind writes waiting for their own bucket. It never retries anything (that is
`retrying`'s job) and never sleeps inside a model.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from aiolimiter import AsyncLimiter

from mfasync import models, settings
from mfasync.executing import endpoints

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
        self._groups: dict[str, endpoints.GroupModels] = {}
        self._limiter: AsyncLimiter | None = None
        self._locks: dict[str, asyncio.Lock] = {}
        self._wakeups: dict[str, asyncio.Event] = {}
        self._last_group: str | None = None
        self._sent_at: deque[float] = deque()
        self.requests = 0
        self.rate_limited = 0

    def _bind(self, group: str) -> tuple[AsyncLimiter, asyncio.Lock]:
        # Created inside the running loop (aiolimiter and asyncio primitives bind to it).
        if self._limiter is None:
            # A small burst (a tenth of a second's worth) keeps "never more than max_rps" true
            # over any window while not serialising every request on the limiter.
            burst = max(1.0, min(10.0, float(int(self._rate.max_rps / 10))))
            self._limiter = AsyncLimiter(burst, burst / self._rate.max_rps)
        lock = self._locks.get(group)
        if lock is None:
            lock = self._locks[group] = asyncio.Lock()
        return self._limiter, lock

    def _models(self, group: str) -> endpoints.GroupModels:
        models_ = self._groups.get(group)
        if models_ is None:
            models_ = self._groups[group] = endpoints.GroupModels(max_rps=self._rate.max_rps)
        return models_

    async def before_request(self, method: str = "GET", path: str = "") -> None:
        """Wait until a request `method path` (path relative to /api/v2) may be sent."""
        group = endpoints.group_of(method, path)
        limiter, lock = self._bind(group)
        model = self._models(group)
        fast = model.quiet or model.ample(self._clock())
        if fast and not lock.locked() and limiter.has_capacity():
            # The fast path: the tenant has announced no limit and sent no 429 (quiet), or every
            # bucket of the group has plenty of tokens left (ample); nobody is waiting, and the
            # cap has room. The model would say "send now", so the lock and
            # its decision loop are skipped; the cap is still taken from the same limiter (its
            # `acquire` cannot wait here: nothing runs between the check and the call).
            await limiter.acquire()
            self._sent(model, self._clock())
            return
        # One caller of a group decides at a time, so two never both take the last token.
        async with lock:
            while (delay_s := model.delay_s(self._clock())) > 0:
                wakeup = self._wakeups[group] = asyncio.Event()
                try:
                    # A response may bring better news (a fresh `remaining`) before the delay ends.
                    await asyncio.wait_for(wakeup.wait(), timeout=delay_s)
                except TimeoutError:
                    pass
                finally:
                    self._wakeups.pop(group, None)
            await limiter.acquire()
            self._sent(model, self._clock())

    def _sent(self, model: endpoints.GroupModels, now: float) -> None:
        model.on_send(now)
        self.requests += 1
        self._sent_at.append(now)
        self._trim(now)

    def after_response(
        self, status: int, rate_limit: models.RateLimit, method: str = "GET", path: str = ""
    ) -> None:
        group = endpoints.group_of(method, path)
        self._models(group).on_response(self._clock(), status=status, rate_limit=rate_limit)
        self._last_group = group
        if status == 429:
            self.rate_limited += 1
        self._wake(group)

    def request_lost(self, method: str = "GET", path: str = "") -> None:
        """A request ended without a response (no `after_response` will come for it)."""
        group = endpoints.group_of(method, path)
        self._models(group).on_lost(self._clock())
        self._wake(group)

    def _wake(self, group: str) -> None:
        wakeup = self._wakeups.get(group)
        if wakeup is not None:
            wakeup.set()

    @property
    def in_flight(self) -> int:
        """Requests sent and neither answered nor reported lost."""
        return sum(models_.in_flight for models_ in self._groups.values())

    def buckets(self) -> dict[str, int]:
        """Per endpoint group seen so far, how many buckets its answers told apart."""
        return {group: models_.buckets for group, models_ in sorted(self._groups.items())}

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
            refill_per_s=(
                self._groups[self._last_group].measured_refill_per_s
                if self._last_group is not None
                else None
            ),
        )
