"""Admin endpoints (`/admin/...`): what happens to the tenant outside the Management API.

For tests, demos and benchmarks that drive an emulator from another process; in-process callers
use `simulate` directly. Each takes a JSON body and needs a bearer token the emulator issued (any
scopes: holding the client secret is the admin right here). They sit outside `/api/v2`, so no rate
limit, fault or scope applies, and they never show up in the tenant's `sapi` events.

    POST /admin/enrollments    {"user_id", "method": {"type", ...}}  -> 201 {"log_id", "method"}
    POST /admin/unenrollments  {"user_id", "method_id"}              -> 200 {"log_id", "removed"}
    POST /admin/user-deletions {"user_id"}                           -> 200 {"log_id"}
    POST /admin/login-noise    {"count", "user_ids"?: [...]}         -> 200 {"count",
                                                                    "first_log_id", "last_log_id"}
    POST /admin/log-events     {"type", "description"?, "user_id"?, "details"?} -> 201 {"log_id"}

Errors are the API's JSON errors (404 unknown user or method, 400 bad body, 401 no token).
This module must not change the tenant itself: `simulate` does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from mfasync.emulator import problems, simulate
from mfasync.emulator.context import CONTEXT

ADMIN_PREFIX = "/admin"
MAX_NOISE = 10_000_000


async def _body(request: web.Request) -> Mapping[str, Any]:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise problems.unauthorized("Missing authentication")
    request.app[CONTEXT].tokens.scopes_of(token.strip())  # 401 for an unknown or expired token
    try:
        body = json.loads(await request.text())
    except (ValueError, RecursionError):
        raise problems.bad_request("Invalid request payload JSON format") from None
    if not isinstance(body, dict):
        raise problems.bad_request("The body must be a JSON object")
    return body


def _string(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise problems.bad_request(f"'{name}' must be a non-empty string")
    return value


async def enrollment(request: web.Request) -> web.Response:
    body = await _body(request)
    method = body.get("method")
    if not isinstance(method, dict) or not isinstance(method.get("type"), str):
        raise problems.bad_request("'method' must be an object with a string 'type'")
    stored, log_id = simulate.simulate_enrollment(
        request.app[CONTEXT].tenant, _string(body, "user_id"), method
    )
    return web.json_response({"log_id": log_id, "method": stored}, status=201)


async def unenrollment(request: web.Request) -> web.Response:
    body = await _body(request)
    removed, log_id = simulate.simulate_unenrollment(
        request.app[CONTEXT].tenant, _string(body, "user_id"), _string(body, "method_id")
    )
    return web.json_response({"log_id": log_id, "removed": removed})


async def user_deletion(request: web.Request) -> web.Response:
    body = await _body(request)
    log_id = simulate.simulate_user_deletion(request.app[CONTEXT].tenant, _string(body, "user_id"))
    return web.json_response({"log_id": log_id})


async def login_noise(request: web.Request) -> web.Response:
    body = await _body(request)
    count = body.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_NOISE:
        raise problems.bad_request(f"'count' must be an integer from 1 to {MAX_NOISE}")
    user_ids = body.get("user_ids")
    if user_ids is not None and not (
        isinstance(user_ids, list) and all(isinstance(u, str) for u in user_ids)
    ):
        raise problems.bad_request("'user_ids' must be a list of strings")
    first, last = simulate.add_login_noise(request.app[CONTEXT].tenant, count, user_ids=user_ids)
    return web.json_response({"count": count, "first_log_id": first, "last_log_id": last})


async def log_event(request: web.Request) -> web.Response:
    body = await _body(request)
    details = body.get("details", {})
    if not isinstance(details, dict):
        raise problems.bad_request("'details' must be an object")
    description = body.get("description", "")
    user_id = body.get("user_id", "")
    if not isinstance(description, str) or not isinstance(user_id, str):
        raise problems.bad_request("'description' and 'user_id' must be strings")
    log_id = simulate.record_event(
        request.app[CONTEXT].tenant,
        _string(body, "type"),
        description=description,
        user_id=user_id,
        details=details,
    )
    return web.json_response({"log_id": log_id}, status=201)


def add_routes(app: web.Application) -> None:
    app.router.add_post(ADMIN_PREFIX + "/enrollments", enrollment)
    app.router.add_post(ADMIN_PREFIX + "/unenrollments", unenrollment)
    app.router.add_post(ADMIN_PREFIX + "/user-deletions", user_deletion)
    app.router.add_post(ADMIN_PREFIX + "/login-noise", login_noise)
    app.router.add_post(ADMIN_PREFIX + "/log-events", log_event)
