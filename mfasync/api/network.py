"""The way to the tenant: which proxy a URL goes through, and which CAs a TLS connection trusts.

Proxies are chosen as curl and requests choose them: `https_proxy` for an https URL, `http_proxy`
for an http one, unless `no_proxy` names the host (`*`, a host, a domain suffix with or without
its leading dot, an IP address or a CIDR range, optionally with `:port`). Credentials in a proxy
URL go to the proxy as Basic auth and never into a message: `shown` is the URL without them.
The TLS context always verifies; extra CA bundles are added to the system's, never instead of
verification. A file that is not a PEM bundle is a one-line `UsageError` before any I/O.
"""

from __future__ import annotations

import ipaddress
import ssl
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp

from mfasync import errors, settings


@dataclass(frozen=True, slots=True)
class Proxy:
    """The proxy for one origin: its URL without credentials (safe to print), and the headers
    that carry the credentials to it (never printed). Through a `tunnel` (an https origin, by
    CONNECT) they go on the CONNECT request only; for a plain http origin, on each request,
    which only the proxy reads."""

    url: str
    tunnel: bool
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)


def proxy_for(base_url: str, network: settings.NetworkSettings) -> Proxy | None:
    """The proxy `base_url` goes through, or None (no proxy set, or `no_proxy` names the host)."""
    target = urllib.parse.urlsplit(base_url)
    raw = network.https_proxy if target.scheme == "https" else network.http_proxy
    if not raw or bypassed(target.hostname or "", target.port, network.no_proxy):
        return None
    if "://" not in raw:
        raw = "http://" + raw  # curl's default for a bare host:port
    parts = urllib.parse.urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise errors.UsageError(
            f"proxy {_without_credentials(parts)}: expected http://HOST:PORT (https_proxy / "
            "http_proxy)"
        )
    headers = {}
    if parts.username is not None:
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        headers["Proxy-Authorization"] = aiohttp.encode_basic_auth(user, password)
    return Proxy(url=_without_credentials(parts), tunnel=target.scheme == "https", headers=headers)


def _without_credentials(parts: urllib.parse.SplitResult) -> str:
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def bypassed(host: str, port: int | None, no_proxy: str | None) -> bool:
    """Whether `no_proxy` sends `host` direct (curl's rules, CIDR ranges included)."""
    host = host.strip("[]").lower().rstrip(".")
    for entry in (no_proxy or "").split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        name, entry_port = _split_port(entry)
        if entry_port is not None and entry_port != port:
            continue
        if _address_matches(host, name):
            return True
        name = name.lstrip(".").rstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def _split_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):  # [::1]:8080
        name, _, rest = entry[1:].partition("]")
        port = rest.removeprefix(":")
        return name, int(port) if port.isdigit() else None
    if entry.count(":") == 1:
        name, _, port = entry.partition(":")
        return name, int(port) if port.isdigit() else None
    return entry, None


def _address_matches(host: str, entry: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return address.version == network.version and address in network


def tls_context(network: settings.NetworkSettings) -> ssl.SSLContext:
    """A verifying context: the system's CAs plus every bundle in `network.ca_files`."""
    context = ssl.create_default_context()
    for path in network.ca_files:
        try:
            context.load_verify_locations(cafile=path)
        except FileNotFoundError:
            raise errors.UsageError(f"CA bundle {path}: no such file") from None
        except (ssl.SSLError, ValueError, OSError) as exc:
            reason = getattr(exc, "reason", None) or type(exc).__name__
            raise errors.UsageError(
                f"CA bundle {path}: not a PEM file of certificates ({reason})"
            ) from None
    return context
