"""`StopSignal.unless_stopped`: a hard stop abandons the request in flight, and only that."""

from __future__ import annotations

import asyncio

import pytest

from mfasync.executing import Abandoned, StopSignal


async def test_a_hard_stop_cancels_the_request_in_flight_and_says_abandoned() -> None:
    stop = StopSignal()
    cancelled = asyncio.Event()

    async def request() -> str:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "answered"

    sending = asyncio.ensure_future(stop.unless_stopped(request()))
    await asyncio.sleep(0.01)
    stop.stop_now()
    with pytest.raises(Abandoned):
        await sending
    assert cancelled.is_set()
    assert stop.requested
    with pytest.raises(Abandoned):  # after a hard stop nothing more is sent
        await stop.unless_stopped(request())


async def test_a_request_that_is_not_stopped_returns_its_answer() -> None:
    stop = StopSignal()

    async def request() -> str:
        await asyncio.sleep(0)
        return "answered"

    assert await stop.unless_stopped(request()) == "answered"
    stop.request()  # a gentle stop abandons nothing
    assert await stop.unless_stopped(request()) == "answered"


async def test_the_caller_cancelled_is_a_cancellation_not_an_abandoned_request() -> None:
    stop = StopSignal()
    cancelled = asyncio.Event()

    async def request() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    sending = asyncio.ensure_future(stop.unless_stopped(request()))
    await asyncio.sleep(0.01)
    sending.cancel()
    stop.stop_now()  # in the same moment: still the caller's own cancellation
    with pytest.raises(asyncio.CancelledError):
        await sending
    assert cancelled.is_set()
