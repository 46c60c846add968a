"""Outcome classification: an HTTP status or a transport failure -> the `errors.ApiError` tree.

This is the one place aiohttp's exceptions are translated. The class alone tells the executor what
to do (see errors.py): final, retryable, or an ambiguous write (a POST that may have been
committed). A request is `safe_to_repeat` unless it is an API POST; a connection that was never
established is retryable for every request, since nothing was sent. Messages carry the API's
message and errorCode, the method and the path; never a header or a token.
"""

from __future__ import annotations

import aiohttp

from mfasync import errors, models

_BY_STATUS: dict[int, type[errors.FinalApiError]] = {
    400: errors.BadRequestError,
    401: errors.AuthenticationError,
    403: errors.ForbiddenError,
    404: errors.NotFoundError,
    409: errors.ConflictError,
}


def for_status(
    status: int,
    *,
    details: str,
    error_code: str | None,
    method: str,
    path: str,
    safe_to_repeat: bool,
    rate_limit: models.RateLimit,
    retry_after_s: float | None,
) -> errors.ApiError:
    """The error for a non-2xx answer (`details` is the API's message or a body excerpt)."""
    if status == 429:
        return errors.RateLimitedError(
            details,
            retry_at_s=rate_limit.reset_at_s,
            retry_after_s=retry_after_s,
            error_code=error_code,
            method=method,
            path=path,
        )
    kind: type[errors.ApiError] = errors.MalformedResponseError
    if status == 407:
        # Only a proxy answers 407: the request never reached the tenant.
        return errors.NetworkError(
            "the proxy refused the request (407 Proxy Authentication Required); check the "
            "credentials in https_proxy / http_proxy",
        )
    if status in _BY_STATUS:
        kind = _BY_STATUS[status]
    elif 500 <= status <= 599:
        kind = errors.ServerError if safe_to_repeat else errors.AmbiguousWriteError
        if not safe_to_repeat:
            details = f"{details}; the write may have been committed"
    elif 300 <= status <= 399:
        # Redirects are never followed, so the Authorization header cannot reach another host.
        kind = errors.FinalApiError
        details = "unexpected redirect (not followed); check --domain"
    elif 400 <= status <= 499:
        kind = errors.FinalApiError
    else:
        details = f"unexpected status; {details}"
    return kind(details, status=status, error_code=error_code, method=method, path=path)


def for_exception(
    exc: BaseException, *, method: str, path: str, safe_to_repeat: bool
) -> errors.ApiError:
    """The error for a request that got no complete answer (aiohttp errors, timeouts)."""
    name = type(exc).__name__
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return errors.NetworkError(
            f"TLS certificate verification failed for {exc.host} ({_cause(exc)}); if a corporate "
            "CA signs it, pass its PEM bundle with --ca-bundle FILE (or SSL_CERT_FILE)",
            method=method,
            path=path,
        )
    if isinstance(exc, aiohttp.ClientSSLError):
        return errors.NetworkError(
            f"the TLS handshake with {exc.host}:{exc.port} failed ({_cause(exc)})",
            method=method,
            path=path,
        )
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        # CONNECT refused by the proxy; its message and headers are left out (they may echo
        # the request's Proxy-Authorization).
        what = "(407 Proxy Authentication Required); check the credentials in https_proxy"
        if exc.status != 407:
            what = f"({exc.status} on CONNECT)"
        return errors.NetworkError(f"the proxy refused the connection {what}")
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return errors.ConnectError(
            f"cannot connect to the proxy {exc.host}:{exc.port} ({_cause(exc)})",
            method=method,
            path=path,
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        # Refused, unreachable, DNS, TLS handshake: the request was never sent.
        return errors.ConnectError(
            f"cannot connect to {exc.host}:{exc.port} ({_cause(exc)})",
            method=method,
            path=path,
        )
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return errors.ConnectError(f"timed out connecting ({name})", method=method, path=path)
    if isinstance(exc, TimeoutError):
        what = "timed out waiting for the answer"
    elif isinstance(exc, aiohttp.ClientPayloadError):
        what = "the answer was cut off"
    elif isinstance(exc, aiohttp.ClientConnectionError):
        what = "the connection was dropped"
    else:
        what = "the answer could not be read"
    if safe_to_repeat:
        return errors.TransportError(f"{what} ({name})", method=method, path=path)
    return errors.AmbiguousWriteError(
        f"{what} ({name}); the write may have been committed", method=method, path=path
    )


def _cause(exc: BaseException) -> str:
    """The OS's or OpenSSL's words for a connection failure, else the exception's class."""
    os_error = getattr(exc, "os_error", None)
    for candidate in (getattr(exc, "strerror", None), os_error):
        if candidate is None:
            continue
        text = getattr(candidate, "reason", None) or getattr(candidate, "strerror", None)
        text = text or str(candidate)
        if text:
            return errors.excerpt(str(text), 120)
    return type(exc).__name__
