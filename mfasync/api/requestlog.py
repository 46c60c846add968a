"""The request log: one line per HTTP attempt, on the standard `logging` logger `mfasync.http`.

    GET /api/v2/users/auth0%7Cu1/authentication-methods?page=0&per_page=100&include_totals=true
        200 41ms attempt=1 limit=50 remaining=49 reset=1764700000          (one line, wrapped here)
    POST /oauth/token 429 3ms attempt=1 limit=10 remaining=0 reset=1764700001 retry_after=1
    DELETE /api/v2/users/auth0%7Cu1/authentication-methods/phone%7Cdev_x - 5003ms attempt=2
        error=TimeoutError

Method, path as sent (ids URL-encoded, as they are), the query (its personal values masked),
the status (`-` when no answer came), the duration of the exchange (not the time the rate
governor held the request back), the attempt number (`mfasync.attempts`, set by the retry
policy), and the answer's rate-limit headers. Never a body, a header value other than the
rate-limit ones, a token or an exception's message: a write's answer can carry a secret, and an
aiohttp error's text can carry the request's headers. The records are INFO; nothing is shown
unless someone attaches a handler (the CLI does at -vv and with --log-file).
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Mapping

from mfasync import masking, models

LOGGER = logging.getLogger("mfasync.http")

#: Query parameters whose value is personal data: logged masked.
_EMAIL_PARAMETERS = frozenset({"email"})


def enabled() -> bool:
    """Whether a line would go anywhere: callers skip building it otherwise (the hot path)."""
    return LOGGER.isEnabledFor(logging.INFO)


def target(path: str, query: str = "", params: Mapping[str, str] | None = None) -> str:
    """What the log shows of a URL: `path`, the already encoded `query` (`?page=0&...`, the
    client's own paging and log cursors) and `params` (what came from outside, such as the
    users-by-email address), an email address masked (`email=chuc****@exam*******`)."""
    if not params:
        return path + query
    shown = {
        name: masking.redact_email(value) if name in _EMAIL_PARAMETERS else value
        for name, value in params.items()
    }
    return path + query + ("&" if query else "?") + urllib.parse.urlencode(shown, safe="*@")


def answered(
    method: str,
    target: str,
    *,
    status: int,
    elapsed_s: float,
    attempt: int,
    rate_limit: models.RateLimit,
    retry_after_s: float | None = None,
) -> None:
    """One line for an attempt that got an answer (any status, 429s and 5xx included)."""
    line = f"{method} {target} {status} {_ms(elapsed_s)} attempt={attempt}"
    if rate_limit.limit is not None:
        line += f" limit={rate_limit.limit}"
    if rate_limit.remaining is not None:
        line += f" remaining={rate_limit.remaining}"
    if rate_limit.reset_at_s is not None:
        line += f" reset={rate_limit.reset_at_s:.0f}"
    if retry_after_s is not None:
        line += f" retry_after={retry_after_s:g}"
    LOGGER.info(line)


def failed(
    method: str, target: str, *, elapsed_s: float, attempt: int, error: BaseException
) -> None:
    """One line for an attempt that got no answer: the exception's class, never its message."""
    LOGGER.info(
        f"{method} {target} - {_ms(elapsed_s)} attempt={attempt} error={type(error).__name__}"
    )


def _ms(elapsed_s: float) -> str:
    return f"{max(0.0, elapsed_s) * 1000:.0f}ms"
