"""The exception tree of mfasync. Imports nothing from mfasync.

Every error a user can meet is one of these, with a message fit to print as one line. Third-party
errors (aiohttp, yaml, pydantic) are translated into this tree once, at the edge that meets them.
Messages never carry a token, a client secret, a TOTP seed or a full phone number.

    MfasyncError
    ├── UsageError                 bad flags, environment or connection settings
    ├── ManifestError              manifest problems (.problems, each at file:line:column)
    ├── SecretRefError             a ${env:...} / ${file:...} reference cannot be resolved
    ├── PlanFileError              a saved plan cannot be read or does not fit
    ├── SafetyGuardError           a guard refused the plan (names the guard and --force)
    ├── StalePlanError             a user changed since the saved plan was made
    ├── StateError                 the state store cannot be opened, read or written
    │   └── LockHeldError              another apply holds the tenant's lock (names the holder)
    └── ApiError                   the Management API (or the way to it) failed a request
        ├── FinalApiError          a definite "no"; retrying cannot help
        │   ├── BadRequestError        400
        │   ├── AuthenticationError    401 (after one token refresh), OAuth token errors
        │   ├── ForbiddenError         403 (scope, passkey on PUT / DELETE-all, entity limit)
        │   ├── NotFoundError          404 (user or method)
        │   ├── ConflictError          409 (method already exists)
        │   ├── MalformedResponseError the answer is not what the API sends (HTML page, bad JSON)
        │   │   └── PortalError        an HTML page before any JSON answer (a captive portal, a
        │   │                          proxy's login page): stops the run
        │   └── NetworkError           the way to the tenant refuses every request alike (an
        │                              untrusted certificate, a proxy's 407): stops the run
        ├── RetryableError         nothing was changed, or the request is idempotent: try again
        │   ├── RateLimitedError       429; .retry_at_s (UNIX seconds) / .retry_after_s
        │   ├── ServerError            5xx on a request that is safe to repeat
        │   └── TransportError         timeout or dropped connection on a request safe to repeat
        │       └── ConnectError       no connection was made (DNS, refused, connect timeout)
        │           └── UnreachableError   ...and no request of the run got an answer yet:
        │                                  retried within a short budget, then stops the run
        └── AmbiguousWriteError    a POST whose outcome is unknown (timeout, dropped connection,
                                   5xx): it may have been committed; never re-send it blindly
"""

from __future__ import annotations

from dataclasses import dataclass

BODY_EXCERPT_CHARS = 256


def excerpt(text: str, limit: int = BODY_EXCERPT_CHARS) -> str:
    """Cut a response body (or any foreign text) to `limit` characters for a message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class MfasyncError(Exception):
    """Base of every error mfasync raises on purpose."""


class UsageError(MfasyncError):
    """Bad flags, environment variables or connection settings."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a manifest, at `source:line:column` (1-based)."""

    source: str
    line: int
    column: int
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}: {self.severity}: {self.message}"


class ManifestError(MfasyncError):
    """One or more manifest problems; `problems` lists every one of them."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        first = str(self.problems[0]) if self.problems else "invalid manifest"
        more = len(self.problems) - 1
        super().__init__(first + (f" (and {more} more)" if more > 0 else ""))


class SecretRefError(MfasyncError):
    """A secret reference cannot be resolved. The message names the reference, never a value."""


class PlanFileError(MfasyncError):
    """A saved plan file cannot be read, or does not belong to these manifests."""


class SafetyGuardError(MfasyncError):
    """A safety guard refused the plan; the message names the guard and `--force`."""


class StalePlanError(MfasyncError):
    """A user's live methods changed since the saved plan was made."""


class StateError(MfasyncError):
    """The state store cannot be used: bad URL, unreachable, corrupt, newer schema, failed write.

    Messages never carry a database password: locations are shown redacted.
    """


class LockHeldError(StateError):
    """Another apply holds the tenant's lock; the message names the holder and since when."""


class ApiError(MfasyncError):
    """A Management API request failed. Carries what the API said, cut to 256 characters."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.message = excerpt(message)
        self.status = status
        self.error_code = error_code
        self.method = method
        self.path = path
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"{self.method} {self.path}: " if self.method and self.path else ""
        status = f"{self.status} " if self.status is not None else ""
        code = f" ({self.error_code})" if self.error_code else ""
        return f"{where}{status}{self.message}{code}"


class FinalApiError(ApiError):
    """A definite refusal: repeating the same request cannot succeed."""


class BadRequestError(FinalApiError):
    """400: the API rejected the request body or parameters."""


class AuthenticationError(FinalApiError):
    """401 after a token refresh, or the OAuth token endpoint refused the credentials."""


class ForbiddenError(FinalApiError):
    """403: missing scope, passkey present (PUT / DELETE-all), or a per-user entity limit."""


class NotFoundError(FinalApiError):
    """404: the user or the authentication method does not exist."""


class ConflictError(FinalApiError):
    """409: the authentication method already exists."""


class MalformedResponseError(FinalApiError):
    """The answer is not what the Management API sends (HTML from a proxy, truncated JSON...)."""


class PortalError(MalformedResponseError):
    """An HTML page before any JSON answer of the run: a captive portal or a proxy's login page
    answers every request alike, so the run stops with this one line."""


class RetryableError(ApiError):
    """Nothing was changed, or the request is idempotent: the same request may be sent again."""


class RateLimitedError(RetryableError):
    """429. `retry_at_s` is the UNIX time of x-ratelimit-reset; `retry_after_s` from Retry-After."""

    def __init__(
        self,
        message: str,
        *,
        retry_at_s: float | None = None,
        retry_after_s: float | None = None,
        error_code: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.retry_at_s = retry_at_s
        self.retry_after_s = retry_after_s
        super().__init__(message, status=429, error_code=error_code, method=method, path=path)


class ServerError(RetryableError):
    """5xx on a request that is safe to repeat (GET, PATCH, PUT, DELETE)."""


class TransportError(RetryableError):
    """Timeout or dropped connection on a request that is safe to repeat."""


class ConnectError(TransportError):
    """No connection was made (DNS, refused, connect timeout, proxy down): nothing was sent."""


class UnreachableError(ConnectError):
    """A connection failed before any request of the run got an answer: the tenant (or the way
    to it) is unreachable, so every user would fail alike. Retried within a short budget, then
    the run stops with this one line (which names the host, not the request)."""

    def _render(self) -> str:
        return self.message


class NetworkError(FinalApiError):
    """The way to the tenant refuses every request alike (an untrusted TLS certificate, a proxy
    that wants credentials): the run stops with this one line."""


class AmbiguousWriteError(ApiError):
    """A POST whose outcome is unknown: it may have been committed. Re-list before any re-send."""
