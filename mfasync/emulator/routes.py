"""The `/api/v2` endpoints: authentication methods of a user, and users by email.

Each handler parses the request, lets `validation` check the body, lets `state` apply the change,
and lets `views` decide what is shown. Auth, scopes, rate limits and faults are the middleware's
job; this module must not repeat them.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import typedefs, web

from mfasync.emulator import problems, validation, views
from mfasync.emulator.context import API_PREFIX, CONTEXT

METHODS_ROUTE = API_PREFIX + "/users/{user_id}/authentication-methods"
METHOD_ROUTE = METHODS_ROUTE + "/{method_id}"
USERS_BY_EMAIL_ROUTE = API_PREFIX + "/users-by-email"

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100

_READ = "read:authentication_methods"
_TRUTHY = {"true": True, "1": True, "false": False, "0": False}


def _int_param(request: web.Request, name: str, *, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise problems.query_error(f"'{name}' must be an integer.") from None
    if not low <= value <= high:
        raise problems.query_error(f"'{name}' must be between {low} and {high}.")
    return value


def _bool_param(request: web.Request, name: str) -> bool:
    raw = request.query.get(name, "false").lower()
    if raw not in _TRUTHY:
        raise problems.query_error(f"'{name}' must be a boolean.")
    return _TRUTHY[raw]


async def _json_body(request: web.Request) -> Any:
    text = await request.text()
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise problems.bad_request("Invalid request payload JSON format") from None


async def list_methods(request: web.Request) -> web.Response:
    """GET: one page; a bare array, or `{"authenticators", "start", "limit", "total"}` with
    include_totals, where `total` is left out when the page is empty (as a live recording shows)."""
    context = request.app[CONTEXT]
    page = _int_param(request, "page", default=0, low=0, high=1_000_000)
    per_page = _int_param(request, "per_page", default=DEFAULT_PER_PAGE, low=1, high=MAX_PER_PAGE)
    include_totals = _bool_param(request, "include_totals")
    methods = context.tenant.list_methods(request.match_info["user_id"])
    start = page * per_page
    shown = [
        views.listed(method, masked=context.settings.masking)
        for method in methods[start : start + per_page]
    ]
    if not include_totals:
        return web.json_response(shown)
    body: dict[str, Any] = {"authenticators": shown, "start": start, "limit": per_page}
    if shown:
        body["total"] = len(methods)
    return web.json_response(body)


async def get_method(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    method = context.tenant.get_method(
        request.match_info["user_id"], request.match_info["method_id"]
    )
    return web.json_response(views.listed(method, masked=context.settings.masking))


async def create_method(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    fields = validation.create_body(await _json_body(request))
    method = context.tenant.create_method(
        request.match_info["user_id"],
        fields,
        limit=context.settings.entity_limits.get(str(fields["type"])),
    )
    return web.json_response(views.created(method, masked=context.settings.masking), status=201)


async def replace_methods(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    items = validation.replace_body(await _json_body(request))
    methods = context.tenant.replace_methods(request.match_info["user_id"], list(items))
    return web.json_response([views.replaced(method) for method in methods])


async def update_method(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    fields = validation.update_body(await _json_body(request))
    method = context.tenant.update_method(
        request.match_info["user_id"], request.match_info["method_id"], fields
    )
    return web.json_response(views.patched(method, masked=context.settings.masking))


async def delete_method(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    context.tenant.delete_method(request.match_info["user_id"], request.match_info["method_id"])
    return web.Response(status=204)


async def delete_all_methods(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    context.tenant.delete_all_methods(request.match_info["user_id"])
    return web.Response(status=204)


async def users_by_email(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    email = request.query.get("email")
    if not email:
        raise problems.query_error("Missing required property: email")
    return web.json_response(context.tenant.users_by_email(email))


#: (HTTP method, route, handler, required scope): the whole API surface in one table.
TABLE: tuple[tuple[str, str, typedefs.Handler, str], ...] = (
    ("GET", METHODS_ROUTE, list_methods, _READ),
    ("POST", METHODS_ROUTE, create_method, "create:authentication_methods"),
    ("PUT", METHODS_ROUTE, replace_methods, "update:authentication_methods"),
    ("DELETE", METHODS_ROUTE, delete_all_methods, "delete:authentication_methods"),
    ("GET", METHOD_ROUTE, get_method, _READ),
    ("PATCH", METHOD_ROUTE, update_method, "update:authentication_methods"),
    ("DELETE", METHOD_ROUTE, delete_method, "delete:authentication_methods"),
    ("GET", USERS_BY_EMAIL_ROUTE, users_by_email, "read:users"),
)
