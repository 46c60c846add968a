"""Claims about the retry policy (sleeps are recorded, never slept)."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

import pytest

from mfasync import errors, settings
from mfasync.executing import governor, retrying

RETRY = settings.RetrySettings(
    max_attempts=4, backoff_base_s=0.5, backoff_max_s=3.0, rate_limit_max_wait_s=20.0
)


class Sleeps:
    def __init__(self) -> None:
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)


def scripted(*outcomes: BaseException | str) -> Callable[[], Awaitable[str]]:
    """A request that raises or returns each outcome in turn."""
    queue = list(outcomes)

    async def request() -> str:
        outcome = queue.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return request


def make(sleeps: Sleeps, *, gov: governor.RateGovernor | None = None) -> retrying.Retrier:
    return retrying.Retrier(
        RETRY, governor=gov, sleep=sleeps, wall_clock=lambda: 1000.0, rng=random.Random(7)
    )


async def test_server_errors_are_retried_until_success() -> None:
    sleeps = Sleeps()
    retrier = make(sleeps)
    result = await retrier.call(scripted(errors.ServerError("boom", status=503), "ok"))
    assert result == "ok"
    assert len(sleeps.slept) == 1


async def test_backoff_is_full_jitter_under_a_capped_exponential() -> None:
    retrier = make(Sleeps())
    ceilings = [0.5, 1.0, 2.0, 3.0, 3.0]
    for attempt, ceiling in enumerate(ceilings, start=1):
        assert 0.0 <= retrier.backoff_s(attempt) <= ceiling


async def test_a_request_gives_up_after_max_attempts() -> None:
    retrier = make(Sleeps())
    failures = [errors.TransportError("dropped") for _ in range(4)]
    with pytest.raises(errors.TransportError):
        await retrier.call(scripted(*failures))


async def test_final_errors_are_not_retried() -> None:
    sleeps = Sleeps()
    with pytest.raises(errors.ForbiddenError):
        await make(sleeps).call(scripted(errors.ForbiddenError("no", status=403), "ok"))
    assert sleeps.slept == []


async def test_an_ambiguous_post_is_never_resent() -> None:
    sleeps = Sleeps()
    with pytest.raises(errors.AmbiguousWriteError):
        await make(sleeps).call(scripted(errors.AmbiguousWriteError("dropped"), "ok"))
    assert sleeps.slept == []


async def test_a_429_without_governor_waits_until_the_reset_time() -> None:
    sleeps = Sleeps()
    limited = errors.RateLimitedError("slow down", retry_at_s=1003.0)
    assert await make(sleeps).call(scripted(limited, "ok")) == "ok"
    assert sleeps.slept == [3.0]


async def test_a_429_wait_is_capped() -> None:
    sleeps = Sleeps()
    limited = errors.RateLimitedError("slow down", retry_at_s=5000.0)
    await make(sleeps).call(scripted(limited, "ok"))
    assert sleeps.slept == [20.0]


async def test_retry_after_wins_over_the_reset_time() -> None:
    sleeps = Sleeps()
    limited = errors.RateLimitedError("slow down", retry_at_s=1003.0, retry_after_s=1.5)
    await make(sleeps).call(scripted(limited, "ok"))
    assert sleeps.slept == [1.5]


async def test_with_a_governor_a_429_is_paced_by_the_governor_not_by_a_sleep() -> None:
    sleeps = Sleeps()
    gov = governor.RateGovernor(settings.RateSettings())
    limited = errors.RateLimitedError("slow down", retry_at_s=1003.0)
    assert await make(sleeps, gov=gov).call(scripted(limited, "ok")) == "ok"
    assert sleeps.slept == []


async def test_a_retried_delete_that_finds_nothing_has_succeeded() -> None:
    retrier = make(Sleeps())
    outcomes = [errors.ServerError("boom", status=502), errors.NotFoundError("gone", status=404)]

    async def delete() -> None:
        raise outcomes.pop(0)

    assert await retrier.delete(delete) is False


async def test_a_first_try_delete_404_is_an_error() -> None:
    async def delete() -> None:
        raise errors.NotFoundError("The authentication method could not be found.", status=404)

    with pytest.raises(errors.NotFoundError):
        await make(Sleeps()).delete(delete)


async def test_a_lost_request_is_reported_to_the_governor() -> None:
    gov = governor.RateGovernor(settings.RateSettings(max_rps=1000.0))
    await gov.before_request()
    await make(Sleeps(), gov=gov).call(scripted(errors.TransportError("dropped"), "ok"))
    assert gov.in_flight == 0


def numbered(*outcomes: BaseException | str) -> tuple[Callable[[], Awaitable[str]], list[int]]:
    """`scripted`, recording the attempt number each send sees (what the request log shows)."""
    from mfasync import attempts

    request, seen = scripted(*outcomes), []

    async def send() -> str:
        seen.append(attempts.current())
        return await request()

    return send, seen


async def test_each_send_is_numbered_whatever_made_it_a_retry() -> None:
    from mfasync import attempts

    send, seen = numbered(
        errors.RateLimitedError("slow down", retry_after_s=0.0),
        errors.ServerError("boom", status=503),
        "ok",
    )
    assert await make(Sleeps()).call(send) == "ok"
    assert seen == [1, 2, 3]
    assert attempts.current() == 1  # outside a call: back to the first attempt


async def test_a_retried_delete_is_numbered_too() -> None:
    send, seen = numbered(errors.ServerError("boom", status=500), errors.NotFoundError("gone"))

    async def delete() -> None:
        await send()

    assert await make(Sleeps()).delete(delete) is False
    assert seen == [1, 2]


async def test_a_caller_that_re_sends_on_its_own_counts_on_with_one_sends() -> None:
    # the applier re-sends an uncertain create after re-listing: its second POST is attempt 2
    sends = retrying.Sends()
    retrier = make(Sleeps())
    send, seen = numbered(errors.AmbiguousWriteError("lost", status=None), "ok")
    with pytest.raises(errors.AmbiguousWriteError):
        await retrier.call(send, sends=sends)
    assert await retrier.call(send, sends=sends) == "ok"
    assert seen == [1, 2]
