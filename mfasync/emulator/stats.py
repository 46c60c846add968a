"""In-process counters for tests and benchmarks: requests by (method, route, status), 429s,
injected failures and dropped writes. Status 0 means the connection was dropped (no answer).

Counting only; this module must not decide anything.
"""

from __future__ import annotations

import collections
import threading

DROPPED = 0


class Stats:
    """Counters, safe to read from another thread (`snapshot()` copies under a lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: collections.Counter[tuple[str, str, int]] = collections.Counter()
        self.rate_limited = 0
        self.injected_failures = 0
        self.dropped = 0

    def __repr__(self) -> str:
        return (
            f"Stats(requests={self.total()}, rate_limited={self.rate_limited}, "
            f"injected_failures={self.injected_failures}, dropped={self.dropped})"
        )

    def record(self, method: str, route: str, status: int) -> None:
        with self._lock:
            self._requests[(method, route, status)] += 1
            if status == 429:
                self.rate_limited += 1
            elif status == DROPPED:
                self.dropped += 1

    def note_injected_failure(self) -> None:
        with self._lock:
            self.injected_failures += 1

    def snapshot(self) -> dict[tuple[str, str, int], int]:
        """A copy of the counters, keys sorted."""
        with self._lock:
            return dict(sorted(self._requests.items()))

    def total(self, *, method: str | None = None, route: str | None = None) -> int:
        """How many requests matched (all statuses, drops included)."""
        with self._lock:
            return sum(
                count
                for (m, r, _status), count in self._requests.items()
                if (method is None or m == method) and (route is None or r == route)
            )

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self.rate_limited = self.injected_failures = self.dropped = 0
