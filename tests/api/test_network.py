"""Proxy choice as curl makes it (no_proxy rules), credentials kept apart, CA bundles checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfasync import errors, settings
from mfasync.api import network


@pytest.mark.parametrize(
    ("host", "port", "no_proxy", "bypassed"),
    [
        ("tenant.eu.auth0.com", 443, None, False),
        ("tenant.eu.auth0.com", 443, "*", True),
        ("tenant.eu.auth0.com", 443, "auth0.com", True),
        ("tenant.eu.auth0.com", 443, ".auth0.com", True),
        ("tenant.eu.auth0.com", 443, "example.com, eu.auth0.com", True),
        ("notauth0.com", 443, "auth0.com", False),
        ("tenant.eu.auth0.com", 443, "auth0.com:8443", False),
        ("tenant.eu.auth0.com", 443, "auth0.com:443", True),
        ("127.0.0.1", 8080, "127.0.0.0/8", True),
        ("10.1.2.3", 443, "10.0.0.0/16", False),
        ("::1", 8080, "::1", True),
        ("localhost", 8080, "LOCALHOST", True),
    ],
)
def test_no_proxy_follows_curls_rules(
    host: str, port: int, no_proxy: str | None, bypassed: bool
) -> None:
    assert network.bypassed(host, port, no_proxy) is bypassed


def test_the_proxy_is_chosen_by_the_scheme_and_keeps_credentials_apart() -> None:
    net = settings.NetworkSettings(
        https_proxy="http://ci%40corp:s%3Acret@proxy.corp:3128", http_proxy="proxy.corp:8080"
    )
    secure = network.proxy_for("https://tenant.eu.auth0.com", net)
    assert secure is not None
    assert (secure.url, secure.tunnel) == ("http://proxy.corp:3128", True)
    assert secure.headers == {"Proxy-Authorization": "Basic Y2lAY29ycDpzOmNyZXQ="}
    assert "cret" not in repr(secure) + repr(net)
    plain = network.proxy_for("http://127.0.0.1:8080", net)
    assert plain is not None
    assert (plain.url, plain.tunnel, dict(plain.headers)) == ("http://proxy.corp:8080", False, {})
    assert network.proxy_for("https://x.example", settings.NetworkSettings()) is None


def test_proxy_variables_are_read_lower_case_first() -> None:
    env = {"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:1", "NO_PROXY": "a"}
    net = settings.NetworkSettings.from_env(env, ca_bundle="/etc/corp.pem")
    assert (net.https_proxy, net.http_proxy, net.no_proxy) == ("http://lower:1", None, "a")
    assert net.ca_files == ("/etc/corp.pem",)


def test_a_ca_bundle_that_is_not_pem_is_a_usage_error(tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate", encoding="utf-8")
    with pytest.raises(errors.UsageError, match="not a PEM file of certificates"):
        network.tls_context(settings.NetworkSettings(ca_files=(str(bogus),)))
    with pytest.raises(errors.UsageError, match="no such file"):
        network.tls_context(settings.NetworkSettings(ca_files=(str(tmp_path / "none.pem"),)))
