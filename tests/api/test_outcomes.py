"""Every outcome lands on the right class of the error tree, with a useful, safe message."""

from __future__ import annotations

import ssl

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey
from aioresponses import aioresponses

from mfasync import api, errors, settings
from tests.api.conftest import API, STATIC_TOKEN, RecordingHooks

USER = API + "/users/auth0%7Cabc/authentication-methods"
METHOD = USER + "/phone%7Cdev_x"
PATH = "/users/auth0%7Cabc/authentication-methods"
_KEY = ConnectionKey("tenant.eu.auth0.com", 443, True, True, None, None, None)


def _api_error(status: int, message: str, code: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {"statusCode": status, "error": "x", "message": message}
    if code:
        body["errorCode"] = code
    return body


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (403, errors.ForbiddenError),
        (404, errors.NotFoundError),
        (409, errors.ConflictError),
        (418, errors.FinalApiError),
        (500, errors.ServerError),
        (503, errors.ServerError),
    ],
)
async def test_status_maps_onto_the_error_tree(
    mocked: aioresponses,
    static_connection: settings.ConnectionSettings,
    status: int,
    expected: type[errors.ApiError],
) -> None:
    mocked.get(METHOD, status=status, payload=_api_error(status, "said the API"))
    async with api.Client(static_connection) as client:
        with pytest.raises(expected) as caught:
            await client.get_method("auth0|abc", "phone|dev_x")
    assert type(caught.value) is expected
    assert caught.value.status == status


async def test_error_message_carries_api_message_code_method_and_path(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(
        USER + "?page=0&per_page=100&include_totals=true",
        status=404,
        payload=_api_error(404, "The user does not exist.", "inexistent_user"),
    )
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.NotFoundError) as caught:
            await client.list_methods("auth0|abc")
    assert caught.value.error_code == "inexistent_user"
    assert str(caught.value) == (f"GET {PATH}: 404 The user does not exist. (inexistent_user)")


async def test_a_502_html_page_is_a_server_error_with_a_short_excerpt(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1>" + "<p>nginx</p>" * 200 + "</body></html>"
    mocked.patch(METHOD, status=502, body=page, content_type="text/html")
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.ServerError) as caught:
            await client.update_method("auth0|abc", "phone|dev_x", {"name": "n"})
    assert caught.value.message.startswith("<html><body><h1>502 Bad Gateway</h1>")
    assert len(caught.value.message) == 256


async def test_a_502_on_post_is_an_ambiguous_write(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.post(USER, status=502, body="<html>Bad Gateway</html>", content_type="text/html")
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.AmbiguousWriteError) as caught:
            await client.create_method("auth0|abc", {"type": "email", "email": "a@b.c"})
    assert caught.value.status == 502
    assert "may have been committed" in str(caught.value)


async def test_truncated_json_on_success_is_a_malformed_response(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(METHOD, body='{"id": "phone|dev_x", "ty')
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.MalformedResponseError, match="not JSON"):
            await client.get_method("auth0|abc", "phone|dev_x")


async def test_html_on_success_is_a_malformed_response(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(METHOD, body="<html>login portal</html>", content_type="text/html")
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.MalformedResponseError):
            await client.get_method("auth0|abc", "phone|dev_x")


async def test_wrong_shape_on_success_is_a_malformed_response(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(METHOD, payload={"authenticators": []})
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.MalformedResponseError, match="invalid method"):
            await client.get_method("auth0|abc", "phone|dev_x")


async def test_truncated_json_on_an_error_keeps_the_status_class(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(METHOD, status=404, body='{"statusCode":404,"message":"The auth')
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.NotFoundError) as caught:
            await client.get_method("auth0|abc", "phone|dev_x")
    assert caught.value.message == '{"statusCode":404,"message":"The auth'


async def test_429_carries_the_reset_time_and_reaches_the_hooks(
    mocked: aioresponses, static_connection: settings.ConnectionSettings, hooks: RecordingHooks
) -> None:
    headers = {
        "x-ratelimit-limit": "10",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": "1700000123",
    }
    body = _api_error(429, "Global limit has been reached")
    mocked.delete(METHOD, status=429, payload=body, headers=headers)
    async with api.Client(static_connection, hooks=hooks) as client:
        with pytest.raises(errors.RateLimitedError) as caught:
            await client.delete_method("auth0|abc", "phone|dev_x")
    assert caught.value.retry_at_s == 1_700_000_123.0
    assert caught.value.retry_after_s is None
    assert caught.value.message == "Global limit has been reached"
    assert hooks.events == ["before", "after 429"]
    assert hooks.limits[0].remaining == 0


async def test_429_with_retry_after_carries_the_delay(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.post(USER, status=429, payload=_api_error(429, "slow"), headers={"Retry-After": "7"})
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.RateLimitedError) as caught:
            await client.create_method("auth0|abc", {"type": "totp"})
    assert caught.value.retry_after_s == 7.0
    assert caught.value.retry_at_s is None


async def test_a_redirect_is_not_followed_and_is_a_final_error(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(METHOD, status=302, headers={"Location": "https://evil.example/steal"})
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.FinalApiError, match="redirect") as caught:
            await client.get_method("auth0|abc", "phone|dev_x")
    assert "evil.example" not in str(caught.value)
    assert len(mocked.requests) == 1


@pytest.mark.parametrize(
    "failure",
    [TimeoutError(), aiohttp.ServerDisconnectedError(), aiohttp.ClientPayloadError("cut")],
    ids=["timeout", "disconnect", "payload"],
)
async def test_lost_answer_to_a_post_is_an_ambiguous_write(
    mocked: aioresponses, static_connection: settings.ConnectionSettings, failure: Exception
) -> None:
    mocked.post(USER, exception=failure)
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.AmbiguousWriteError) as caught:
            await client.create_method("auth0|abc", {"type": "totp"})
    assert caught.value.status is None
    assert str(caught.value).startswith(f"POST {PATH}: ")


@pytest.mark.parametrize(
    "failure",
    [TimeoutError(), aiohttp.ServerDisconnectedError(), aiohttp.ClientPayloadError("cut")],
    ids=["timeout", "disconnect", "payload"],
)
async def test_lost_answer_to_a_get_patch_put_or_delete_is_retryable(
    mocked: aioresponses, static_connection: settings.ConnectionSettings, failure: Exception
) -> None:
    mocked.get(METHOD, exception=failure)
    mocked.patch(METHOD, exception=failure)
    mocked.put(USER, exception=failure)
    mocked.delete(METHOD, exception=failure)
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.TransportError):
            await client.get_method("auth0|abc", "phone|dev_x")
        with pytest.raises(errors.TransportError):
            await client.update_method("auth0|abc", "phone|dev_x", {"name": "n"})
        with pytest.raises(errors.TransportError):
            await client.replace_methods("auth0|abc", [])
        with pytest.raises(errors.TransportError):
            await client.delete_method("auth0|abc", "phone|dev_x")


@pytest.mark.parametrize(
    "failure",
    [
        aiohttp.ClientConnectorError(_KEY, ConnectionRefusedError(111, "Connection refused")),
        aiohttp.ConnectionTimeoutError("connect timed out"),
    ],
    ids=["refused", "connect-timeout"],
)
async def test_a_post_that_never_connected_is_retryable(
    mocked: aioresponses, static_connection: settings.ConnectionSettings, failure: Exception
) -> None:
    mocked.post(USER, exception=failure)
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.TransportError) as caught:
            await client.create_method("auth0|abc", {"type": "totp"})
    assert not isinstance(caught.value, errors.AmbiguousWriteError)


async def test_a_refused_connection_names_host_and_reason(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    failure = aiohttp.ClientConnectorError(_KEY, ConnectionRefusedError(111, "Connection refused"))
    mocked.get(METHOD, exception=failure)
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.TransportError) as caught:
            await client.get_method("auth0|abc", "phone|dev_x")
    assert "cannot connect to tenant.eu.auth0.com:443 (Connection refused)" in str(caught.value)


async def test_a_bad_certificate_is_final_not_retried(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    failure = aiohttp.ClientConnectorCertificateError(_KEY, ssl.CertificateError("bad cert"))
    mocked.get(METHOD, exception=failure)
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.FinalApiError, match="TLS certificate verification failed"):
            await client.get_method("auth0|abc", "phone|dev_x")


async def test_an_error_body_echoing_the_token_is_scrubbed(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(METHOD, status=400, payload=_api_error(400, f"bad header Bearer {STATIC_TOKEN}"))
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.BadRequestError) as caught:
            await client.get_method("auth0|abc", "phone|dev_x")
    assert STATIC_TOKEN not in str(caught.value)
    assert "<redacted>" in str(caught.value)
