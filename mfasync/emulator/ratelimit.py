"""The rate-limit buckets and the `x-ratelimit-*` headers they produce.

Burst = bucket size, sustained rate = refill per second, as the reference describes Auth0's limits.
`Buckets` is a tenant as the service has it: the tenant-wide bucket is checked first, then the
bucket of the request's endpoint group, if it has one; an answer carries the headers of the bucket
nearest exhaustion (fewest tokens left), a refusal those of the bucket that refused.
`x-ratelimit-reset` is the UNIX time, in whole seconds rounded up, at which the next token is
available, so a client that sleeps until then finds one. Pure arithmetic over an injected clock;
this module must not sleep or know about HTTP.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable, Mapping

from mfasync.emulator import config


@dataclasses.dataclass(frozen=True)
class Verdict:
    """One request's outcome and the three headers' values."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: int
    wait_s: float = 0.0  # seconds until the next token (Retry-After of a refusal)

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset_s),
        }


class TokenBucket:
    """Starts full; each request takes one token or is refused."""

    def __init__(self, limit: config.RateLimit, *, clock: Callable[[], float] = time.time) -> None:
        self._limit = limit
        self._clock = clock
        self._tokens = float(limit.burst)
        self._updated = clock()
        self._lock = threading.Lock()

    def take(self) -> Verdict:
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(float(self._limit.burst), self._tokens + elapsed * self._limit.per_s)
            self._updated = now
            allowed = self._tokens >= 1.0
            if allowed:
                self._tokens -= 1.0
            wait_s = max(0.0, (1.0 - self._tokens) / self._limit.per_s)
            return Verdict(
                allowed=allowed,
                limit=self._limit.burst,
                remaining=math.floor(self._tokens),
                reset_s=math.ceil(now + wait_s),
                wait_s=wait_s,
            )


class Buckets:
    """The tenant-wide bucket and the per-endpoint-group buckets of one tenant."""

    def __init__(
        self,
        tenant: config.RateLimit,
        endpoints: Mapping[str, config.RateLimit],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._tenant = TokenBucket(tenant, clock=clock)
        self._endpoints = {
            group: TokenBucket(limit, clock=clock) for group, limit in endpoints.items()
        }
        self._lock = threading.Lock()

    def take(self, group: str | None) -> Verdict:
        """One request of endpoint `group` (None: a group without a bucket of its own)."""
        with self._lock:
            tenant = self._tenant.take()
            own = self._endpoints.get(group) if group is not None else None
            if not tenant.allowed or own is None:
                return tenant
            verdict = own.take()
            if not verdict.allowed:
                return verdict
            return verdict if verdict.remaining <= tenant.remaining else tenant
