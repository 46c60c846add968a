"""Fixtures for the api client's unit tests: aioresponses, connections, a recording hook."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import ClientResponse
from aioresponses import aioresponses
from aioresponses import core as aioresponses_core
from pydantic import SecretStr

from mfasync import models, settings

BASE = "https://tenant.eu.auth0.com"
API = BASE + "/api/v2"
TOKEN_URL = BASE + "/oauth/token"
STATIC_TOKEN = "static-token-abc123-DO-NOT-LEAK"
CLIENT_SECRET = "client-secret-xyz789-DO-NOT-LEAK"


class _SentStreamWriter:
    """What a ClientResponse asks of the writer of a request that was already sent."""

    output_size = 0


class _CompatClientResponse(ClientResponse):
    """aiohttp >= 3.14 requires `stream_writer`; aioresponses <= 0.7.9 does not pass it.

    Known upstream (pnuckowski/aioresponses#289); aiohttp 3.14 is a security release, so the
    test side adapts instead of pinning aiohttp down. Used only when aiohttp asks for it.
    """

    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", _SentStreamWriter())
        super().__init__(method, url, **kwargs)


_NEEDS_STREAM_WRITER = "stream_writer" in inspect.signature(ClientResponse.__init__).parameters


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[aioresponses]:
    if _NEEDS_STREAM_WRITER:
        monkeypatch.setattr(aioresponses_core, "ClientResponse", _CompatClientResponse)
    with aioresponses() as mock:
        yield mock


@pytest.fixture
def static_connection() -> settings.ConnectionSettings:
    return settings.ConnectionSettings(
        domain="tenant.eu.auth0.com", access_token=SecretStr(STATIC_TOKEN)
    )


@pytest.fixture
def cc_connection() -> settings.ConnectionSettings:
    return settings.ConnectionSettings(
        domain="tenant.eu.auth0.com",
        client_id="the-client-id",
        client_secret=SecretStr(CLIENT_SECRET),
    )


class RecordingHooks:
    """A RequestHooks that records what the client told it, in order."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.limits: list[models.RateLimit] = []

    async def before_request(self, method: str, path: str) -> None:
        self.events.append("before")

    def after_response(
        self, status: int, rate_limit: models.RateLimit, method: str, path: str
    ) -> None:
        self.events.append(f"after {status}")
        self.limits.append(rate_limit)


@pytest.fixture
def hooks() -> RecordingHooks:
    return RecordingHooks()
