"""Management API access tokens: a given token as is, or client credentials, cached and refreshed.

Client credentials are exchanged at `POST {base}/oauth/token` (JSON body, audience
`--audience`, else `{base}/api/v2/` with the trailing slash). A 403 "Service not enabled within
domain" is a custom-domain tenant asked for the wrong audience: the error says which to pass.
The token is refreshed when less than the margin is left, and on demand after a 401; one lock
makes concurrent callers share a single refresh.
Tokens and the client secret stay `SecretStr` and never enter a message, log line or repr: the
request log gets one line per token request (`POST /oauth/token 200 ...`), without its body.
This module sends no Management API request and calls no rate-limit hooks: the token endpoint has
its own quota (429 "Client quota exceeded" with Retry-After), which it waits out itself, within a
budget, under the refresh lock; past the budget, one `AuthenticationError` stops the run.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

import aiohttp
from pydantic import SecretStr

from mfasync import errors, settings
from mfasync.api import failures, requestlog, urls, wire


class TokenSource:
    """Hands out the current access token; `refresh` replaces one the API refused."""

    def __init__(
        self,
        connection: settings.ConnectionSettings,
        *,
        session: aiohttp.ClientSession,
        base: str,
        refresh_margin_s: float,
        clock: Callable[[], float] = time.monotonic,
        proxy_headers: dict[str, str] | None = None,
        request_headers: dict[str, str] | None = None,
        quota_wait_s: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._session = session
        self._base = base
        # The proxy's credentials, when it has some: on the CONNECT, or on a plain http request.
        self._proxy_headers = proxy_headers
        self._headers = {"Accept": "application/json", **(request_headers or {})}
        self._client_id = connection.client_id
        self._client_secret = connection.client_secret
        self._static = connection.access_token
        self._audience = connection.audience or f"{base}{urls.API_PREFIX}/"
        self._audience_given = connection.audience is not None
        self._margin_s = refresh_margin_s
        self._quota_wait_s = quota_wait_s  # longest total wait for the token endpoint's quota
        self._sleep = sleep
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: SecretStr | None = self._static
        self._refresh_at = math.inf  # clock value from which the token counts as stale

    def __repr__(self) -> str:
        return f"<TokenSource {'access_token' if self._static else 'client_credentials'}>"

    @property
    def can_refresh(self) -> bool:
        """False for a given access token: there is nothing to refresh it with."""
        return self._static is None

    def fresh(self, token: SecretStr) -> bool:
        """Whether `token` is still the current one with more than the margin left (no I/O)."""
        return token is self._token and self._clock() < self._refresh_at

    async def current(self) -> SecretStr:
        """A token with more than the margin left, fetching one if needed."""
        token = self._token
        if token is not None and self._clock() < self._refresh_at:
            return token
        async with self._lock:
            # Another caller may have refreshed while this one waited for the lock.
            if self._token is not None and self._clock() < self._refresh_at:
                return self._token
            return await self._fetch()

    async def refresh(self, *, refused: SecretStr) -> SecretStr:
        """A new token after the API refused `refused` (401); shared by concurrent callers."""
        if not self.can_refresh:
            raise errors.AuthenticationError(
                "the given access token was refused (401); give a valid --access-token",
                status=401,
            )
        async with self._lock:
            token = self._token
            if token is not None and token.get_secret_value() != refused.get_secret_value():
                return token  # someone else already replaced the refused token
            return await self._fetch()

    async def _fetch(self) -> SecretStr:
        """`_fetch_once`, waiting out the token endpoint's quota (429 + Retry-After) within the
        budget; the callers wait on the lock meanwhile, so one request is in flight, not many."""
        waited_s = 0.0
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._fetch_once(attempt=attempt)
            except errors.RateLimitedError as exc:
                wait_s = exc.retry_after_s
                if wait_s is None and exc.retry_at_s is not None:
                    wait_s = exc.retry_at_s - time.time()
                wait_s = max(0.1, 1.0 if wait_s is None else wait_s)
                if waited_s + wait_s > self._quota_wait_s:
                    raise errors.AuthenticationError(
                        f"the token endpoint's quota is exhausted (429 {exc.message}): "
                        f"waited {waited_s:.0f} s, it asks for {wait_s:.0f} s more, beyond the "
                        f"{self._quota_wait_s:.0f} s mfasync waits; try again later, or let "
                        "jobs share one token (--access-token)",
                        status=429,
                        method="POST",
                        path=urls.TOKEN_PATH,
                    ) from None
                await self._sleep(wait_s)
                waited_s += wait_s

    async def _fetch_once(self, *, attempt: int) -> SecretStr:
        assert self._client_id is not None
        assert self._client_secret is not None
        secret = self._client_secret.get_secret_value()
        body = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": secret,
            "audience": self._audience,
        }
        started = self._clock()  # expires_in counts from the answer; err on the early side
        sent = time.perf_counter()
        try:
            async with self._session.post(
                self._base + urls.TOKEN_PATH,
                json=body,
                headers=self._headers,
                proxy_headers=self._proxy_headers,
                allow_redirects=False,
            ) as response:
                payload = await response.read()
                status = response.status
                reason = response.reason or ""
                headers = response.headers
        except (TimeoutError, aiohttp.ClientError) as exc:
            if requestlog.enabled():
                requestlog.failed(
                    "POST",
                    urls.TOKEN_PATH,
                    elapsed_s=time.perf_counter() - sent,
                    attempt=attempt,
                    error=exc,
                )
            # The token request changes nothing: it is safe to repeat whatever happened.
            error = failures.for_exception(
                exc, method="POST", path=urls.TOKEN_PATH, safe_to_repeat=True
            )
            raise error from None
        if requestlog.enabled():
            # The attempts of this module's own quota loop: the API request that needed the
            # token has its own number, which is not this one's.
            requestlog.answered(
                "POST",
                urls.TOKEN_PATH,
                status=status,
                elapsed_s=time.perf_counter() - sent,
                attempt=attempt,
                rate_limit=wire.rate_limit(headers),
                retry_after_s=(
                    None if 200 <= status <= 299 else wire.retry_after_s(headers, now_s=time.time())
                ),
            )
        if 200 <= status <= 299:
            token, lifetime_s = _token_answer(payload)
            self._token = token
            self._refresh_at = _refresh_at(started, lifetime_s, margin_s=self._margin_s)
            return token
        details = wire.error_details(payload, reason=reason)
        message = details.message.replace(secret, "<redacted>") if secret else details.message
        if status == 407:
            raise failures.for_status(
                status,
                details=message,
                error_code=None,
                safe_to_repeat=True,
                rate_limit=wire.rate_limit(headers),
                retry_after_s=None,
                method="POST",
                path=urls.TOKEN_PATH,
            )
        if status == 429 or status >= 500:
            raise failures.for_status(
                status,
                details=message,
                error_code=details.error_code,
                safe_to_repeat=True,
                rate_limit=wire.rate_limit(headers),
                retry_after_s=wire.retry_after_s(headers, now_s=time.time()),
                method="POST",
                path=urls.TOKEN_PATH,
            )
        if 300 <= status <= 399:
            message = "unexpected redirect from the token endpoint (not followed); check --domain"
        elif status == 403 and _SERVICE_NOT_ENABLED in message:
            message = _audience_hint(self._audience, given=self._audience_given)
        raise errors.AuthenticationError(
            f"could not get a Management API token: {message}",
            status=status,
            method="POST",
            path=urls.TOKEN_PATH,
        )


_SERVICE_NOT_ENABLED = "Service not enabled within domain"


def _audience_hint(audience: str, *, given: bool) -> str:
    """One line for a refused audience: the usual cause is a tenant on a custom domain."""
    source = "--audience" if given else "the default audience"
    return (
        f"the tenant refused {source} {audience} (403 {_SERVICE_NOT_ENABLED}); a tenant on a "
        "custom domain needs --audience https://TENANT.REGION.auth0.com/api/v2/ (its canonical "
        "domain, as shown in the Auth0 dashboard)"
    )


def _token_answer(payload: bytes) -> tuple[SecretStr, float | None]:
    """The access token and its lifetime in seconds (None when the answer gives none)."""
    problem = "the token endpoint's answer has no access_token"
    try:
        answer = wire.decode_json(payload)
    except wire.NotJson:
        answer, problem = None, "the token endpoint's answer is not JSON"
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise errors.AuthenticationError(f"could not get a Management API token: {problem}")
    assert isinstance(answer, dict)
    expires_in = answer.get("expires_in")
    lifetime: float | None = None
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
        lifetime = max(0.0, float(expires_in))
    return SecretStr(token), lifetime


def _refresh_at(started: float, lifetime_s: float | None, *, margin_s: float) -> float:
    """When to fetch again: `margin_s` before expiry, or half-way for short-lived tokens."""
    if lifetime_s is None:
        return math.inf  # no stated expiry: keep it until the API refuses it (401)
    return started + lifetime_s - min(margin_s, lifetime_s / 2)
