"""Claims about the transport: TLS is always verified, plain http stays on loopback, the token
never reaches another host, and no request is re-sent behind the retry policy's back.

The servers here are the test's own, on 127.0.0.1 and 127.0.0.2 (no other network).
"""

from __future__ import annotations

import re
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from click.testing import CliRunner
from pydantic import SecretStr

import mfasync
from mfasync import api, errors, settings
from mfasync.cli.main import cli

TOKEN = "tok-transport-3b9f0c1e7a"
SECRET = "secret-transport-5d2e8a4c"
PACKAGE = Path(mfasync.__file__).parent

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _serve(handler: Handler, *, host: str = "127.0.0.1", **site: object) -> web.AppRunner:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, 0, **site).start()  # type: ignore[arg-type]
    return runner


def _port(runner: web.AppRunner) -> int:
    return int(runner.addresses[0][1])


@pytest.fixture
async def elsewhere() -> AsyncIterator[tuple[str, list[web.Request]]]:
    """Another host (127.0.0.2) that records every request it receives."""
    seen: list[web.Request] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(request)
        return web.json_response({"access_token": "other", "expires_in": 60})

    runner = await _serve(record, host="127.0.0.2")
    yield f"http://127.0.0.2:{_port(runner)}", seen
    await runner.cleanup()


def test_no_source_file_disables_tls_verification() -> None:
    weakeners = re.compile(
        r"ssl\s*=\s*False|verify_ssl|CERT_NONE|check_hostname\s*=\s*False|_create_unverified_context"
    )
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.py"))
        if weakeners.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


async def test_the_client_session_verifies_certificates() -> None:
    connection = settings.ConnectionSettings(
        domain="tenant.example.com", access_token=SecretStr(TOKEN)
    )
    async with api.Client(connection) as client:
        connector = client._session.connector  # type: ignore[union-attr]
        assert isinstance(connector, aiohttp.TCPConnector)
        context = connector._ssl  # the system's CAs (plus any --ca-bundle): always verifying
        assert isinstance(context, ssl.SSLContext)
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname is True


@pytest.fixture
def self_signed(tmp_path: Path) -> ssl.SSLContext:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def test_a_server_with_an_untrusted_certificate_is_refused(
    self_signed: ssl.SSLContext,
) -> None:
    answered: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        answered.append(request.path)
        return web.json_response([])

    runner = await _serve(handler, ssl_context=self_signed)
    try:
        connection = settings.ConnectionSettings(
            domain=f"https://127.0.0.1:{_port(runner)}", access_token=SecretStr(TOKEN)
        )
        async with api.Client(connection) as client:
            with pytest.raises(errors.FinalApiError, match="TLS certificate verification failed"):
                await client.list_methods("auth0|alice")
    finally:
        await runner.cleanup()
    assert answered == []  # the request (and its token) never got through the handshake


@pytest.mark.parametrize(
    "domain",
    [
        "http://tenant.eu.auth0.com",
        "http://10.0.0.8:8080",
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io",
        "http://[::ffff:10.0.0.8]",
        "http://2130706433",
    ],
)
def test_plain_http_off_loopback_is_refused_before_any_request(domain: str) -> None:
    with pytest.raises(errors.UsageError, match="plain http:// is allowed only for loopback"):
        api.urls.base_url(domain)


def test_the_cli_refuses_plain_http_off_loopback_with_one_line(tmp_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text('version: 1\nusers:\n  - user_id: "auth0|a"\n    methods: []\n')
    result = CliRunner().invoke(
        cli,
        ["plan", str(manifest), "--domain", "http://10.0.0.8", "--access-token", TOKEN],
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, errors.UsageError)
    assert "plain http:// is allowed only for loopback" in str(result.exception)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_redirect_to_another_host_never_carries_the_token(
    status: int, elsewhere: tuple[str, list[web.Request]]
) -> None:
    other, seen = elsewhere

    async def redirect(request: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Location": other + request.path_qs})

    runner = await _serve(redirect)
    try:
        base = f"http://127.0.0.1:{_port(runner)}"
        given = settings.ConnectionSettings(domain=base, access_token=SecretStr(TOKEN))
        async with api.Client(given) as client:
            with pytest.raises(errors.FinalApiError, match="redirect"):
                await client.list_methods("auth0|alice")
        fetched = settings.ConnectionSettings(
            domain=base, client_id="cid", client_secret=SecretStr(SECRET)
        )
        async with api.Client(fetched) as client:
            with pytest.raises(errors.AuthenticationError, match="redirect"):
                await client.list_methods("auth0|alice")
    finally:
        await runner.cleanup()
    assert seen == []  # neither the token nor the client secret reached 127.0.0.2


async def test_a_dropped_delete_is_not_re_sent_behind_the_retry_policy() -> None:
    # aiohttp re-sends idempotent requests once when the connection drops; the client must not,
    # or a committed DELETE comes back as a 404 that looks final to the executor.
    received: list[str] = []

    async def drop(request: web.Request) -> web.Response:
        received.append(request.method)
        assert request.transport is not None
        request.transport.abort()  # as if committed, then the answer lost
        return web.Response(status=204)

    runner = await _serve(drop)
    try:
        connection = settings.ConnectionSettings(
            domain=f"http://127.0.0.1:{_port(runner)}", access_token=SecretStr(TOKEN)
        )
        async with api.Client(connection) as client:
            with pytest.raises(errors.TransportError, match="dropped"):
                await client.delete_method("auth0|alice", "email|dev_x")
            assert client.request_count == 1
    finally:
        await runner.cleanup()
    assert received == ["DELETE"]
