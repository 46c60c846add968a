"""Claims about the pure bucket model and, by a virtual-time simulation, the governor's pace."""

from __future__ import annotations

import pytest

from mfasync import models
from mfasync.executing import bucket
from tests.executing import simulation


def _rl(remaining: int, *, limit: int = 10) -> models.RateLimit:
    return models.RateLimit(limit=limit, remaining=remaining, reset_at_s=1000.0)


def test_without_rate_limit_headers_requests_are_never_held_back() -> None:
    model = bucket.BucketModel(max_rps=50.0)
    model.on_send(0.0)
    model.on_response(0.01, status=200, rate_limit=models.RateLimit())
    assert model.delay_s(0.02) == 0.0


def test_only_one_probe_is_in_flight_before_the_first_answer() -> None:
    model = bucket.BucketModel(max_rps=50.0)
    assert model.delay_s(0.0) == 0.0
    model.on_send(0.0)
    assert model.delay_s(0.0) == 0.02


def test_plenty_of_remaining_tokens_means_no_wait() -> None:
    model = bucket.BucketModel(max_rps=50.0)
    model.on_send(0.0)
    model.on_response(0.0, status=200, rate_limit=_rl(8))
    assert model.delay_s(0.0) == 0.0


def test_requests_in_flight_are_counted_against_the_remaining_tokens() -> None:
    model = bucket.BucketModel(max_rps=50.0)
    model.on_send(0.0)
    model.on_response(0.0, status=200, rate_limit=_rl(3))
    for _ in range(3):
        model.on_send(0.0)
    assert model.tokens(0.0) == 0.0
    assert model.delay_s(0.0) > 0.0


def test_a_429_holds_everyone_back_for_about_one_refill_interval_not_a_whole_second() -> None:
    model = bucket.BucketModel(max_rps=50.0)
    model.on_send(0.0)
    model.on_response(0.0, status=429, rate_limit=_rl(0))
    delay = model.delay_s(0.0)
    assert 0.0 < delay < 0.5


def test_the_refill_rate_is_measured_from_successive_headers() -> None:
    model = bucket.BucketModel(max_rps=100.0)
    # 20 tokens/s: every 0.05 s one request is answered and the bucket stays at 2 remaining.
    for step in range(40):
        now = step * 0.05
        model.on_send(now)
        model.on_response(now, status=200, rate_limit=_rl(2, limit=50))
    assert model.measured
    assert model.refill_per_s == pytest.approx(20.0 * bucket.RATE_BIAS, rel=0.01)


def test_a_full_bucket_restarts_the_measurement() -> None:
    model = bucket.BucketModel(max_rps=100.0)
    for step in range(40):
        now = step * 0.05
        model.on_send(now)
        model.on_response(now, status=200, rate_limit=_rl(9, limit=10))
    assert not model.measured


def test_the_guess_is_cut_on_a_429_before_anything_is_measured() -> None:
    model = bucket.BucketModel(max_rps=100.0)
    model.on_send(0.0)
    model.on_response(0.0, status=200, rate_limit=_rl(0, limit=50))
    assert model.refill_per_s == 50.0
    model.on_send(0.0)
    model.on_response(0.1, status=429, rate_limit=_rl(0, limit=50))
    assert model.refill_per_s == 50.0 * bucket.GUESS_BACKOFF


def test_a_lost_request_is_no_longer_in_flight() -> None:
    model = bucket.BucketModel(max_rps=100.0)
    model.on_send(0.0)
    model.on_send(0.0)
    model.on_lost(0.1)
    assert model.in_flight == 1


@pytest.mark.parametrize(
    ("burst", "per_s", "requests", "latency_s"),
    [
        (10, 50.0, 2000, 0.002),
        (10, 50.0, 2000, 0.05),
        (50, 16.0, 1000, 0.002),
        (50, 16.0, 1000, 0.05),
    ],
)
def test_a_long_run_moves_at_the_tenant_rate_with_few_429s(
    burst: int, per_s: float, requests: int, latency_s: float
) -> None:
    result = simulation.simulate(
        burst=burst,
        per_s=per_s,
        requests=requests,
        workers=16,
        latency_s=latency_s,
        max_rps=1000.0,
    )
    ideal_s = (requests - burst) / per_s
    assert result.wall_s <= 1.10 * ideal_s
    assert result.rate_limited <= 0.02 * result.sent
