"""Several buckets: endpoint groups, one model per bucket, alternating headers, the floor rule."""

from __future__ import annotations

import pytest

from mfasync import models
from mfasync.executing import bucket, endpoints
from tests.executing import simulation


def _rl(remaining: int, limit: int) -> models.RateLimit:
    return models.RateLimit(limit=limit, remaining=remaining, reset_at_s=1000.0)


@pytest.mark.parametrize(
    ("method", "path", "group"),
    [
        ("GET", "/users-by-email", "users-by-email"),
        ("GET", "/users/auth0%7Ca/authentication-methods", "authentication-methods-read"),
        (
            "GET",
            "/users/auth0%7Ca/authentication-methods/totp%7Cdev_1",
            "authentication-methods-read",
        ),
        ("POST", "/users/auth0%7Ca/authentication-methods", "authentication-methods-write"),
        ("PUT", "/users/auth0%7Ca/authentication-methods", "authentication-methods-write"),
        ("PATCH", "/users/auth0%7Ca/authentication-methods/x", "authentication-methods-write"),
        ("DELETE", "/users/auth0%7Ca/authentication-methods/x", "authentication-methods-write"),
        ("GET", "/logs", "logs"),
        ("GET", "/clients", "other"),
    ],
)
def test_each_request_belongs_to_one_endpoint_group(method: str, path: str, group: str) -> None:
    assert endpoints.group_of(method, path) == group


def test_alternating_headers_feed_one_model_per_bucket() -> None:
    group = endpoints.GroupModels(max_rps=1000.0)
    group.on_send(0.0)
    group.on_response(0.01, status=200, rate_limit=_rl(49, limit=50))
    assert group.buckets == 1
    for step in range(1, 5):
        now = step * 0.01
        group.on_send(now)
        shown = _rl(10 - step, limit=10) if step % 2 else _rl(48 - step, limit=50)
        group.on_response(now + 0.005, status=200, rate_limit=shown)
    assert group.buckets == 2
    assert group.in_flight == 0


def test_the_tightest_bucket_of_the_group_sets_the_wait() -> None:
    group = endpoints.GroupModels(max_rps=1000.0)
    group.on_send(0.0)
    group.on_response(0.0, status=200, rate_limit=_rl(40, limit=50))
    group.on_send(0.0)
    group.on_response(0.0, status=200, rate_limit=_rl(0, limit=10))
    alone = bucket.BucketModel(max_rps=1000.0)
    alone.on_send(0.0)
    alone.on_response(0.0, status=200, rate_limit=_rl(40, limit=50))
    assert alone.delay_s(0.0) == 0.0
    assert group.delay_s(0.0) > 0.0


def test_an_answer_of_another_bucket_lifts_a_stale_low_estimate() -> None:
    group = endpoints.GroupModels(max_rps=1000.0)
    group.on_send(0.0)
    group.on_response(0.0, status=429, rate_limit=_rl(0, limit=50))  # the tenant bucket, empty
    group.on_send(0.1)
    group.on_response(0.1, status=200, rate_limit=_rl(5, limit=10))  # the write bucket
    # The write bucket was the one nearest exhaustion, so the tenant bucket had at least 5 left:
    # nothing holds the next request back.
    assert group.delay_s(0.1) == 0.0


def test_a_request_lost_in_flight_is_settled_in_every_model_of_its_group() -> None:
    group = endpoints.GroupModels(max_rps=1000.0)
    group.on_send(0.0)
    group.on_response(0.0, status=200, rate_limit=_rl(40, limit=50))
    group.on_send(0.0)
    group.on_response(0.0, status=200, rate_limit=_rl(8, limit=10))
    group.on_send(0.1)
    group.on_lost(0.2)
    assert group.in_flight == 0


@pytest.mark.parametrize("latency_s", [0.002, 0.05])
def test_writes_under_a_tenant_and_a_write_bucket_run_at_the_write_rate_with_few_429s(
    latency_s: float,
) -> None:
    # 300 users: 300 reads, then 600 writes (two per user), as apply does (two phases).
    kinds = ["read"] * 300 + ["write"] * 600
    result = simulation.simulate_two_buckets(
        tenant=(50, 20.0),
        writes=(10, 5.0),
        kinds=kinds,
        workers=8,
        latency_s=latency_s,
        max_rps=1000.0,
    )
    ideal_s = (300 - 50) / 20.0 + (600 - 10) / 5.0
    assert result.wall_s <= 1.10 * ideal_s
    assert result.rate_limited <= 0.02 * result.sent


def test_a_group_with_plenty_of_tokens_is_ample_and_a_low_one_is_not() -> None:
    group = endpoints.GroupModels(max_rps=1000.0)
    assert not group.ample(0.0)  # nothing known yet: the decision loop probes first
    group.on_send(0.0)
    group.on_response(0.0, status=200, rate_limit=_rl(99_990, limit=100_000))
    assert group.ample(0.0)
    group.on_send(0.0)
    group.on_response(0.0, status=200, rate_limit=_rl(3, limit=10))  # a second, tight bucket
    assert not group.ample(0.0)
