"""Claims about reading the tenant's logs page by page, retried like any read."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import pytest

from mfasync import errors, settings
from mfasync.executing import logreading, retrying


@dataclasses.dataclass(frozen=True)
class Page:
    events: Sequence[Mapping[str, object]]
    next_from: str | None


class Logs:
    """Checkpoint paging over ids 1..total, `take` per page; fails some requests once."""

    def __init__(self, total: int, *, take: int = 3, fail_on: frozenset[str] = frozenset()):
        self.total, self.take, self.fail_on = total, take, set(fail_on)
        self.requests: list[str] = []

    async def log_page(self, from_log_id: str) -> Page:
        self.requests.append(from_log_id)
        if from_log_id in self.fail_on:
            self.fail_on.discard(from_log_id)
            raise errors.RateLimitedError("Too Many Requests", retry_after_s=0.0)
        start = int(from_log_id)
        ids = list(range(start + 1, min(self.total, start + self.take) + 1))
        events = [{"log_id": f"{i:04d}", "type": "s"} for i in ids]
        return Page(events=events, next_from=f"{ids[-1]:04d}" if ids else None)

    async def newest_log_id(self) -> str | None:
        return f"{self.total:04d}" if self.total else None


def retrier() -> retrying.Retrier:
    return retrying.Retrier(settings.RetrySettings(backoff_base_s=0.0, backoff_max_s=0.0))


async def test_every_page_is_read_to_the_end_and_a_429_costs_one_retry() -> None:
    logs = Logs(10, fail_on=frozenset({"0003"}))
    read = await logreading.read_log(logs, after="0000", retrier=retrier())
    assert [event["log_id"] for event in read.events] == [f"{i:04d}" for i in range(1, 11)]
    assert read.last_log_id == "0010"
    assert logs.requests == ["0000", "0003", "0003", "0006", "0009", "0010"]


async def test_nothing_new_keeps_the_checkpoint() -> None:
    read = await logreading.read_log(Logs(5), after="0005", retrier=retrier())
    assert read.events == ()
    assert read.last_log_id == "0005"


async def test_a_missing_scope_is_not_retried() -> None:
    class Forbidden(Logs):
        async def log_page(self, from_log_id: str) -> Page:
            self.requests.append(from_log_id)
            raise errors.ForbiddenError("Insufficient scope, expected: read:logs", status=403)

    logs = Forbidden(5)
    with pytest.raises(errors.ForbiddenError):
        await logreading.read_log(logs, after="0000", retrier=retrier())
    assert logs.requests == ["0000"]
