"""The governor's fast path is allowed only while the bucket model has nothing to pace by."""

from __future__ import annotations

from mfasync import models
from mfasync.executing import bucket

NO_HEADERS = models.RateLimit()


def test_model_is_not_quiet_before_any_answer() -> None:
    model = bucket.BucketModel(max_rps=100.0)
    assert model.quiet is False


def test_model_is_quiet_after_answers_without_rate_limit_headers() -> None:
    model = bucket.BucketModel(max_rps=100.0)
    model.on_send(0.0)
    model.on_response(0.1, status=200, rate_limit=NO_HEADERS)
    assert model.quiet is True
    assert model.delay_s(0.2) == 0.0


def test_first_rate_limit_header_ends_the_quiet_state() -> None:
    model = bucket.BucketModel(max_rps=100.0)
    model.on_send(0.0)
    model.on_response(0.1, status=200, rate_limit=NO_HEADERS)
    model.on_send(0.2)
    model.on_response(0.3, status=200, rate_limit=models.RateLimit(limit=10, remaining=9))
    assert model.quiet is False


def test_a_429_without_headers_ends_the_quiet_state() -> None:
    model = bucket.BucketModel(max_rps=100.0)
    model.on_send(0.0)
    model.on_response(0.1, status=200, rate_limit=NO_HEADERS)
    model.on_send(0.2)
    model.on_response(0.3, status=429, rate_limit=NO_HEADERS)
    assert model.quiet is False
