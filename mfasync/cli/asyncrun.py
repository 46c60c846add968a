"""`run(coro)`: `asyncio.run`, with the command's result handed back outside the main task.

At exit, `asyncio.run` (CPython 3.11) asks `signal.getsignal(SIGINT)` whether its own Ctrl-C
handler is still installed. That handler is a `functools.partial` holding the main task, and
`getsignal` (then `signal.signal`) first tries it as a `signal.Handlers` member: the failed
lookup's message is built from `repr(partial)`, which is the task's repr, its result included.
A plan of 5,000 users took 0.27 s to repr, twice per run; 100,000 users, seconds and a string of
tens of megabytes. Here the main task returns None, and the result travels in a box.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` in a new event loop (as `asyncio.run`) and return its result."""
    box: list[T] = []

    async def returning_nothing() -> None:
        box.append(await main)

    asyncio.run(returning_nothing())
    return box[0]
