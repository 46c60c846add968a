"""`asyncrun.run` hands a command's result back without asyncio ever taking its repr."""

from __future__ import annotations

import asyncio

import pytest

from mfasync.cli import asyncrun


class _Result:
    """A result whose repr is counted (a plan of 100,000 users takes seconds to repr)."""

    reprs = 0

    def __repr__(self) -> str:
        type(self).reprs += 1
        return "_Result()"


async def _main() -> _Result:
    await asyncio.sleep(0)
    return _Result()


def test_the_result_comes_back_and_is_never_repr_ed() -> None:
    _Result.reprs = 0
    result = asyncrun.run(_main())
    assert isinstance(result, _Result)
    assert _Result.reprs == 0


def test_plain_asyncio_run_does_repr_it_which_is_why_asyncrun_exists() -> None:
    # the CPython behaviour asyncrun works around; if a later Python stops doing it, this test
    # says asyncrun may go
    _Result.reprs = 0
    asyncio.run(_main())
    if _Result.reprs == 0:
        pytest.skip("this Python's asyncio.run no longer reprs its result: asyncrun may go")
    assert _Result.reprs == 2  # signal.getsignal, then signal.signal, at the run's end
