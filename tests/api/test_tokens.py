"""Access tokens: client credentials, caching, expiry, one refresh after a 401, safe errors."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses
from pydantic import SecretStr
from yarl import URL

from mfasync import api, errors, settings
from mfasync.api import tokens
from tests.api.conftest import API, BASE, CLIENT_SECRET, TOKEN_URL, RecordingHooks

METHOD = API + "/users/auth0%7Cabc/authentication-methods/totp%7Cdev_1"
A_METHOD = {"id": "totp|dev_1", "type": "totp"}


def _token(value: str, expires_in: float = 86400) -> dict[str, object]:
    return {"access_token": value, "expires_in": expires_in, "token_type": "Bearer"}


def _bearers(mocked: aioresponses) -> list[str]:
    calls = mocked.requests.get(("GET", URL(METHOD)), [])
    return [call.kwargs["headers"]["Authorization"] for call in calls]


def _token_fetches(mocked: aioresponses) -> list[dict[str, Any]]:
    return [call.kwargs["json"] for call in mocked.requests.get(("POST", URL(TOKEN_URL)), [])]


async def test_client_credentials_are_exchanged_with_the_api_audience(
    mocked: aioresponses, cc_connection: settings.ConnectionSettings
) -> None:
    mocked.post(TOKEN_URL, payload=_token("tok-1"))
    mocked.get(METHOD, payload=A_METHOD)
    async with api.Client(cc_connection) as client:
        await client.get_method("auth0|abc", "totp|dev_1")
    assert _token_fetches(mocked) == [
        {
            "grant_type": "client_credentials",
            "client_id": "the-client-id",
            "client_secret": CLIENT_SECRET,
            "audience": f"{BASE}/api/v2/",
        }
    ]
    assert _bearers(mocked) == ["Bearer tok-1"]


async def test_token_is_cached_across_requests(
    mocked: aioresponses, cc_connection: settings.ConnectionSettings, hooks: RecordingHooks
) -> None:
    mocked.post(TOKEN_URL, payload=_token("tok-1"))
    mocked.get(METHOD, payload=A_METHOD, repeat=True)
    async with api.Client(cc_connection, hooks=hooks) as client:
        for _ in range(3):
            await client.get_method("auth0|abc", "totp|dev_1")
    assert len(_token_fetches(mocked)) == 1
    assert client.request_count == 3
    assert hooks.events == ["before", "after 200"] * 3  # the token request is not an API request


async def test_an_expired_token_is_fetched_again(
    mocked: aioresponses, cc_connection: settings.ConnectionSettings
) -> None:
    mocked.post(TOKEN_URL, payload=_token("tok-1", expires_in=0))
    mocked.post(TOKEN_URL, payload=_token("tok-2"))
    mocked.get(METHOD, payload=A_METHOD, repeat=True)
    async with api.Client(cc_connection) as client:
        await client.get_method("auth0|abc", "totp|dev_1")
        await client.get_method("auth0|abc", "totp|dev_1")
    assert _bearers(mocked) == ["Bearer tok-1", "Bearer tok-2"]


async def test_token_is_refreshed_when_less_than_the_margin_is_left(
    mocked: aioresponses, cc_connection: settings.ConnectionSettings
) -> None:
    now = [1000.0]
    mocked.post(TOKEN_URL, payload=_token("tok-1", expires_in=3600))
    mocked.post(TOKEN_URL, payload=_token("tok-2", expires_in=3600))
    async with aiohttp.ClientSession() as session:
        source = tokens.TokenSource(
            cc_connection, session=session, base=BASE, refresh_margin_s=60, clock=lambda: now[0]
        )
        first = await source.current()
        now[0] = 1000.0 + 3600 - 61  # 61 s left: still good
        still = await source.current()
        now[0] = 1000.0 + 3600 - 59  # 59 s left: inside the margin
        fresh = await source.current()
    assert [t.get_secret_value() for t in (first, still, fresh)] == ["tok-1", "tok-1", "tok-2"]


async def test_a_401_refreshes_the_token_once_and_resends(
    mocked: aioresponses, cc_connection: settings.ConnectionSettings, hooks: RecordingHooks
) -> None:
    mocked.post(TOKEN_URL, payload=_token("tok-1"))
    mocked.post(TOKEN_URL, payload=_token("tok-2"))
    mocked.get(METHOD, status=401, payload={"statusCode": 401, "message": "Expired token"})
    mocked.get(METHOD, payload=A_METHOD)
    async with api.Client(cc_connection, hooks=hooks) as client:
        method = await client.get_method("auth0|abc", "totp|dev_1")
    assert method.id == "totp|dev_1"
    assert _bearers(mocked) == ["Bearer tok-1", "Bearer tok-2"]
    assert hooks.events == ["before", "after 401", "before", "after 200"]
    assert client.request_count == 2


async def test_a_second_401_is_an_authentication_error(
    mocked: aioresponses, cc_connection: settings.ConnectionSettings
) -> None:
    mocked.post(TOKEN_URL, payload=_token("tok-1"))
    mocked.post(TOKEN_URL, payload=_token("tok-2"))
    mocked.get(METHOD, status=401, payload={"message": "Invalid token"}, repeat=True)
    async with api.Client(cc_connection) as client:
        with pytest.raises(errors.AuthenticationError, match="Invalid token"):
            await client.get_method("auth0|abc", "totp|dev_1")
    assert len(_token_fetches(mocked)) == 2
    assert client.request_count == 2


async def test_a_given_access_token_is_used_as_is_and_not_refreshed(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(METHOD, status=401, payload={"message": "Invalid token"})
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.AuthenticationError):
            await client.get_method("auth0|abc", "totp|dev_1")
    assert _token_fetches(mocked) == []
    assert client.request_count == 1


async def test_concurrent_callers_share_one_token_fetch(
    mocked: aioresponses, cc_connection: settings.ConnectionSettings
) -> None:
    mocked.post(TOKEN_URL, payload=_token("tok-1"))  # a second fetch would find no answer
    mocked.get(METHOD, payload=A_METHOD, repeat=True)
    async with api.Client(cc_connection) as client:
        await asyncio.gather(*(client.get_method("auth0|abc", "totp|dev_1") for _ in range(5)))
    assert len(_token_fetches(mocked)) == 1


async def test_concurrent_401s_share_one_refresh(
    mocked: aioresponses, cc_connection: settings.ConnectionSettings
) -> None:
    def answer(url: URL, **kwargs: Any) -> CallbackResult:
        if kwargs["headers"]["Authorization"] == "Bearer tok-1":
            return CallbackResult(status=401, payload={"message": "Expired token"})
        return CallbackResult(payload=A_METHOD)

    mocked.post(TOKEN_URL, payload=_token("tok-1"))
    mocked.post(TOKEN_URL, payload=_token("tok-2"))
    mocked.get(METHOD, callback=answer, repeat=True)
    async with api.Client(cc_connection) as client:
        found = await asyncio.gather(
            *(client.get_method("auth0|abc", "totp|dev_1") for _ in range(4))
        )
    assert [m.id for m in found] == ["totp|dev_1"] * 4
    assert len(_token_fetches(mocked)) == 2


@pytest.mark.parametrize("status", [401, 403])
async def test_oauth_error_is_an_authentication_error_without_the_secret(
    mocked: aioresponses, cc_connection: settings.ConnectionSettings, status: int
) -> None:
    body = {"error": "access_denied", "error_description": f"Unauthorized {CLIENT_SECRET}"}
    mocked.post(TOKEN_URL, status=status, payload=body)
    async with api.Client(cc_connection) as client:
        with pytest.raises(errors.AuthenticationError) as caught:
            await client.get_method("auth0|abc", "totp|dev_1")
    text = str(caught.value)
    assert CLIENT_SECRET not in text
    assert text.startswith(f"POST /oauth/token: {status} could not get a Management API token")
    assert client.request_count == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<html>proxy login</html>", "not JSON"),
        ('{"token_type": "Bearer"}', "no access_token"),
        ('{"access_token": ""}', "no access_token"),
    ],
)
async def test_an_unusable_token_answer_is_an_authentication_error(
    mocked: aioresponses, cc_connection: settings.ConnectionSettings, body: str, reason: str
) -> None:
    mocked.post(TOKEN_URL, body=body)
    async with api.Client(cc_connection) as client:
        with pytest.raises(errors.AuthenticationError, match=reason):
            await client.get_method("auth0|abc", "totp|dev_1")


async def test_token_endpoint_outage_is_retryable(
    mocked: aioresponses, cc_connection: settings.ConnectionSettings
) -> None:
    mocked.post(TOKEN_URL, status=503, body="down")
    mocked.post(TOKEN_URL, exception=TimeoutError())
    async with api.Client(cc_connection) as client:
        with pytest.raises(errors.ServerError):
            await client.get_method("auth0|abc", "totp|dev_1")
        with pytest.raises(errors.TransportError):
            await client.get_method("auth0|abc", "totp|dev_1")


async def test_no_token_or_secret_in_reprs_or_errors(
    mocked: aioresponses, cc_connection: settings.ConnectionSettings
) -> None:
    mocked.post(TOKEN_URL, payload=_token("tok-SECRET-VALUE"))
    mocked.get(
        METHOD, status=404, payload={"message": "The authentication method could not be found."}
    )
    async with api.Client(cc_connection) as client:
        with pytest.raises(errors.NotFoundError) as caught:
            await client.get_method("auth0|abc", "totp|dev_1")
        seen = " ".join(
            (repr(client), str(client), repr(client._tokens), str(caught.value), repr(caught.value))
        )
    assert "tok-SECRET-VALUE" not in seen
    assert CLIENT_SECRET not in seen
    assert caught.value.__cause__ is None


async def test_token_source_repr_hides_the_given_token() -> None:
    connection = settings.ConnectionSettings(domain="t.auth0.com", access_token=SecretStr("abc123"))
    async with aiohttp.ClientSession() as session:
        source = tokens.TokenSource(connection, session=session, base=BASE, refresh_margin_s=60)
        assert (await source.current()).get_secret_value() == "abc123"
        assert repr(source) == "<TokenSource access_token>"
