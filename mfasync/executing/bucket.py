"""A pure model of the tenant's token bucket, fed by the x-ratelimit-* headers.

The rate governor asks it one question before every request: "how long until a request would find
a token?". No I/O, no asyncio, no clock of its own: every method takes `now` (monotonic seconds),
so tests drive it with literal times.

How it estimates (see docs/execution.md, "The rate governor"):
- The newest response is the anchor: the server had `remaining` tokens then. Tokens now are that,
  plus the refill since, minus every request still in flight (some of those may already be counted
  in `remaining`: subtracting them again errs on the safe side).
- The refill rate is measured, not assumed: `remaining + consumed` (tokens the server granted so
  far) grows at exactly the refill rate while the bucket is not full, so the slope of that series
  over a few seconds is the sustained rate. Until it is measured, a guess is used, cut back on every
  429. A low estimate costs almost nothing (fresh anchors show the extra tokens), a high one costs
  429s, so the estimate is biased low.
- A 429 is an anchor with zero tokens: every caller then waits for the refill, released one by one
  at the estimated rate, instead of all sleeping to `x-ratelimit-reset`, whose one-second
  granularity would waste most of a second after every 429.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from mfasync import models

#: Tokens kept in hand beyond the one a request needs: absorbs reordered responses and the
#: refill-during-latency guess. The steady state keeps the server's bucket near this level.
MARGIN_TOKENS = 0.5
#: The measured rate is trusted once this many tokens of refill were observed...
MIN_MEASURED_TOKENS = 8.0
#: ...or once the observation spans this long (slow tenants: 2 requests per second).
MIN_MEASURED_SPAN_S = 4.0
#: Observations older than this are forgotten, so the estimate follows a changing rate.
WINDOW_S = 10.0
#: The measured rate is used at this share: overestimates cost 429s, underestimates nearly nothing.
RATE_BIAS = 0.92
#: Before anything is measured, a 429 cuts the guessed rate by this factor.
GUESS_BACKOFF = 0.6
#: Before anything is measured, finding the bucket full after holding requests back raises it.
GUESS_RAISE = 1.5


@dataclass(frozen=True, slots=True)
class _Point:
    at_s: float
    granted: float  # remaining + consumed: tokens the server has granted us so far


class BucketModel:
    """The client's view of the server's token bucket. Not thread-safe; one per run."""

    def __init__(self, *, max_rps: float) -> None:
        self._max_rps = max_rps
        self._limit: int | None = None
        self._anchor_remaining: float | None = None
        self._anchor_at_s = 0.0
        self._in_flight = 0
        self._consumed = 0
        self._points: deque[_Point] = deque()
        self._guess_per_s: float | None = None
        self._measured_per_s: float | None = None
        self._answered = False  # has any response come back yet?
        self._throttled = False  # did the model hold a request back since the last response?
        self._last_cut_at_s = -math.inf
        self._sent_at_s: deque[float] = deque()  # send times of requests in flight, oldest first
        self._latency_s = 0.0  # smoothed round trip

    # -- observations -------------------------------------------------------------------------

    def on_send(self, now: float) -> None:
        self._in_flight += 1
        self._sent_at_s.append(now)

    def _settle_one(self, now: float) -> None:
        self._in_flight = max(0, self._in_flight - 1)
        if self._sent_at_s:
            # Responses mostly come back in order: the oldest send is this response's request.
            round_trip = now - self._sent_at_s.popleft()
            self._latency_s = (
                round_trip if not self._answered else (0.8 * self._latency_s + 0.2 * round_trip)
            )

    def on_lost(self, now: float) -> None:
        """A request got no response (dropped connection, timeout): it is no longer in flight.

        The server may well have counted it, so it is counted as consumed.
        """
        self._settle_one(now)
        self._consumed += 1

    def adopt_in_flight(self, other: BucketModel) -> None:
        """Start from `other`'s requests in flight and latency (a bucket first seen mid-run)."""
        self._in_flight = other._in_flight
        self._sent_at_s = deque(other._sent_at_s)
        self._latency_s = other._latency_s

    def on_answer_of_another_bucket(
        self, now: float, *, status: int, floor_remaining: int | None
    ) -> None:
        """An answer to a request this bucket also counted, carrying another bucket's headers.

        The service shows the headers of the bucket nearest exhaustion, so this bucket had at
        least `floor_remaining` tokens left: an estimate below that is raised to it (a stale low
        anchor must not hold requests back). No point joins the refill series: a floor is not a
        measurement.
        """
        self._settle_one(now)
        self._answered = True
        if status == 429:
            return  # refused by the other bucket: this one was not necessarily charged
        self._consumed += 1
        if floor_remaining is None or self._anchor_remaining is None:
            return
        level = self._anchor_remaining + self.refill_per_s * max(0.0, now - self._anchor_at_s)
        if self._limit is not None:
            level = min(level, float(self._limit))
        if level < floor_remaining:
            self._anchor_remaining = float(floor_remaining)
            self._anchor_at_s = now - self._latency_s / 2

    def on_response(self, now: float, *, status: int, rate_limit: models.RateLimit) -> None:
        self._settle_one(now)
        self._answered = True
        throttled, self._throttled = self._throttled, False
        limited = status == 429
        if not limited:
            self._consumed += 1
        if rate_limit.limit is not None:
            self._limit = rate_limit.limit
        remaining = rate_limit.remaining
        if limited:
            remaining = 0  # whatever the header says, the bucket had less than one token
            self._on_rate_limited(now)
        if remaining is None:
            return
        self._anchor_remaining = float(remaining)
        # The server counted tokens about half a round trip ago, not now.
        self._anchor_at_s = now - self._latency_s / 2
        self._observe(now, remaining, throttled=throttled)

    def _on_rate_limited(self, now: float) -> None:
        if self._measured_per_s is not None:
            return
        # One cut per refill interval: the 429s of requests already in flight when the first one
        # came say nothing new, and cutting for each would crush the guess.
        if now - self._last_cut_at_s >= 1.0 / self.refill_per_s:
            self._guess_per_s = self.refill_per_s * GUESS_BACKOFF
            self._last_cut_at_s = now

    def _observe(self, now: float, remaining: int, *, throttled: bool) -> None:
        if self._limit is not None and remaining >= self._limit - 1:
            # The bucket was full: refill was being thrown away before this point, so the series
            # starts again here. If we had been holding requests back, the guess was too low.
            self._points.clear()
            if throttled and self._measured_per_s is None:
                self._guess_per_s = self.refill_per_s * GUESS_RAISE
        self._points.append(_Point(now, float(remaining + self._consumed)))
        while self._points and now - self._points[0].at_s > WINDOW_S:
            self._points.popleft()
        first, last = self._points[0], self._points[-1]
        span_s = last.at_s - first.at_s
        tokens = last.granted - first.granted
        if span_s > 0 and (tokens >= MIN_MEASURED_TOKENS or span_s >= MIN_MEASURED_SPAN_S):
            self._measured_per_s = max(tokens / span_s, 0.1)

    # -- the answer ---------------------------------------------------------------------------

    @property
    def refill_per_s(self) -> float:
        """The refill rate in use: measured (biased low), else the guess, capped by max_rps."""
        if self._measured_per_s is not None:
            rate = self._measured_per_s * RATE_BIAS
        elif self._guess_per_s is not None:
            rate = self._guess_per_s
        else:
            # Nothing known yet: one bucket per second (too low a guess would let the bucket
            # fill while we wait, wasting refill before anything is measured). Cut on each 429.
            rate = float(self._limit) if self._limit else self._max_rps
        return max(0.1, min(rate, self._max_rps))

    @property
    def quiet(self) -> bool:
        """Nothing to pace by: answers came, none with a rate-limit header, and no 429 yet.

        Then `delay_s` is 0 for every request, so the governor may skip asking. A 429 sets an
        anchor (zero tokens) and any `x-ratelimit-*` header sets an anchor or the limit, so the
        first of either ends the quiet state for good.
        """
        return self._answered and self._anchor_remaining is None and self._limit is None

    @property
    def measured(self) -> bool:
        return self._measured_per_s is not None

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def tokens(self, now: float) -> float | None:
        """Estimated tokens available to a new request now; None when the API sends no headers."""
        if self._anchor_remaining is None:
            return None
        level = self._anchor_remaining + self.refill_per_s * max(0.0, now - self._anchor_at_s)
        if self._limit is not None:
            level = min(level, float(self._limit))
        return level - self._in_flight

    def delay_s(self, now: float) -> float:
        """Seconds to wait before the next request; 0 means send now."""
        if not self._answered and self._in_flight > 0:
            # Nothing known about the tenant yet: one probe first, rather than a burst of 429s.
            self._throttled = True
            return 1.0 / self._max_rps
        tokens = self.tokens(now)
        if tokens is None:
            return 0.0
        # A tiny bucket cannot afford the full margin: waiting for it would let the bucket fill.
        margin = MARGIN_TOKENS if self._limit is None else min(MARGIN_TOKENS, (self._limit - 1) / 4)
        shortfall = 1.0 + margin - tokens
        if shortfall <= 0:
            return 0.0
        self._throttled = True
        return shortfall / self.refill_per_s
