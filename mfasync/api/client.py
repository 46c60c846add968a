"""The async Management API client: one aiohttp session per run, endpoints, paging, outcomes.

`Client` sends each request once and turns every outcome into data or into one `errors.ApiError`
subclass; the executor decides about retries from the class. The only re-send here is the single
one after a 401, with a refreshed token. Every API request (paging included) first awaits
`hooks.before_request()`, and every API answer (429s included) is reported to
`hooks.after_response()`: that is how the executor's rate governor paces the run without this
module knowing about it. Redirects are never followed and TLS is always verified (the system's
CAs plus `--ca-bundle` / `SSL_CERT_FILE`); requests go through the proxy `network.proxy_for`
picks from the environment (https_proxy, http_proxy, no_proxy). A connection that fails before
any API answer of the run came back is an `UnreachableError`: the executor stops the run on it
instead of failing every user alike. Each attempt is one line of the request log
(`requestlog`: method, path, status, duration, attempt, rate-limit headers; never a body).
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

import aiohttp
import yarl
from pydantic import SecretStr

from mfasync import attempts, errors, models, settings
from mfasync.api import failures, logs, network, requestlog, tokens, urls, wire

_MAX_PER_PAGE = 100  # the API refuses larger pages
_DEFAULT_HTTP = settings.HttpSettings()


class RequestHooks(Protocol):
    """What the executor's rate governor plugs into the client.

    `method` and `path` (relative to /api/v2, no query) name the endpoint, so a governor can tell
    the tenant's per-endpoint buckets apart.
    """

    async def before_request(self, method: str, path: str) -> None:
        """Awaited before every API request (not the token request)."""

    def after_response(
        self, status: int, rate_limit: models.RateLimit, method: str, path: str
    ) -> None:
        """Called after every API answer, errors and 429s included."""


@dataclass(frozen=True, slots=True)
class _Reply:
    status: int
    reason: str
    body: bytes
    rate_limit: models.RateLimit
    retry_after_s: float | None
    token: SecretStr
    link: str | None = None  # the Link header (log pages)
    html: bool = False  # the answer says it is an HTML page


class Client:
    """Async context manager for the Management API of one tenant.

    `async with Client(connection, http=..., hooks=...) as client: await client.list_methods(id)`.
    `request_count` counts API requests sent (not token requests); `last_rate_limit` holds the
    rate-limit headers of the latest API answer.
    """

    def __init__(
        self,
        connection: settings.ConnectionSettings,
        *,
        http: settings.HttpSettings = _DEFAULT_HTTP,
        hooks: RequestHooks | None = None,
    ) -> None:
        self._connection = connection
        self._http = http
        self._hooks = hooks
        self._base = urls.base_url(connection.domain)  # refuses a bad domain before any I/O
        self._api = self._base + urls.API_PREFIX
        self._per_page = max(1, min(http.per_page, _MAX_PER_PAGE))
        # Both refuse bad settings (a proxy URL, a CA file that is not PEM) before any I/O.
        self._proxy = network.proxy_for(self._base, connection.network)
        self._tls = network.tls_context(connection.network)
        self._answered = False  # has any API answer come back in this session?
        self._json_seen = False  # has any API answer been the API's JSON?
        # The proxy's credentials: on the CONNECT of an https tunnel, else on each request.
        self._proxy_headers: dict[str, str] | None = None
        self._request_proxy_headers: dict[str, str] = {}
        if self._proxy is not None and self._proxy.tunnel:
            self._proxy_headers = dict(self._proxy.headers)
        elif self._proxy is not None:
            self._request_proxy_headers = dict(self._proxy.headers)
        self._session: aiohttp.ClientSession | None = None
        self._tokens: tokens.TokenSource | None = None
        self.last_rate_limit: models.RateLimit | None = None
        self.request_count = 0
        # The Authorization header of the current token, built once per token, not per request.
        self._auth: tuple[SecretStr, dict[str, str]] | None = None

    def __repr__(self) -> str:
        auth = "access_token" if self._connection.access_token else "client_credentials"
        return f"<mfasync.api.Client {self._base} auth={auth} requests={self.request_count}>"

    @property
    def base_url(self) -> str:
        """The tenant's origin, as `urls.base_url` derived it from the domain."""
        return self._base

    async def __aenter__(self) -> Self:
        # Created here, inside the running loop, and owned by this context: one session per run.
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._http.max_connections, ssl=self._tls),
            timeout=aiohttp.ClientTimeout(
                total=self._http.timeout_s, sock_connect=self._http.connect_timeout_s
            ),
            headers={"User-Agent": "mfasync", "Accept": "application/json"},
            # The proxy is chosen here from the settings (never from aiohttp's own reading of
            # the environment and ~/.netrc: trust_env stays off); the token request uses it too.
            proxy=self._proxy.url if self._proxy is not None else None,
        )
        # aiohttp silently re-sends an idempotent request (GET, PUT, DELETE) once when the
        # server drops the connection. That hides a possibly committed write from the retry
        # policy (a re-sent DELETE then meets a 404 that looks final) and sends a request the
        # rate governor never saw. Every re-send must be the executor's decision: switch it off
        # (no public switch exists; aiohttp's own test client sets the same attribute).
        self._session._retry_connection = False
        self._tokens = tokens.TokenSource(
            self._connection,
            session=self._session,
            base=self._base,
            refresh_margin_s=self._http.token_refresh_margin_s,
            quota_wait_s=self._http.token_quota_max_wait_s,
            proxy_headers=self._proxy_headers,
            request_headers=self._request_proxy_headers,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session, self._tokens, self._auth = self._session, None, None, None
        if session is not None:
            await session.close()

    # -- endpoints ---------------------------------------------------------------------------

    async def list_methods(self, user_id: str) -> tuple[models.LiveMethod, ...]:
        """Every live method of the user, all pages, in the API's order."""
        path = urls.methods_path(user_id)
        found: dict[str, models.LiveMethod] = {}
        page = 0
        while True:
            # The query written out (plain ASCII): cheaper than aiohttp encoding a params dict.
            query = f"?page={page}&per_page={self._per_page}&include_totals=true"
            payload = await self._json("GET", path, query=query)
            result = wire.method_page(payload, where=f"GET {path} page {page}")
            before = len(found)
            for method in result.methods:
                found.setdefault(method.id, method)  # a method shifted between pages: keep one
            if not result.methods:
                break
            if result.total is not None:
                # A known total also covers a server that caps pages below per_page.
                if len(found) >= result.total:
                    break
            elif len(result.methods) < self._per_page:
                break
            if len(found) == before:
                raise errors.MalformedResponseError(
                    f"page {page} repeated earlier methods only; the API ignores paging",
                    method="GET",
                    path=path,
                )
            page += 1
        return wire.mark_sub_methods(tuple(found.values()))

    async def get_method(self, user_id: str, method_id: str) -> models.LiveMethod:
        """One live method; `NotFoundError` if the user or the method does not exist."""
        path = urls.method_path(user_id, method_id)
        return wire.live_method(await self._json("GET", path), where=f"GET {path}")

    async def create_method(self, user_id: str, body: Mapping[str, object]) -> models.LiveMethod:
        """POST one method (201). A lost answer is `AmbiguousWriteError`: re-list, never re-send."""
        path = urls.methods_path(user_id)
        payload = await self._json("POST", path, body=dict(body))
        return wire.live_method(payload, where=f"POST {path}")

    async def replace_methods(
        self, user_id: str, bodies: Sequence[Mapping[str, object]]
    ) -> tuple[models.LiveMethod, ...]:
        """PUT the whole list of the user's methods (overwrites every existing one)."""
        path = urls.methods_path(user_id)
        payload = await self._json("PUT", path, body=[dict(body) for body in bodies])
        return wire.method_page(payload, where=f"PUT {path}").methods

    async def update_method(
        self, user_id: str, method_id: str, body: Mapping[str, object]
    ) -> models.LiveMethod:
        """PATCH one method (`name`, `preferred_authentication_method`)."""
        path = urls.method_path(user_id, method_id)
        payload = await self._json("PATCH", path, body=dict(body))
        return wire.live_method(payload, where=f"PATCH {path}")

    async def delete_method(self, user_id: str, method_id: str) -> None:
        """DELETE one method (204); linked methods may go with it."""
        await self._call("DELETE", urls.method_path(user_id, method_id))

    async def delete_all_methods(self, user_id: str) -> None:
        """DELETE every method of the user (204)."""
        await self._call("DELETE", urls.methods_path(user_id))

    async def find_users_by_email(self, email: str) -> tuple[str, ...]:
        """The ids of the users with this email address (sorted; empty when none)."""
        path = "/users-by-email"  # the address stays out of the path that messages show
        payload = await self._json("GET", path, params={"email": email})
        return wire.user_ids(payload, where=f"GET {path}")

    async def log_page(self, from_log_id: str, *, take: int = logs.MAX_TAKE) -> logs.LogPage:
        """One checkpoint page of tenant logs newer than `from_log_id` (scope `read:logs`)."""
        path = "/logs"
        take = max(1, min(take, logs.MAX_TAKE))
        query = "?" + urllib.parse.urlencode({"from": from_log_id, "take": str(take)})
        reply = await self._call("GET", path, query=query)
        payload = self._decoded(reply, method="GET", path=path)
        return logs.log_page(payload, link=reply.link, where=f"GET {path}")

    async def newest_log_id(self) -> str | None:
        """The id of the tenant's newest log event, or None when it has none (`read:logs`).

        Search mode, newest first, one event: where a full scan starts its checkpoint, without
        paging through every retained event.
        """
        path = "/logs"
        query = "?" + urllib.parse.urlencode(
            {"sort": "date:-1", "per_page": "1", "page": "0", "fields": "log_id",
             "include_fields": "true"}
        )  # fmt: skip
        reply = await self._call("GET", path, query=query)
        payload = _decoded(reply, method="GET", path=path)
        page = logs.log_page(payload, link=None, where=f"GET {path}")
        if not page.events:
            return None
        newest = page.events[0].get("log_id")
        return newest if isinstance(newest, str) else None

    # -- plumbing ----------------------------------------------------------------------------

    async def _json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        query: str = "",
        body: object = None,
    ) -> object:
        reply = await self._call(method, path, params=params, query=query, body=body)
        return self._decoded(reply, method=method, path=path)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        query: str = "",
        body: object = None,
    ) -> _Reply:
        """One API request, re-sent once with a fresh token after a 401; non-2xx raises.

        `query` is an already encoded query string (`?a=1&b=2`) for the URL; `params` are
        encoded by aiohttp. Messages name `path` only, never the query.
        """
        reply = await self._send(method, path, params=params, query=query, body=body)
        if reply.status == 401 and self._token_source().can_refresh:
            await self._token_source().refresh(refused=reply.token)
            reply = await self._send(method, path, params=params, query=query, body=body)
        if 200 <= reply.status <= 299:
            return reply
        details = wire.error_details(reply.body, reason=reply.reason)
        raise failures.for_status(
            reply.status,
            details=_scrub(details.message, reply.token),
            error_code=details.error_code,
            method=method,
            path=path,
            safe_to_repeat=method != "POST",
            rate_limit=reply.rate_limit,
            retry_after_s=reply.retry_after_s,
        )

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        query: str,
        body: object,
    ) -> _Reply:
        session = self._open_session()
        try:
            token = await self._token_source().current()
        except errors.ConnectError as exc:
            raise self._first_contact(exc) from None
        if self._hooks is not None:
            await self._hooks.before_request(method, path)
            if not self._token_source().fresh(token):
                # The governor held the request back long enough for the token to age (short
                # lifetimes, a 429 storm): take a fresh one rather than send one about to expire.
                try:
                    token = await self._token_source().current()
                except errors.ApiError as exc:
                    # The governor counts this request as sent: the retry layer reports it lost
                    # by its method and path, so they must be the API request's.
                    exc.method, exc.path = method, path
                    raise
        self.request_count += 1
        started = time.perf_counter()
        try:
            async with session.request(
                method,
                yarl.URL(self._api + path + query, encoded=True),  # ids already encoded
                params=params,
                json=body,
                headers=self._auth_headers(token),
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
                    method,
                    requestlog.target(urls.API_PREFIX + path, query, params),
                    elapsed_s=time.perf_counter() - started,
                    attempt=attempts.current(),
                    error=exc,
                )
            error = self._first_contact(
                failures.for_exception(
                    exc, method=method, path=path, safe_to_repeat=method != "POST"
                )
            )
            # A ClientResponseError carries the request headers (the token): never chain it.
            cause = None if isinstance(exc, aiohttp.ClientResponseError) else exc
            raise error from cause
        elapsed_s = time.perf_counter() - started
        self._answered = True
        rate_limit = wire.rate_limit(headers)
        self.last_rate_limit = rate_limit
        if self._hooks is not None:
            self._hooks.after_response(status, rate_limit, method, path)
        # Only an error answer's wait is ever read (429, 5xx).
        retry_after_s = (
            None if 200 <= status <= 299 else wire.retry_after_s(headers, now_s=time.time())
        )
        if requestlog.enabled():
            requestlog.answered(
                method,
                requestlog.target(urls.API_PREFIX + path, query, params),
                status=status,
                elapsed_s=elapsed_s,
                attempt=attempts.current(),
                rate_limit=rate_limit,
                retry_after_s=retry_after_s,
            )
        return _Reply(
            status=status,
            reason=reason,
            body=payload,
            rate_limit=rate_limit,
            retry_after_s=retry_after_s,
            token=token,
            link=headers.get("Link"),
            html="html" in headers.get("Content-Type", "").lower(),
        )

    def _decoded(self, reply: _Reply, *, method: str, path: str) -> object:
        """`_decoded`, except that an HTML page before any JSON answer stops the run: a captive
        portal or a proxy's login page answers every request alike."""
        if reply.html and not self._json_seen:
            raise errors.PortalError(
                f"{urls.host_of(self._base)} answered an HTML page, not the Management API (a "
                "captive portal or a proxy's login page?); check --domain and the network"
            )
        payload = _decoded(reply, method=method, path=path)
        self._json_seen = True
        return payload

    def _first_contact(self, error: errors.ApiError) -> errors.ApiError:
        """A connection failure before any API answer: the tenant may be unreachable."""
        if self._answered or not isinstance(error, errors.ConnectError):
            return error
        if isinstance(error, errors.UnreachableError):
            return error
        via = f" through the proxy {self._proxy.url}" if self._proxy is not None else ""
        return errors.UnreachableError(
            f"cannot reach {urls.host_of(self._base)}{via}: {error.message}; no request got "
            "an answer (check --domain, the proxy variables and the network)",
            method=error.method,
            path=error.path,
        )

    def _auth_headers(self, token: SecretStr) -> dict[str, str]:
        cached = self._auth
        if cached is None or cached[0] is not token:
            headers = {**self._request_proxy_headers}
            headers["Authorization"] = f"Bearer {token.get_secret_value()}"
            cached = self._auth = (token, headers)
        return cached[1]

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("use api.Client inside `async with`")
        return self._session

    def _token_source(self) -> tokens.TokenSource:
        if self._tokens is None:
            raise RuntimeError("use api.Client inside `async with`")
        return self._tokens


def _scrub(message: str, token: SecretStr) -> str:
    """Belt and braces: an error body that echoes the token must not carry it any further."""
    secret = token.get_secret_value()
    return message.replace(secret, "<redacted>") if secret else message


def _decoded(reply: _Reply, *, method: str, path: str) -> object:
    """The JSON of a 2xx answer; anything else is one malformed-response error."""
    try:
        return wire.decode_json(reply.body)
    except wire.NotJson:
        raise errors.MalformedResponseError(
            f"the answer is not JSON: {wire.body_excerpt(reply.body) or '(empty)'}",
            status=reply.status,
            method=method,
            path=path,
        ) from None
