"""Proxies, CAs and an unreachable tenant: a real forward proxy (proxy.py, started here on
127.0.0.1), a real TLS emulator with a throwaway CA (trustme), one line for every bad way."""

from __future__ import annotations

import http.server
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
from pydantic import SecretStr

from mfasync import api, emulator, errors, settings
from tests.tenant.conftest import Runner, seeded

PROXY_USER, PROXY_SECRET = "ci-runner", "pr0xy-S3cret-DO-NOT-LEAK"
METHODS_PATH = "/api/v2/users/auth0%7Calice/authentication-methods"


@dataclass
class ForwardProxy:
    port: int
    log: Path

    def url(self, *, credentials: str | None = f"{PROXY_USER}:{PROXY_SECRET}") -> str:
        userinfo = f"{credentials}@" if credentials else ""
        return f"http://{userinfo}127.0.0.1:{self.port}"

    def lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []

    def wait_for(self, *needles: str) -> str:
        """The log once it holds every needle: proxy.py logs a connection when it closes."""
        deadline = time.monotonic() + 10
        while True:
            text = "\n".join(self.lines())
            if all(needle in text for needle in needles) or time.monotonic() > deadline:
                return text
            time.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _error_lines(stderr: str) -> int:
    """Lines of stderr that are not the periodic progress line of a run that lasts seconds."""
    return sum(1 for line in stderr.splitlines() if not line.startswith("Planning: "))


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[ForwardProxy]:
    port_file, log = tmp_path / "proxy.port", tmp_path / "proxy.log"
    command = [sys.executable, "-m", "proxy", "--hostname", "127.0.0.1", "--port", "0"]
    command += ["--port-file", str(port_file), "--log-file", str(log), "--log-level", "INFO"]
    command += ["--basic-auth", f"{PROXY_USER}:{PROXY_SECRET}"]
    command += ["--num-workers", "1", "--num-acceptors", "1"]
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    try:
        deadline = time.monotonic() + 20
        while not (port_file.exists() and port_file.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("proxy.py did not start")
            time.sleep(0.05)
        yield ForwardProxy(int(port_file.read_text().strip()), log)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def emu() -> Iterator[emulator.Emulator]:
    with emulator.run_in_thread(emulator.Config(), seeded()) as running:
        yield running


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_emu(ca: trustme.CA) -> Iterator[emulator.Emulator]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with emulator.run_in_thread(emulator.Config(tls=context), seeded()) as running:
        yield running


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "corporate-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def test_a_run_goes_through_the_proxy_and_no_credential_shows(
    emu: emulator.Emulator, proxy: ForwardProxy, manifest: Path, run: Runner
) -> None:
    # proxy.py logs the first request of each client connection, when the connection closes.
    result = run.against(emu, "plan", str(manifest), env={"HTTP_PROXY": proxy.url()})
    assert result.exit_code == 0, result.output
    assert "Plan: 1 to create" in result.stdout
    where = emu.url.removeprefix("http://")
    log = proxy.wait_for(f"POST {where}/oauth/token - 200")
    assert f"POST {where}/oauth/token - 200" in log
    token = emu.issue_token()
    direct = run(
        "plan",
        str(manifest),
        "--domain",
        emu.url,
        "--access-token",
        token,
        env={"HTTP_PROXY": proxy.url()},
    )
    assert direct.exit_code == 0, direct.output
    log = proxy.wait_for(f"GET {where}{METHODS_PATH}")
    assert f"GET {where}{METHODS_PATH}" in log
    assert PROXY_SECRET not in log + result.output + direct.output
    assert emu.client_secret not in log + result.output
    assert token not in log + direct.output


def test_no_proxy_sends_the_tenant_direct(
    emu: emulator.Emulator, proxy: ForwardProxy, manifest: Path, run: Runner
) -> None:
    env = {"HTTP_PROXY": proxy.url(), "NO_PROXY": "localhost,127.0.0.0/8"}
    result = run.against(emu, "plan", str(manifest), env=env)
    assert result.exit_code == 0, result.output
    assert [line for line in proxy.lines() if " - GET " in line or " - POST " in line] == []


def test_a_proxy_that_refuses_the_credentials_is_one_line(
    emu: emulator.Emulator, proxy: ForwardProxy, manifest: Path, run: Runner
) -> None:
    env = {"HTTP_PROXY": proxy.url(credentials="ci-runner:wrong-password")}
    result = run.against(emu, "plan", str(manifest), env=env)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "the proxy refused the request (407 Proxy Authentication Required)" in result.stderr
    assert "wrong-password" not in result.output
    assert emu.stats.total() == 0


def test_a_proxy_that_is_down_stops_the_run_in_one_line(
    emu: emulator.Emulator, manifest: Path, run: Runner
) -> None:
    port = _free_port()
    env = {"HTTP_PROXY": f"http://{PROXY_USER}:{PROXY_SECRET}@127.0.0.1:{port}"}
    result = run.against(emu, "plan", str(manifest), env=env)
    assert result.exit_code == 1
    assert _error_lines(result.stderr) == 1, result.stderr
    assert f"through the proxy http://127.0.0.1:{port}" in result.stderr
    assert f"cannot connect to the proxy 127.0.0.1:{port}" in result.stderr
    assert PROXY_SECRET not in result.output


def test_an_untrusted_certificate_is_one_line_naming_the_ca_flag(
    tls_emu: emulator.Emulator, manifest: Path, run: Runner
) -> None:
    result = run.against(tls_emu, "plan", str(manifest))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "TLS certificate verification failed for 127.0.0.1" in result.stderr
    assert "--ca-bundle FILE" in result.stderr
    assert tls_emu.stats.total() == 0


def test_a_corporate_ca_is_trusted_from_the_flag_or_ssl_cert_file(
    tls_emu: emulator.Emulator, ca_file: Path, manifest: Path, run: Runner
) -> None:
    flagged = run.against(tls_emu, "plan", str(manifest), "--ca-bundle", str(ca_file))
    assert flagged.exit_code == 0, flagged.output
    from_env = run.against(tls_emu, "plan", str(manifest), env={"SSL_CERT_FILE": str(ca_file)})
    assert from_env.exit_code == 0, from_env.output
    assert from_env.stdout == flagged.stdout


def test_https_goes_through_the_proxy_by_connect(
    tls_emu: emulator.Emulator,
    ca_file: Path,
    proxy: ForwardProxy,
    manifest: Path,
    run: Runner,
) -> None:
    env = {"HTTPS_PROXY": proxy.url()}
    result = run.against(tls_emu, "plan", str(manifest), "--ca-bundle", str(ca_file), env=env)
    assert result.exit_code == 0, result.output
    where = tls_emu.url.removeprefix("https://")
    log = proxy.wait_for(f"CONNECT {where}")
    assert f"CONNECT {where}" in log, log
    assert PROXY_SECRET not in log + result.output


def test_a_ca_bundle_that_is_not_pem_is_one_line_before_any_request(
    tls_emu: emulator.Emulator, tmp_path: Path, manifest: Path, run: Runner
) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("this is not a certificate\n", encoding="utf-8")
    result = run.against(tls_emu, "plan", str(manifest), "--ca-bundle", str(bogus))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"CA bundle {bogus}: not a PEM file of certificates" in result.stderr
    assert tls_emu.stats.total() == 0


def test_an_unreachable_tenant_fails_in_one_line_not_one_per_user(
    tmp_path: Path, run: Runner
) -> None:
    port = _free_port()  # nothing listens there
    lines = ["version: 1", "users:"]
    for index in range(50):
        lines += [f'  - user_id: "auth0|u{index:02d}"', "    methods:"]
        lines += [f'      - {{type: phone, name: SMS, phone_number: "+1415555{index:04d}"}}']
    manifest = tmp_path / "many.yaml"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(
        "plan",
        str(manifest),
        "--domain",
        f"http://127.0.0.1:{port}",
        "--access-token",
        "tok-DO-NOT-LEAK",
    )
    assert result.exit_code == 1
    assert _error_lines(result.stderr) == 1, result.stderr
    assert f"Error: cannot reach 127.0.0.1:{port}: cannot connect to" in result.stderr
    assert "Connect call failed" in result.stderr or "refused" in result.stderr.lower()
    assert "tok-DO-NOT-LEAK" not in result.output
    assert result.stdout == ""


async def test_a_tenant_that_answered_once_fails_per_request_not_as_unreachable() -> None:
    emu = emulator.Emulator(emulator.Config(), seeded())
    await emu.start()
    connection = settings.ConnectionSettings(
        domain=emu.url, access_token=SecretStr(emu.issue_token())
    )
    async with api.Client(connection) as client:
        assert await client.list_methods("auth0|alice") == ()
        await emu.stop()
        for _ in range(2):  # a dropped kept-alive connection, then a refused new one
            with pytest.raises(errors.TransportError) as failure:
                await client.list_methods("auth0|alice")
    assert isinstance(failure.value, errors.ConnectError)
    assert not isinstance(failure.value, errors.UnreachableError)


async def test_a_tenant_never_reached_is_unreachable_from_the_first_failure() -> None:
    port = _free_port()
    connection = settings.ConnectionSettings(
        domain=f"http://127.0.0.1:{port}", access_token=SecretStr("tok")
    )
    async with api.Client(connection) as client:
        with pytest.raises(errors.UnreachableError, match=f"cannot reach 127.0.0.1:{port}"):
            await client.list_methods("auth0|alice")


class _Portal(http.server.BaseHTTPRequestHandler):
    """A captive portal: every request gets the same HTML login page."""

    def _page(self) -> None:
        body = b"<html><body><h1>Welcome to Hotel WiFi</h1>Please log in.</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _page

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def portal() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Portal)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_captive_portal_is_one_line_with_a_token_or_credentials(
    portal: str, tmp_path: Path, run: Runner
) -> None:
    lines = ["version: 1", "users:"]
    for index in range(20):
        lines += [f'  - user_id: "auth0|u{index:02d}"', "    methods:"]
        lines += [f'      - {{type: phone, name: SMS, phone_number: "+1415555{index:04d}"}}']
    manifest = tmp_path / "many.yaml"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with_token = run("plan", str(manifest), "--domain", portal, "--access-token", "tok")
    assert with_token.exit_code == 1
    assert _error_lines(with_token.stderr) == 1, with_token.stderr
    assert "answered an HTML page, not the Management API" in with_token.stderr
    with_credentials = run(
        "plan", str(manifest), "--domain", portal, "--client-id", "c", "--client-secret", "s3"
    )
    assert with_credentials.exit_code == 1
    assert _error_lines(with_credentials.stderr) == 1, with_credentials.stderr
    assert "the token endpoint's answer is not JSON" in with_credentials.stderr
