"""Assembles the aiohttp application: the route table, the scopes, the middleware chain.

This module must not bind sockets (that is `server`) nor hold endpoint logic (that is `routes`).
"""

from __future__ import annotations

from aiohttp import web

from mfasync.emulator import middleware, oauth, routes
from mfasync.emulator.context import CONTEXT, Context


def build(context: Context) -> web.Application:
    app = web.Application(middlewares=middleware.ORDER)
    app[CONTEXT] = context
    scopes: dict[tuple[str, str], str] = {}
    for method, path, handler, scope in routes.TABLE:
        app.router.add_route(method, path, handler)
        scopes[(method, path)] = scope
    app[middleware.REQUIRED_SCOPES] = scopes
    app.router.add_post(oauth.TOKEN_ROUTE, oauth.token)
    return app
