"""The emulator's configuration: credentials, scopes, token lifetime, rate limit, faults, limits.

Plain frozen dataclasses with every default in one place. This module only describes; it must not
start anything, read the environment or touch the network. Secrets are kept out of every repr.
"""

from __future__ import annotations

import dataclasses
import secrets
import ssl
from collections.abc import Mapping

#: Every scope the emulated Management API checks; a client-credentials token gets all of them
#: unless `Config.scopes` says otherwise.
ALL_SCOPES: tuple[str, ...] = (
    "create:authentication_methods",
    "delete:authentication_methods",
    "read:authentication_methods",
    "read:logs",
    "read:users",
    "update:authentication_methods",
)

#: Per-user limit of methods of each type that POST may create (403 "limit of entities" beyond).
#: Passkeys: 20 per user, as the reference says; the others have no published number, so the
#: same sensible 20 is used. Seeding and out-of-band helpers ignore these limits.
DEFAULT_ENTITY_LIMITS: Mapping[str, int] = {
    "email": 20,
    "passkey": 20,
    "phone": 20,
    "totp": 20,
    "webauthn-roaming": 20,
}


def _generated_secret() -> str:
    return secrets.token_urlsafe(24)


@dataclasses.dataclass(frozen=True)
class RateLimit:
    """A token bucket: `burst` requests at once, refilled at `per_s` requests per second."""

    burst: int
    per_s: float

    def __post_init__(self) -> None:
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        if self.per_s <= 0:
            raise ValueError("per_s must be positive")


#: The tenant bucket when none is configured: the service always sends the three headers, so the
#: emulator does too, with a limit high enough to slow nobody.
DEFAULT_RATE_LIMIT = RateLimit(burst=100_000, per_s=100_000.0)

#: Endpoint groups that may have a bucket of their own (`Config.endpoint_limits`), as a real
#: tenant has per-endpoint buckets beside the tenant-wide one.
ENDPOINT_GROUPS: tuple[str, ...] = (
    "authentication-methods-read",  # GET .../authentication-methods[/{id}]
    "authentication-methods-write",  # POST, PUT, PATCH, DELETE .../authentication-methods[/{id}]
    "users-by-email",  # GET /users-by-email
)


@dataclasses.dataclass(frozen=True)
class Faults:
    """Injected faults, drawn from a random generator seeded with `seed` (reproducible).

    `latency_ms` is added to every API request; `fail_rate` is the share of API requests answered
    500/503 before anything changes; `drop_rate` is the share of successful writes (POST, PUT,
    PATCH, DELETE) whose connection is dropped AFTER the change is committed. The token endpoint
    gets latency and 5xx faults only when `on_token_endpoint` is true.
    """

    latency_ms: float = 0.0
    fail_rate: float = 0.0
    drop_rate: float = 0.0
    on_token_endpoint: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("fail_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")


@dataclasses.dataclass(frozen=True)
class Config:
    """How one emulator instance behaves. `port=0` picks a free port.

    `static_tokens` maps ready bearer tokens (for `--access-token` users and tests) to the scopes
    they carry; they never expire. `rate_limit` is the tenant-wide bucket (None:
    `DEFAULT_RATE_LIMIT`, so the `x-ratelimit-*` headers are on every API answer, as the service
    sends them); `endpoint_limits` adds per-endpoint buckets by group (`ENDPOINT_GROUPS`).
    `token_quota` limits `POST /oauth/token` (429 "Client quota exceeded" with `Retry-After`).
    """

    host: str = "127.0.0.1"
    port: int = 0
    client_id: str = "mfasync-emulator"
    client_secret: str = dataclasses.field(default_factory=_generated_secret, repr=False)
    scopes: tuple[str, ...] = ALL_SCOPES
    token_ttl_s: float = 86400.0
    #: Tenant logs (`tenantlog`): events older than this are gone (the service keeps 1 to 30
    #: days by plan; None keeps everything); an event shows only `log_delay_s` after it happened.
    log_retention_s: float | None = 2 * 86400.0
    log_delay_s: float = 0.0
    static_tokens: Mapping[str, tuple[str, ...]] = dataclasses.field(
        default_factory=dict, repr=False
    )
    rate_limit: RateLimit | None = None
    endpoint_limits: Mapping[str, RateLimit] = dataclasses.field(default_factory=dict)
    token_quota: RateLimit | None = None
    faults: Faults = Faults()
    entity_limits: Mapping[str, int] = dataclasses.field(
        default_factory=lambda: dict(DEFAULT_ENTITY_LIMITS)
    )
    #: `tenant.eu.auth0.com`: the tenant is served on a custom domain (this address), and its
    #: token endpoint accepts only the canonical audience `https://{canonical_domain}/api/v2/`.
    canonical_domain: str | None = None
    #: False: the tenant flag that turns masking off (`disable_management_api_sms_obfuscation`):
    #: reads return full phone numbers and emails.
    masking: bool = True
    #: Serve HTTPS with this server context (tests of certificates and proxies); None: HTTP.
    tls: ssl.SSLContext | None = dataclasses.field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.log_retention_s is not None and self.log_retention_s <= 0:
            raise ValueError("log_retention_s must be positive")
        if self.log_delay_s < 0:
            raise ValueError("log_delay_s must not be negative")
        if self.token_ttl_s <= 0:
            raise ValueError("token_ttl_s must be positive")
        unknown = sorted(set(self.endpoint_limits) - set(ENDPOINT_GROUPS))
        if unknown:
            raise ValueError(
                f"unknown endpoint group {unknown[0]!r}; one of {', '.join(ENDPOINT_GROUPS)}"
            )
