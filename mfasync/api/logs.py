"""Decoding tenant-log pages of `GET /api/v2/logs` in checkpoint mode (reference, "Tenant logs").

A page is a JSON array of events, ordered by `log_id`, newer than the `from` of the request; the
`Link` header's `rel="next"` URL carries the `from` of the next page, and an empty array is the end.
The events are handed on as plain mappings: only `mfasync.changefeed` reads their meaning. This
module does no I/O.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from mfasync import errors

MAX_TAKE = 100  # the service refuses a larger take in checkpoint mode

_LINK_PART = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_REL_NEXT = re.compile(r'rel\s*=\s*"?next"?', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LogPage:
    """One checkpoint page: its events, and the `from` of the next page (None: none announced)."""

    events: tuple[Mapping[str, object], ...]
    next_from: str | None


def log_page(payload: object, *, link: str | None, where: str) -> LogPage:
    """The events of a page; an event without a string `log_id` is a malformed answer."""
    if not isinstance(payload, list):
        raise errors.MalformedResponseError(f"{where}: expected an array of log events")
    events: list[Mapping[str, object]] = []
    for item in payload:
        if not isinstance(item, dict) or not isinstance(item.get("log_id"), str):
            raise errors.MalformedResponseError(f"{where}: a log event without a 'log_id'")
        events.append(item)
    return LogPage(events=tuple(events), next_from=next_from(link))


def next_from(link: str | None) -> str | None:
    """The `from` query parameter of the `rel="next"` URL of a `Link` header, if any."""
    if not link:
        return None
    for match in _LINK_PART.finditer(link):
        if _REL_NEXT.search(match.group(2) or ""):
            query = urllib.parse.urlsplit(match.group(1)).query
            values = urllib.parse.parse_qs(query).get("from")
            if values and values[0]:
                return values[0]
    return None
