"""Where requests go: the base URL rules and the encoded Management API paths.

`base_url` turns `--domain` into the one origin every request (token included) is sent to. Plain
`http://` is accepted only for loopback hosts, so a token can never cross a network in clear text.
This module does no I/O and never disables or weakens TLS.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, urlsplit

from mfasync import errors

API_PREFIX = "/api/v2"
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a URL path, not a secret

_DEFAULT_PORTS = {"https": 443, "http": 80}
# One DNS label: letters, digits, hyphens (underscores tolerated: some internal names use them).
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


def base_url(domain: str) -> str:
    """The origin (`scheme://host[:port]`) of the tenant named by `domain`.

    A bare host means HTTPS. A full URL may be given; `http://` only for 127.0.0.0/8, ::1 and
    localhost. A trailing slash or `/api/v2` is dropped; any other path is refused, as are
    credentials, queries and fragments. Raises `errors.UsageError` with a one-line reason.
    """
    text = domain.strip()
    if not text:
        raise errors.UsageError("no Auth0 domain: give --domain or set AUTH0_DOMAIN")
    if any(char.isspace() or ord(char) < 32 for char in text):
        raise errors.UsageError("the Auth0 domain must not contain spaces or control characters")
    if "://" not in text:
        # A bare IPv6 address (`::1`) has no brackets; add them so it parses as a host.
        if text.count(":") >= 2 and not text.startswith("[") and "/" not in text:
            text = f"[{text}]"
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise errors.UsageError(
            f"unsupported scheme {scheme!r} in the Auth0 domain: use a bare host or https://"
        )
    if "@" in parts.netloc:
        raise errors.UsageError("the Auth0 domain must not carry credentials (user@host)")
    if parts.query or parts.fragment:
        raise errors.UsageError("the Auth0 domain must not carry a query or a fragment")
    host = _host(parts.hostname)
    try:
        port = parts.port
    except ValueError:
        raise errors.UsageError("the Auth0 domain has an invalid port") from None
    path = parts.path.rstrip("/")
    if path.endswith(API_PREFIX):
        path = path[: -len(API_PREFIX)].rstrip("/")
    if path:
        raise errors.UsageError(
            f"the Auth0 domain must be a host or a base URL without a path (got path {path!r})"
        )
    if scheme == "http" and not _is_loopback(host):
        raise errors.UsageError(
            f"plain http:// is allowed only for loopback hosts (127.0.0.1, ::1, localhost), "
            f"not {host!r}: use https://"
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}"


def _host(raw: str | None) -> str:
    """The host, lower-cased and checked: an IP address or a DNS name (IDNA-encoded)."""
    if not raw:
        raise errors.UsageError("the Auth0 domain has no host name")
    try:
        return ipaddress.ip_address(raw).compressed
    except ValueError:
        pass
    name = raw.rstrip(".")
    try:
        name = name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise errors.UsageError(f"the Auth0 domain is not a valid host name: {raw!r}") from None
    if len(name) > 253 or not all(_LABEL.match(label) for label in name.split(".")):
        raise errors.UsageError(f"the Auth0 domain is not a valid host name: {raw!r}")
    return name


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


#: An id of only unreserved characters and `|` (the usual `provider|id`): `quote` would only
#: turn each `|` into `%7C`, which `str.replace` does at a fraction of quote's cost.
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.~|-]*")


def _encoded_id(value: str) -> str:
    if _PLAIN_ID.fullmatch(value):
        return value.replace("|", "%7C")
    return quote(value, safe="")


def methods_path(user_id: str) -> str:
    """`/users/{id}/authentication-methods`, the id encoded whole (`|` and `/` included)."""
    return f"/users/{_encoded_id(user_id)}/authentication-methods"


def method_path(user_id: str, method_id: str) -> str:
    """`/users/{id}/authentication-methods/{method_id}`, both ids encoded whole."""
    return f"{methods_path(user_id)}/{quote(method_id, safe='')}"


def host_of(base: str) -> str:
    """`https://tenant.eu.auth0.com` -> `tenant.eu.auth0.com` (with the port when one is given)."""
    return base.split("://", 1)[-1]
