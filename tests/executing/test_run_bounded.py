"""Claims about the executor's one fan-out: bounded in flight, lazy, every item exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from mfasync.executing import run_bounded


async def test_never_more_items_in_flight_than_the_concurrency() -> None:
    in_flight = 0
    peak = 0

    async def work(item: int) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        in_flight -= 1

    await run_bounded(range(50), work, concurrency=4)
    assert peak == 4
    assert in_flight == 0


async def test_items_are_read_lazily_no_further_than_the_workers_in_flight() -> None:
    pulled = 0
    done = 0
    ahead: list[int] = []

    def items() -> Iterator[int]:
        nonlocal pulled
        for item in range(40):
            pulled += 1
            ahead.append(pulled - done)
            yield item

    async def work(item: int) -> None:
        nonlocal done
        await asyncio.sleep(0)
        done += 1

    await run_bounded(items(), work, concurrency=3)
    assert pulled == 40
    assert max(ahead) == 3


async def test_every_item_is_worked_on_exactly_once_in_order_of_reading() -> None:
    seen: list[int] = []

    async def work(item: int) -> None:
        seen.append(item)
        await asyncio.sleep(0)

    await run_bounded(range(25), work, concurrency=8)
    assert seen == list(range(25))


async def test_a_failing_item_stops_the_run_with_its_own_error_unwrapped() -> None:
    async def work(item: int) -> None:
        await asyncio.sleep(0)
        if item == 5:
            raise ValueError("item 5")

    with pytest.raises(ValueError, match="item 5"):
        await run_bounded(range(20), work, concurrency=2)


async def test_no_items_and_zero_concurrency_finish_at_once() -> None:
    seen: list[int] = []

    async def work(item: int) -> None:
        seen.append(item)

    await run_bounded([], work, concurrency=0)
    await run_bounded([7], work, concurrency=0)
    assert seen == [7]
