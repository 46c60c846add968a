"""`mfasync emulator`: run the local Management API emulator until Ctrl-C.

Prints the URL and the AUTH0_* variables that point mfasync (or any client) at it. Printing the
emulator's own client secret is deliberate: it is a local throwaway credential, chosen by the user
or generated for this run, and handing it over is the point of the command. Everything about the
server itself lives in `mfasync.emulator`; this module only turns flags into its config.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import math
import pathlib

import click

from mfasync import emulator
from mfasync.cli import output


def _rate_limit(burst: int | None, rate: float | None) -> emulator.RateLimit | None:
    # One flag is enough: a burst alone refills at that many per second, a rate alone gets a
    # bucket of one second's worth.
    if burst is None and rate is None:
        return None
    if rate is None:
        rate = float(burst or 1)
    if burst is None:
        burst = max(1, math.ceil(rate))
    return emulator.RateLimit(burst=burst, per_s=rate)


def _bucket(value: str, *, flag: str) -> emulator.RateLimit:
    """`BURST/RATE` (`10/5`: 10 requests at once, 5 per second) -> a bucket."""
    burst, sep, rate = value.partition("/")
    try:
        return emulator.RateLimit(burst=int(burst), per_s=float(rate) if sep else float(burst))
    except ValueError:
        raise click.BadParameter(
            f"{value!r}: expected BURST/RATE, e.g. 10/5", param_hint=flag
        ) from None


def _endpoint_limits(values: tuple[str, ...]) -> dict[str, emulator.RateLimit]:
    limits = {}
    for value in values:
        group, sep, spec = value.partition("=")
        if not sep or group not in emulator.ENDPOINT_GROUPS:
            raise click.BadParameter(
                f"{value!r}: expected GROUP=BURST/RATE, GROUP one of "
                + ", ".join(emulator.ENDPOINT_GROUPS),
                param_hint="--endpoint-limit",
            )
        limits[group] = _bucket(spec, flag="--endpoint-limit")
    return limits


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _announce(console: output.Console, emu: emulator.Emulator) -> None:
    console.info(f"Auth0 Management API emulator listening on {emu.url}")
    console.info("Point mfasync at it with:")
    console.result(f"export AUTH0_DOMAIN={emu.url}")
    console.result(f"export AUTH0_CLIENT_ID={emu.client_id}")
    console.result(f"export AUTH0_CLIENT_SECRET={emu.client_secret}")
    if emu.config.canonical_domain is not None:
        console.result(f"export AUTH0_AUDIENCE={emu.audience}")
    console.info(f"{len(emu.state.user_ids())} users seeded. Press Ctrl-C to stop.")


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="0: any free."
)
@click.option(
    "--log-retention-days",
    type=click.FloatRange(min=0, min_open=True),
    default=2.0,
    show_default=True,
    help="Tenant logs older than this are gone.",
)
@click.option(
    "--log-delay",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Seconds before a tenant log event becomes visible.",
)
@click.option(
    "--seed",
    "seed_file",
    type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path),
    help="YAML or JSON file of users and their methods (values unmasked).",
)
@click.option("--client-id", default="mfasync-emulator", show_default=True)
@click.option("--client-secret", help="Default: a random secret, printed at start.")
@click.option("--burst", type=click.IntRange(1), help="Rate-limit bucket size (requests).")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), help="Refill, requests/s.")
@click.option(
    "--endpoint-limit",
    "endpoint_limit",
    multiple=True,
    metavar="GROUP=BURST/RATE",
    help="A per-endpoint bucket besides the tenant's (repeatable); GROUP: "
    + ", ".join(emulator.ENDPOINT_GROUPS)
    + ".",
)
@click.option(
    "--token-quota", metavar="BURST/RATE", help="Limit POST /oauth/token (429 with Retry-After)."
)
@click.option("--latency-ms", type=click.FloatRange(0), default=0.0, help="Added to each request.")
@click.option("--fail-rate", type=click.FloatRange(0, 1), default=0.0, help="Share of 500/503.")
@click.option(
    "--drop-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Share of writes whose connection is dropped after the change is committed.",
)
@click.option("--token-ttl", type=click.FloatRange(min=1), default=86400.0, help="Seconds.")
@click.option("--random-seed", type=int, default=0, show_default=True, help="Ids and faults.")
@click.option(
    "--no-masking",
    is_flag=True,
    help="Act as a tenant with masking off: reads return full phone numbers and emails.",
)
@click.option(
    "--canonical-domain",
    metavar="TENANT.REGION.auth0.com",
    help="Act as a tenant on a custom domain: tokens only for this canonical audience.",
)
@click.pass_obj
def command(
    console: output.Console,
    host: str,
    port: int,
    log_retention_days: float,
    log_delay: float,
    seed_file: pathlib.Path | None,
    client_id: str,
    client_secret: str | None,
    burst: int | None,
    rate: float | None,
    endpoint_limit: tuple[str, ...],
    token_quota: str | None,
    latency_ms: float,
    fail_rate: float,
    drop_rate: float,
    token_ttl: float,
    random_seed: int,
    no_masking: bool,
    canonical_domain: str | None,
) -> None:
    """Run a local Auth0 Management API (authentication methods) until Ctrl-C."""
    tenant = emulator.State(random_seed=random_seed)
    if seed_file is not None:
        try:
            emulator.load_seed_file(seed_file, tenant=tenant)
        except (OSError, ValueError) as exc:
            raise click.UsageError(str(exc)) from None
    config = emulator.Config(
        host=host,
        port=port,
        log_retention_s=log_retention_days * 86400.0,
        log_delay_s=log_delay,
        client_id=client_id,
        token_ttl_s=token_ttl,
        rate_limit=_rate_limit(burst, rate),
        endpoint_limits=_endpoint_limits(endpoint_limit),
        token_quota=_bucket(token_quota, flag="--token-quota") if token_quota else None,
        canonical_domain=canonical_domain or None,
        masking=not no_masking,
        faults=emulator.Faults(
            latency_ms=latency_ms, fail_rate=fail_rate, drop_rate=drop_rate, seed=random_seed
        ),
    )
    if client_secret:
        config = dataclasses.replace(config, client_secret=client_secret)
    if not _is_loopback(host):
        console.warn(f"Warning: listening on {host}: the emulator is a fake API for local use.")
    try:
        asyncio.run(emulator.serve(config, tenant, on_ready=lambda emu: _announce(console, emu)))
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    except KeyboardInterrupt:
        console.info("Emulator stopped.")
