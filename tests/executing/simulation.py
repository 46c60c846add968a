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
from mfasync.executing import bucket, endpoints


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


def simulate_two_buckets(
    *,
    tenant: tuple[int, float],
    writes: tuple[int, float],
    kinds: list[str],
    workers: int,
    latency_s: float,
    max_rps: float,
) -> Result:
    """Requests of `kinds` ("read" / "write"), in order, against a tenant bucket plus a write
    bucket, with the headers of the bucket nearest exhaustion (as the emulator sends them), paced
    by one `endpoints.GroupModels` per group exactly as the governor uses them."""
    groups = {"read": endpoints.GroupModels(max_rps=max_rps)}
    groups["write"] = endpoints.GroupModels(max_rps=max_rps)
    tenant_bucket, write_bucket = Bucket(*tenant), Bucket(*writes)

    def take(kind: str, at: float) -> tuple[bool, models.RateLimit]:
        allowed, shown = tenant_bucket.take(at)
        if not allowed or kind != "write":
            return allowed, shown
        own_allowed, own = write_bucket.take(at)
        if not own_allowed:
            return False, own
        remaining = (own.remaining or 0, shown.remaining or 0)
        return True, own if remaining[0] <= remaining[1] else shown

    now = 0.0
    todo = list(reversed(kinds))
    free = workers
    pending: list[tuple[float, int, str, bool, models.RateLimit]] = []
    sent = limited = seq = 0
    while todo or pending:
        send_at = math.inf
        if todo and free > 0:
            send_at = now + groups[todo[-1]].delay_s(now)
        if pending and pending[0][0] <= send_at:
            now, _, kind, allowed, rate_limit = heapq.heappop(pending)
            status = 200 if allowed else 429
            groups[kind].on_response(now, status=status, rate_limit=rate_limit)
            free += 1
            if not allowed:
                limited += 1
                todo.append(kind)  # the request goes back to the queue
            continue
        now = send_at
        kind = todo.pop()
        groups[kind].on_send(now)
        allowed, rate_limit = take(kind, now + latency_s / 2)
        seq += 1
        heapq.heappush(pending, (now + latency_s, seq, kind, allowed, rate_limit))
        sent += 1
        free -= 1
    return Result(wall_s=now, sent=sent, rate_limited=limited)
