"""Grouped run settings (connection, HTTP, rate, retry, safety). Defaults live only here.

Settings are documented data with units in their names. Only this module and `cli` may read the
environment; everything else receives settings as arguments.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import SecretStr

from mfasync import errors

ENV_DOMAIN = "AUTH0_DOMAIN"
ENV_CLIENT_ID = "AUTH0_CLIENT_ID"
ENV_CLIENT_SECRET = "AUTH0_CLIENT_SECRET"  # noqa: S105 - the variable's name, not a secret
ENV_ACCESS_TOKEN = "AUTH0_ACCESS_TOKEN"  # noqa: S105 - the variable's name, not a secret
ENV_AUDIENCE = "AUTH0_AUDIENCE"
ENV_CA_FILE = "SSL_CERT_FILE"


@dataclass(frozen=True, slots=True)
class NetworkSettings:
    """How to reach the tenant: proxies as curl and requests read them, and the CAs to trust.

    Proxy URLs may carry credentials (`http://user:secret@proxy:3128`): they are kept out of the
    repr and every message. `ca_files` are PEM bundles trusted besides the system's (the
    `SSL_CERT_FILE` one, then `--ca-bundle`); verification is never switched off.
    """

    https_proxy: str | None = field(default=None, repr=False)
    http_proxy: str | None = field(default=None, repr=False)
    no_proxy: str | None = None
    ca_files: tuple[str, ...] = ()

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, ca_bundle: str | None = None
    ) -> NetworkSettings:
        """`https_proxy`/`HTTPS_PROXY`, `http_proxy`/`HTTP_PROXY`, `no_proxy`/`NO_PROXY` (the
        lower-case spelling first, as curl reads them), `SSL_CERT_FILE`, plus `--ca-bundle`."""
        env = os.environ if environ is None else environ

        def either(name: str) -> str | None:
            return env.get(name.lower()) or env.get(name.upper()) or None

        files = tuple(path for path in (env.get(ENV_CA_FILE), ca_bundle) if path)
        return cls(
            https_proxy=either("https_proxy"),
            http_proxy=either("http_proxy"),
            no_proxy=either("no_proxy"),
            ca_files=files,
        )


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """Where the Management API is and how to authenticate. Secrets stay `SecretStr`."""

    domain: str
    client_id: str | None = None
    client_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    # The client-credentials audience; None: `{base}/api/v2/`. A tenant reached on a custom
    # domain still wants its canonical `https://TENANT.REGION.auth0.com/api/v2/`.
    audience: str | None = None
    network: NetworkSettings = field(default_factory=NetworkSettings)

    def __post_init__(self) -> None:
        if not self.domain.strip():
            raise errors.UsageError("no Auth0 domain: give --domain or set AUTH0_DOMAIN")
        has_credentials = self.client_id is not None and self.client_secret is not None
        if self.access_token is None and not has_credentials:
            raise errors.UsageError(
                "no credentials: give --access-token (AUTH0_ACCESS_TOKEN), or --client-id and "
                "--client-secret (AUTH0_CLIENT_ID / AUTH0_CLIENT_SECRET)"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ConnectionSettings:
        """Build from AUTH0_* variables (as auth0-deploy-cli names them)."""
        env = os.environ if environ is None else environ
        secret = env.get(ENV_CLIENT_SECRET)
        token = env.get(ENV_ACCESS_TOKEN)
        return cls(
            domain=env.get(ENV_DOMAIN, ""),
            client_id=env.get(ENV_CLIENT_ID),
            client_secret=SecretStr(secret) if secret else None,
            access_token=SecretStr(token) if token else None,
            audience=env.get(ENV_AUDIENCE) or None,
            network=NetworkSettings.from_env(env),
        )


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """Transport settings of the Management API client."""

    timeout_s: float = 30.0  # whole request, connect included
    connect_timeout_s: float = 5.0
    per_page: int = 100  # the API's maximum page size: fewest requests per list
    token_refresh_margin_s: float = 60.0  # refresh a token when less than this is left
    token_quota_max_wait_s: float = 60.0  # longest total wait for the token endpoint's 429s
    max_connections: int = 64


@dataclass(frozen=True, slots=True)
class RateSettings:
    """How fast a run may go. The tenant's x-ratelimit-* headers lower the pace further."""

    # Requests per second, never exceeded by the run as a whole. The default is above any
    # tenant's published limit on purpose: the governor follows the tenant's x-ratelimit-*
    # headers (measured refill rate, with a margin), so the tenant sets the pace; lower it to
    # leave room for the tenant's other Management API clients.
    max_rps: float = 1000.0
    concurrency: int = 8  # users in flight at once


@dataclass(frozen=True, slots=True)
class RetrySettings:
    """Retries of failed requests: capped exponential backoff with full jitter."""

    max_attempts: int = 8  # attempts per request, the first one included
    backoff_base_s: float = 0.2
    backoff_max_s: float = 10.0
    rate_limit_max_wait_s: float = 60.0  # longest single wait for a 429 reset
    # A tenant that no request of the run has reached yet is retried for this long at most (plus
    # the attempt under way, at most `HttpSettings.connect_timeout_s`), then the run stops.
    unreachable_budget_s: float = 8.0


@dataclass(frozen=True, slots=True)
class SafetySettings:
    """Guards apply enforces unless --force."""

    max_deleting_users_ratio: float = 0.30  # share of planned users that may lose methods
    min_users_for_ratio_guard: int = 10  # the ratio guard applies from this many planned users


@dataclass(frozen=True, slots=True)
class RunSettings:
    """Everything a run needs besides the connection."""

    http: HttpSettings = field(default_factory=HttpSettings)
    rate: RateSettings = field(default_factory=RateSettings)
    retry: RetrySettings = field(default_factory=RetrySettings)
    safety: SafetySettings = field(default_factory=SafetySettings)
