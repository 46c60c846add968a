"""`POST /oauth/token`: the client-credentials grant, form-encoded or JSON.

Checks the client id and secret (constant-time) and the audience: `{base}/api/v2/` (trailing slash)
by the address the client used, or, for a tenant with a canonical domain (one served on a custom
domain), only `https://{canonical_domain}/api/v2/`. Answers
`{"access_token","expires_in","scope","token_type":"Bearer"}`, or `{"error","error_description"}`
with 401/403 as Auth0 does. With a token quota configured, a request over it is answered 429
`{"error":"too_many_requests","error_description":"Client quota exceeded"}` with `Retry-After`
(whole seconds) and the `x-ratelimit-*` headers, before anything else is checked. This module must
not log or echo the secret or the token anywhere but in the successful answer's body.
"""

from __future__ import annotations

import hmac
import json
import math
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from mfasync.emulator.context import API_PREFIX, CONTEXT

TOKEN_ROUTE = "/oauth/token"  # noqa: S105 (a path, not a password)


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)


async def _fields(request: web.Request) -> Mapping[str, Any]:
    if request.content_type == "application/json":
        try:
            body = json.loads(await request.text())
        except (ValueError, RecursionError):
            return {}
        return body if isinstance(body, dict) else {}
    return await request.post()


def _same(given: Any, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


async def token(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    if context.token_quota is not None:
        verdict = context.token_quota.take()
        if not verdict.allowed:
            refused = _oauth_error(429, "too_many_requests", "Client quota exceeded")
            refused.headers.update(verdict.headers())
            refused.headers["Retry-After"] = str(max(1, math.ceil(verdict.wait_s)))
            return refused
    fields = await _fields(request)
    grant = fields.get("grant_type")
    if grant != "client_credentials":
        return _oauth_error(403, "unsupported_grant_type", f"Unsupported grant type: {grant}")
    if not (
        _same(fields.get("client_id"), context.settings.client_id)
        and _same(fields.get("client_secret"), context.settings.client_secret)
    ):
        return _oauth_error(401, "access_denied", "Unauthorized")
    canonical = context.settings.canonical_domain
    if canonical is not None:
        # A custom-domain tenant: served here, but the API's identifier is the canonical name.
        audiences = {f"https://{canonical}{API_PREFIX}/"}
    else:
        # The audience names the API by the address the client used (127.0.0.1 or localhost).
        audiences = {
            f"{context.base_url}{API_PREFIX}/",
            f"{request.scheme}://{request.host}/api/v2/",
        }
    audience = fields.get("audience")
    if audience not in audiences:
        return _oauth_error(403, "access_denied", f"Service not enabled within domain: {audience}")
    scopes = context.settings.scopes
    return web.json_response(
        {
            "access_token": context.tokens.issue(scopes),
            "expires_in": int(context.tokens.ttl_s),
            "scope": " ".join(scopes),
            "token_type": "Bearer",
        }
    )
