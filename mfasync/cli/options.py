"""Options shared by several commands: the connection, the pace and the user filter.

Connection flags mirror auth0-deploy-cli's environment variables (AUTH0_DOMAIN, AUTH0_CLIENT_ID,
AUTH0_CLIENT_SECRET, AUTH0_ACCESS_TOKEN, AUTH0_AUDIENCE). Secrets become `SecretStr` at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click
from pydantic import SecretStr

from mfasync import settings

F = TypeVar("F", bound=Callable[..., Any])


def domain_option(func: F) -> F:
    """--domain (AUTH0_DOMAIN) alone: the `state` commands name the tenant with it, no more."""
    return click.option(
        "--domain",
        envvar=settings.ENV_DOMAIN,
        help="tenant.eu.auth0.com (HTTPS), or a URL; plain http only for loopback. "
        "[env: AUTH0_DOMAIN]",
    )(func)


def connection_options(func: F) -> F:
    """--domain, --client-id, --client-secret, --access-token, --audience (with AUTH0_* vars)."""
    decorators = [
        domain_option,
        click.option("--client-id", envvar=settings.ENV_CLIENT_ID, help="[env: AUTH0_CLIENT_ID]"),
        click.option(
            "--client-secret",
            envvar=settings.ENV_CLIENT_SECRET,
            help="[env: AUTH0_CLIENT_SECRET] (prefer the variable: flags show in process lists)",
        ),
        click.option(
            "--access-token",
            envvar=settings.ENV_ACCESS_TOKEN,
            help="A ready Management API token instead of client credentials. "
            "[env: AUTH0_ACCESS_TOKEN]",
        ),
        click.option(
            "--audience",
            envvar=settings.ENV_AUDIENCE,
            help="Token audience (default https://DOMAIN/api/v2/). A tenant on a custom domain "
            "needs its canonical https://TENANT.REGION.auth0.com/api/v2/. [env: AUTH0_AUDIENCE]",
        ),
        click.option(
            "--ca-bundle",
            metavar="FILE",
            help="PEM bundle of CAs to trust besides the system's (a corporate TLS-inspecting "
            "proxy's CA). SSL_CERT_FILE is read too; verification is never switched off.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def build_connection(
    *,
    domain: str | None,
    client_id: str | None,
    client_secret: str | None,
    access_token: str | None,
    audience: str | None = None,
    ca_bundle: str | None = None,
) -> settings.ConnectionSettings:
    """Connection settings from the flags; raises UsageError naming what is missing."""
    return settings.ConnectionSettings(
        domain=domain or "",
        client_id=client_id or None,
        client_secret=SecretStr(client_secret) if client_secret else None,
        access_token=SecretStr(access_token) if access_token else None,
        audience=audience or None,
        # Proxies and CAs as curl reads them (https_proxy, no_proxy, SSL_CERT_FILE...).
        network=settings.NetworkSettings.from_env(os.environ, ca_bundle=ca_bundle or None),
    )


def pace_options(func: F) -> F:
    """--concurrency, --max-rps and --user (repeatable)."""
    defaults = settings.RateSettings()
    decorators = [
        click.option(
            "--concurrency",
            type=click.IntRange(1, 256),
            default=defaults.concurrency,
            show_default=True,
            help="Users in flight at once.",
        ),
        click.option(
            "--max-rps",
            type=click.FloatRange(0.1, 1_000_000),
            default=defaults.max_rps,
            show_default=True,
            help="Cap on requests per second; the tenant's rate-limit headers may lower it.",
        ),
        click.option(
            "--user",
            "only_users",
            multiple=True,
            metavar="ID",
            help="Limit the run to this user (user_id, or email:ADDRESS); repeatable.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func
