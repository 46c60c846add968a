"""A virtual-time simulation of a run against a token-bucket tenant (no sleeping, no sockets).

The server's bucket copies the emulator's arithmetic (float tokens, floor(remaining), reset rounded
up to the second). Workers share the governor's model exactly as the async governor does: one
decision at a time, a response may arrive before the computed delay ends.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

from mfasync import models
from mfasync.executing import bucket


@dataclass
class Bucket:
    burst: int
    per_s: float
    tokens: float = -1.0
    updated: float = 0.0

    def take(self, now: float) -> tuple[bool, models.RateLimit]:
        if self.tokens < 0:
            self.tokens = float(self.burst)
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.per_s)
        self.updated = now
        allowed = self.tokens >= 1.0
        if allowed:
            self.tokens -= 1.0
        wait_s = max(0.0, (1.0 - self.tokens) / self.per_s)
        return allowed, models.RateLimit(
            limit=self.burst, remaining=math.floor(self.tokens), reset_at_s=math.ceil(now + wait_s)
        )


@dataclass(frozen=True)
class Result:
    wall_s: float
    sent: int
    rate_limited: int


def simulate(
    *, burst: int, per_s: float, requests: int, workers: int, latency_s: float, max_rps: float
) -> Result:
    model = bucket.BucketModel(max_rps=max_rps)
    server = Bucket(burst, per_s)
    now = 0.0
    todo = requests
    free = workers
    pending: list[tuple[float, int, bool, models.RateLimit]] = []
    sent = limited = seq = 0
    while todo > 0 or pending:
        send_at = now + model.delay_s(now) if todo > 0 and free > 0 else math.inf
        if pending and pending[0][0] <= send_at:
            now, _, allowed, rate_limit = heapq.heappop(pending)
            model.on_response(now, status=200 if allowed else 429, rate_limit=rate_limit)
            free += 1
            if not allowed:
                limited += 1
                todo += 1  # the request goes back to the queue
            continue
        now = send_at
        model.on_send(now)
        allowed, rate_limit = server.take(now + latency_s / 2)
        seq += 1
        heapq.heappush(pending, (now + latency_s, seq, allowed, rate_limit))
        sent += 1
        todo -= 1
        free -= 1
    return Result(wall_s=now, sent=sent, rate_limited=limited)
