"""The token bucket and its headers, over an injected clock (pure, no sleeping)."""

from __future__ import annotations

from mfasync.emulator import config, ratelimit


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_the_burst_then_refuses_with_reset_at_next_token() -> None:
    clock = FakeClock(1000.0)
    bucket = ratelimit.TokenBucket(config.RateLimit(burst=2, per_s=0.5), clock=clock)
    first, second, third = bucket.take(), bucket.take(), bucket.take()
    assert (first.allowed, first.remaining, first.limit) == (True, 1, 2)
    assert (second.allowed, second.remaining) == (True, 0)
    assert (third.allowed, third.remaining, third.reset_s) == (False, 0, 1002)


def test_bucket_refills_at_the_sustained_rate() -> None:
    clock = FakeClock(1000.0)
    bucket = ratelimit.TokenBucket(config.RateLimit(burst=1, per_s=2.0), clock=clock)
    assert bucket.take().allowed
    assert not bucket.take().allowed
    clock.now = 1000.5
    assert bucket.take().allowed


def test_reset_is_rounded_up_to_whole_seconds() -> None:
    clock = FakeClock(1000.25)
    bucket = ratelimit.TokenBucket(config.RateLimit(burst=1, per_s=4.0), clock=clock)
    verdict = bucket.take()
    assert verdict.reset_s == 1001
    assert verdict.headers() == {
        "x-ratelimit-limit": "1",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": "1001",
    }
