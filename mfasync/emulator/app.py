"""Assembles the aiohttp application: the route table, the scopes, the middleware chain.

This module must not bind sockets (that is `server`) nor hold endpoint logic (that is `routes`).
"""

from __future__ import annotations

from aiohttp import web

from mfasync.emulator import admin, logroutes, middleware, oauth, routes
from mfasync.emulator.context import CONTEXT, Context


def build(context: Context) -> web.Application:
    app = web.Application(middlewares=middleware.ORDER)
    app[CONTEXT] = context
    scopes: dict[tuple[str, str], str] = {}
    for method, path, handler, scope in (*routes.TABLE, *logroutes.TABLE):
        # Every successful write is logged as a `sapi` event (`logroutes`).
        app.router.add_route(method, path, logroutes.logging_writes(method, path, handler))
        scopes[(method, path)] = scope
    app[middleware.REQUIRED_SCOPES] = scopes
    app.router.add_post(oauth.TOKEN_ROUTE, logroutes.logging_tokens(oauth.token))
    admin.add_routes(app)
    return app
