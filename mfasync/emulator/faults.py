"""Seeded fault decisions: latency, injected 500/503, and writes dropped after commit.

One `random.Random(seed)` draws every decision in request order, so a sequential client sees the
same faults on every run. This module only decides; the middleware acts (it must not sleep or
touch connections here).
"""

from __future__ import annotations

import random

from mfasync.emulator import config


class FaultPlan:
    """Answers "fail this request?" and "drop this write?" from the seeded generator."""

    def __init__(self, faults: config.Faults) -> None:
        self.faults = faults
        # Reproducibility, not security, is the point: a seeded, non-cryptographic generator.
        self._rng = random.Random(faults.seed)  # noqa: S311

    @property
    def latency_s(self) -> float:
        return self.faults.latency_ms / 1000.0

    def failure_status(self) -> int | None:
        """500 or 503 for a share `fail_rate` of requests, else None."""
        if self.faults.fail_rate and self._rng.random() < self.faults.fail_rate:
            return self._rng.choice((500, 503))
        return None

    def drop_write(self) -> bool:
        """True for a share `drop_rate` of committed writes."""
        return bool(self.faults.drop_rate) and self._rng.random() < self.faults.drop_rate
