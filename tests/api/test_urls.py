"""Base URL rules and encoded paths (pure)."""

from __future__ import annotations

import pytest

from mfasync import api, errors
from mfasync.api import urls


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("tenant.eu.auth0.com", "https://tenant.eu.auth0.com"),
        ("  Tenant.EU.auth0.com/ ", "https://tenant.eu.auth0.com"),
        ("https://tenant.eu.auth0.com/", "https://tenant.eu.auth0.com"),
        ("https://tenant.eu.auth0.com/api/v2/", "https://tenant.eu.auth0.com"),
        ("https://tenant.eu.auth0.com:443", "https://tenant.eu.auth0.com"),
        ("https://tenant.eu.auth0.com:8443", "https://tenant.eu.auth0.com:8443"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.10.0.5:8080/", "http://127.10.0.5:8080"),
        ("http://[::1]:9", "http://[::1]:9"),
        ("http://localhost", "http://localhost"),
        ("http://LOCALHOST:80/", "http://localhost"),
        ("https://10.0.0.1", "https://10.0.0.1"),
    ],
)
def test_base_url_normalises_hosts_and_urls(domain: str, expected: str) -> None:
    assert api.base_url(domain) == expected


@pytest.mark.parametrize(
    ("domain", "reason"),
    [
        ("http://example.com", "only for loopback"),
        ("http://10.0.0.1:8080", "only for loopback"),
        ("http://localhost.example.com", "only for loopback"),
        ("ftp://tenant.auth0.com", "unsupported scheme"),
        ("https://user:pw@tenant.auth0.com", "credentials"),
        ("https://tenant.auth0.com/some/path", "without a path"),
        ("https://tenant.auth0.com/?x=1", "query"),
        ("https://tenant.auth0.com:99999", "invalid port"),
        ("tenant .auth0.com", "spaces"),
        ("https://bad_host!.com", "not a valid host name"),
        ("   ", "no Auth0 domain"),
        ("https://", "no host name"),
    ],
)
def test_base_url_refuses_unsafe_or_unclear_domains(domain: str, reason: str) -> None:
    with pytest.raises(errors.UsageError, match=reason) as caught:
        api.base_url(domain)
    assert "\n" not in str(caught.value)


def test_paths_encode_pipe_in_user_and_method_ids() -> None:
    assert urls.methods_path("auth0|abc") == "/users/auth0%7Cabc/authentication-methods"
    assert (
        urls.method_path("auth0|abc", "phone|dev_x")
        == "/users/auth0%7Cabc/authentication-methods/phone%7Cdev_x"
    )


def test_paths_encode_slash_so_an_id_cannot_change_the_route() -> None:
    assert urls.methods_path("samlp|a/../b") == "/users/samlp%7Ca%2F..%2Fb/authentication-methods"
