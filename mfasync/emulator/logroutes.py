"""`GET /api/v2/logs` (checkpoint and search modes), `GET /api/v2/logs/{id}`, and the logging of
every successful write as a `sapi` event (and of every token as `seccft`).

Checkpoint mode (`from` and/or `take`): the retained, visible events with a log id above `from`,
ordered by log id, at most `take` (1..100, default 50; above 100 is a 400), and a
`Link: <...?from=LAST&take=N>; rel="next"` header; an empty page is `[]` whose next link is the
URL just asked for, as the service documents. Every other parameter is ignored in that mode.
Without `from`, the oldest retained events come first. A `from` older than the retention window
(its events are gone) answers the retained events newer than it, i.e. from the oldest retained:
the reference does not say what the service does, and a client must not rely on either answer
(its checkpoint age tells it when events may be missing).

Search mode (neither `from` nor `take`): `page` and `per_page` (default 50, max 100) over at most
the first 1,000 results (400 beyond, as the service), `include_totals` (`{"start", "limit",
"length", "total", "logs"}`), `sort` `date:1` (the default here: oldest first; the reference is
silent) or `date:-1`. `fields`/`include_fields` are ignored; a search query (`q`, `search`) is
refused with a 400, rather than answered unfiltered.

A write's `sapi` event: `client_id`/`client_name` the caller's client (the emulator has one), `ip`
the caller's address, `user_id` "" (the caller of a client-credentials token is no user; the
target is in the path), `details.request.method` in lower case and `details.request.path` with
each segment URL-encoded as `encodeURIComponent` does (`auth0%7Cabc`), whatever form the client
sent, and `details.response.statusCode`. Failed writes and reads are not logged. No request or
response body is logged (they may hold a TOTP secret). This module must not check scopes or rate
limits (the middleware does) nor change users (`state` does).
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from aiohttp import typedefs, web

from mfasync.emulator import problems, routes
from mfasync.emulator.context import API_PREFIX, CONTEXT

LOGS_ROUTE = API_PREFIX + "/logs"
LOG_ROUTE = LOGS_ROUTE + "/{log_id}"

MAX_TAKE = 100
DEFAULT_TAKE = 50
SEARCH_LIMIT = 1000  # search mode pages through the first 1,000 results only
READ_LOGS = "read:logs"
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_URI_COMPONENT_SAFE = "!'()*"  # what encodeURIComponent leaves alone, besides A-Z a-z 0-9 - _ . ~

#: The description of each write's `sapi` event (the service's wording is not documented).
DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("POST", routes.METHODS_ROUTE): "Create an authentication method",
    ("PUT", routes.METHODS_ROUTE): "Update all authentication methods",
    ("DELETE", routes.METHODS_ROUTE): "Delete all authentication methods",
    ("PATCH", routes.METHOD_ROUTE): "Update an authentication method",
    ("DELETE", routes.METHOD_ROUTE): "Delete an authentication method",
}


def shown_path(request: web.Request) -> str:
    """The request path as the service logs it: each segment decoded, then encoded again."""
    raw = request.raw_path.split("?", 1)[0]
    return "/".join(
        urllib.parse.quote(urllib.parse.unquote(part), safe=_URI_COMPONENT_SAFE)
        for part in raw.split("/")
    )


def logging_writes(method: str, route: str, handler: typedefs.Handler) -> typedefs.Handler:
    """`handler`, logging a `sapi` event when it answers a write with a 2xx (reads: unchanged)."""
    if method not in _WRITES:
        return handler
    description = DESCRIPTIONS.get((method, route), "Management API operation")

    async def logged(request: web.Request) -> web.StreamResponse:
        response = await handler(request)
        if 200 <= response.status < 300:
            context = request.app[CONTEXT]
            context.tenant.logs.record_api_write(
                method=request.method,
                path=shown_path(request),
                status=response.status,
                description=description,
                client_id=context.settings.client_id,
                client_name=context.settings.client_id,
                ip=request.remote or "",
            )
        return response

    return logged


def logging_tokens(handler: typedefs.Handler) -> typedefs.Handler:
    """The token endpoint, logging `seccft` (a client-credentials exchange) on each success."""

    async def logged(request: web.Request) -> web.StreamResponse:
        response = await handler(request)
        if response.status == 200:
            context = request.app[CONTEXT]
            context.tenant.logs.record(
                "seccft",
                description="Client Credentials for Access Token",
                client_id=context.settings.client_id,
                client_name=context.settings.client_id,
                ip=request.remote or "",
                extra={"audience": f"{context.base_url}{API_PREFIX}/"},
            )
        return response

    return logged


def _int(request: web.Request, name: str, *, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise problems.query_error(f"'{name}' must be an integer.") from None
    if value > high:
        raise problems.query_error(
            f"'Too big: {value} is greater than maximum value: {high}' on {name}."
        )
    if value < low:
        raise problems.query_error(
            f"'Too small: {value} is less than minimum value: {low}' on {name}."
        )
    return value


async def list_logs(request: web.Request) -> web.Response:
    query = request.query
    if query.get("from") or "take" in query:
        return _checkpoint(request)
    return _search(request)


def _checkpoint(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    take = _int(request, "take", default=DEFAULT_TAKE, low=1, high=MAX_TAKE)
    from_id = request.query.get("from") or None
    events = context.tenant.logs.after(
        from_id,
        take,
        retention_s=context.settings.log_retention_s,
        delay_s=context.settings.log_delay_s,
    )
    if events:
        next_query = {"from": str(events[-1]["log_id"]), "take": str(take)}
        next_url = str(request.url.with_query(next_query))
    else:
        next_url = str(request.url)  # the service: an empty page's next link is the same URL
    return web.json_response(events, headers={"Link": f'<{next_url}>; rel="next"'})


def _search(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    if request.query.get("q") or request.query.get("search"):
        raise problems.bad_request(
            "The emulator does not implement log search queries: use checkpoint mode (from, take).",
            error_code="invalid_query_string",
        )
    page = _int(request, "page", default=0, low=0, high=SEARCH_LIMIT)
    per_page = _int(request, "per_page", default=DEFAULT_TAKE, low=1, high=MAX_TAKE)
    start = page * per_page
    if start + per_page > SEARCH_LIMIT:
        raise problems.bad_request(
            f"Requesting page {page} exceeds the allowed maximum of {SEARCH_LIMIT} records."
            " To fetch results beyond 1000, use the checkpoint pagination method.",
            error_code="invalid_paging",
        )
    sort = request.query.get("sort", "date:1")
    field, _, order = sort.partition(":")
    if field not in ("date", "log_id") or order not in ("1", "-1"):
        raise problems.query_error(f"'sort' must be date:1 or date:-1, not {sort!r}.")
    settings = context.settings
    logs = context.tenant.logs
    shown = logs.at_positions(
        start,
        start + per_page,
        newest_first=order == "-1",
        retention_s=settings.log_retention_s,
        delay_s=settings.log_delay_s,
    )
    if request.query.get("include_totals", "false").lower() not in ("true", "1"):
        return web.json_response(shown)
    total = logs.window_size(retention_s=settings.log_retention_s, delay_s=settings.log_delay_s)
    body: dict[str, Any] = {
        "start": start,
        "limit": per_page,
        "length": len(shown),
        "total": total,
        "logs": shown,
    }
    return web.json_response(body)


async def get_log(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    event = context.tenant.logs.find(
        request.match_info["log_id"],
        retention_s=context.settings.log_retention_s,
        delay_s=context.settings.log_delay_s,
    )
    if event is None:
        raise problems.Problem(404, "log not found")
    return web.json_response(event)


#: (HTTP method, route, handler, required scope), as `routes.TABLE`.
TABLE: tuple[tuple[str, str, typedefs.Handler, str], ...] = (
    ("GET", LOGS_ROUTE, list_logs, READ_LOGS),
    ("GET", LOG_ROUTE, get_log, READ_LOGS),
)
