"""The layers every request passes through, outermost first:

    outcome (drop after commit, count) -> latency -> rate limit -> injected 5xx
    -> error bodies -> authenticate -> handler

So an injected 5xx or a 401 still spends a rate-limit token and carries the headers (every limited
response does), a 429 is answered before any fault or auth check, and a drop happens only after
the handler committed a successful write. The rate limit, faults and auth cover `/api/v2` only;
the token endpoint gets latency and 5xx faults only when `Faults.on_token_endpoint` is set.
This module must not implement endpoints.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus

from aiohttp import typedefs, web

from mfasync.emulator import problems, stats
from mfasync.emulator.context import API_PREFIX, CONTEXT

Handler = typedefs.Handler
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
USERS_BY_EMAIL_PATH = API_PREFIX + "/users-by-email"


def _is_api(request: web.Request) -> bool:
    return request.path.startswith(API_PREFIX + "/") or request.path == API_PREFIX


def _faults_apply(request: web.Request) -> bool:
    return _is_api(request) or request.app[CONTEXT].settings.faults.on_token_endpoint


def route_of(request: web.Request) -> str:
    """The route pattern (`/api/v2/users/{user_id}/authentication-methods`), for counters."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def problem_response(problem: problems.Problem) -> web.Response:
    return web.json_response(problem.body(), status=problem.status)


@web.middleware
async def outcome(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Drops a committed write's connection (when the dice say so) and counts what the client
    saw. One layer does both, because only it knows whether the answer was delivered."""
    context = request.app[CONTEXT]
    try:
        response = await handler(request)
    except Exception:
        # aiohttp answers an unexpected error with a 500; a cancelled request (the client went
        # away) is not counted, as nobody saw an answer.
        context.stats.record(request.method, route_of(request), 500)
        raise
    status = response.status
    if (
        _is_api(request)
        and request.method in _WRITES
        and 200 <= status < 300
        and context.faults.drop_write()
    ):
        # The change is committed; the client gets no answer at all. aiohttp notices the closed
        # transport and discards the response quietly.
        transport = request.transport
        if transport is not None:
            transport.abort()
        status = stats.DROPPED
    context.stats.record(request.method, route_of(request), status)
    return response


@web.middleware
async def latency(request: web.Request, handler: Handler) -> web.StreamResponse:
    delay_s = request.app[CONTEXT].faults.latency_s
    if delay_s and _faults_apply(request):
        await asyncio.sleep(delay_s)
    return await handler(request)


def endpoint_group(request: web.Request) -> str | None:
    """The endpoint group whose bucket a request also draws on (config.ENDPOINT_GROUPS)."""
    path = request.path
    if path == USERS_BY_EMAIL_PATH:
        return "users-by-email"
    if "/authentication-methods" in path:
        read = request.method in ("GET", "HEAD")
        return "authentication-methods-read" if read else "authentication-methods-write"
    return None


@web.middleware
async def rate_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _is_api(request):
        return await handler(request)
    verdict = request.app[CONTEXT].buckets.take(endpoint_group(request))
    if not verdict.allowed:
        response: web.StreamResponse = problem_response(problems.too_many_requests())
    else:
        response = await handler(request)
    response.headers.update(verdict.headers())
    return response


@web.middleware
async def inject_failure(request: web.Request, handler: Handler) -> web.StreamResponse:
    context = request.app[CONTEXT]
    if _faults_apply(request):
        status = context.faults.failure_status()
        if status is not None:
            context.stats.note_injected_failure()
            return problem_response(
                problems.Problem(status, f"Injected fault: {HTTPStatus(status).phrase}")
            )
    return await handler(request)


@web.middleware
async def error_bodies(request: web.Request, handler: Handler) -> web.StreamResponse:
    """`Problem`s and aiohttp's own 404/405 become the API's JSON error format."""
    try:
        return await handler(request)
    except problems.Problem as problem:
        return problem_response(problem)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return problem_response(problems.Problem(exc.status, exc.reason))


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _is_api(request):
        return await handler(request)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise problems.unauthorized("Missing authentication")
    granted = request.app[CONTEXT].tokens.scopes_of(token.strip())
    required = request.app[REQUIRED_SCOPES].get((request.method, route_of(request)))
    if required is not None and required not in granted:
        raise problems.insufficient_scope(required)
    return await handler(request)


#: (method, route pattern) -> the scope the endpoint needs; filled by the app's route table.
REQUIRED_SCOPES = web.AppKey("required_scopes", dict[tuple[str, str], str])

ORDER: tuple[typedefs.Middleware, ...] = (
    outcome,
    latency,
    rate_limit,
    inject_failure,
    error_bodies,
    authenticate,
)
