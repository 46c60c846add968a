"""Which attempt of a request is being sent: set by the retry policy, read by the request log.

The retry policy (`executing.retrying`) knows how many times a request has been sent; the
client (`api`) sends it and logs it, and must not import the executor. A context variable
carries the number between them without widening every backend method: each asyncio task
(one per user) has its own value, and a request sent outside any retrier is attempt 1.
Nothing else belongs here; this module imports nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

_CURRENT: contextvars.ContextVar[int] = contextvars.ContextVar("mfasync_attempt", default=1)


def current() -> int:
    """The number (1-based) of the attempt the running task is sending."""
    return _CURRENT.get()


@contextlib.contextmanager
def numbered(attempt: int) -> Iterator[None]:
    """Requests sent inside this block are attempt `attempt`; the previous number comes back."""
    token = _CURRENT.set(attempt)
    try:
        yield
    finally:
        _CURRENT.reset(token)
