"""Reading the tenant's logs for an incremental run: every checkpoint page, retried like any read.

`read_log` follows the `Link` header from a checkpoint to the end (`[]`), through the run's retrier
and governor, so a 429 or a 5xx on page 40 costs a retry, not the run. What the events mean is
`mfasync.changefeed`'s business; this module only fetches them. It depends on the small `LogSource`
protocol (the API client satisfies it), never on `mfasync.api`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Protocol

from mfasync.executing import retrying


class Page(Protocol):
    """One page of log events (`api.logs.LogPage` is one)."""

    @property
    def events(self) -> Sequence[Mapping[str, object]]: ...

    @property
    def next_from(self) -> str | None: ...


class LogSource(Protocol):
    """Tenant logs in checkpoint mode, and the newest log id (scope `read:logs`)."""

    async def log_page(self, from_log_id: str) -> Page: ...

    async def newest_log_id(self) -> str | None: ...


@dataclasses.dataclass(frozen=True, slots=True)
class LogRead:
    """The events newer than a checkpoint, and the id to check-point next."""

    events: tuple[Mapping[str, object], ...]
    last_log_id: str | None  # the newest id read (the old checkpoint when nothing is new)
    pages: int


async def read_log(
    source: LogSource, *, after: str, retrier: retrying.Retrier, max_pages: int = 100_000
) -> LogRead:
    """Every event newer than `after`, page by page to the end."""
    events: list[Mapping[str, object]] = []
    cursor = after
    last = after
    pages = 0
    while pages < max_pages:
        page = await retrier.call(functools.partial(source.log_page, cursor))
        pages += 1
        if not page.events:
            break
        events.extend(page.events)
        newest = page.events[-1].get("log_id")
        if isinstance(newest, str):
            last = newest
        following = page.next_from or (newest if isinstance(newest, str) else None)
        if following is None or following == cursor:
            break
        cursor = following
    return LogRead(events=tuple(events), last_log_id=last, pages=pages)


async def newest_log_id(source: LogSource, *, retrier: retrying.Retrier) -> str | None:
    """The id of the newest event of the tenant (the checkpoint a full scan starts from)."""
    return await retrier.call(source.newest_log_id)
