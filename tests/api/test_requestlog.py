"""The client's request log: one line per attempt, never a body, a token or an error's text."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from aioresponses import aioresponses

from mfasync import api, attempts, errors, settings
from tests.api.conftest import API, CLIENT_SECRET, STATIC_TOKEN, TOKEN_URL

USER = API + "/users/auth0%7Cabc/authentication-methods"
LIMITS = {
    "x-ratelimit-limit": "50",
    "x-ratelimit-remaining": "49",
    "x-ratelimit-reset": "1764700000",
}


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "mfasync.http"]


@pytest.fixture
def http_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """The records of the `mfasync.http` logger, which nobody listens to by default."""
    caplog.set_level(logging.INFO, logger="mfasync.http")
    return caplog


async def test_a_create_is_one_line_without_its_body_or_its_answer(
    mocked: aioresponses,
    static_connection: settings.ConnectionSettings,
    http_log: pytest.LogCaptureFixture,
) -> None:
    # the answer echoes the number in full, as the service does on POST
    answer = {"id": "phone|dev_1", "type": "phone", "phone_number": "+14155550123"}
    mocked.post(USER, status=201, payload=answer, headers=LIMITS)
    async with api.Client(static_connection) as client:
        with attempts.numbered(3):
            await client.create_method(
                "auth0|abc", {"type": "phone", "phone_number": "+14155550123"}
            )
    [line] = _lines(http_log)
    method, target, status, duration, *rest = line.split(" ")
    assert (method, target, status) == (
        "POST",
        "/api/v2/users/auth0%7Cabc/authentication-methods",
        "201",
    )
    assert duration.endswith("ms")
    assert rest == ["attempt=3", "limit=50", "remaining=49", "reset=1764700000"]
    assert "4155550123" not in line
    assert STATIC_TOKEN not in line


async def test_token_requests_are_logged_without_the_secret_or_the_token(
    mocked: aioresponses,
    cc_connection: settings.ConnectionSettings,
    http_log: pytest.LogCaptureFixture,
) -> None:
    mocked.post(TOKEN_URL, status=429, headers={"Retry-After": "0"}, payload={"error": "quota"})
    mocked.post(TOKEN_URL, payload={"access_token": "issued-token-XYZ", "expires_in": 86400})
    mocked.get(USER + "?page=0&per_page=100&include_totals=true", payload=[])
    async with api.Client(cc_connection) as client:
        await client.list_methods("auth0|abc")
    lines = _lines(http_log)
    assert [line.split(" ")[:3] for line in lines] == [
        ["POST", "/oauth/token", "429"],
        ["POST", "/oauth/token", "200"],
        [
            "GET",
            "/api/v2/users/auth0%7Cabc/authentication-methods?page=0&per_page=100&include_totals=true",
            "200",
        ],
    ]
    assert "attempt=1" in lines[0]
    assert "retry_after=0" in lines[0]
    assert "attempt=2" in lines[1]  # the token module's own quota loop
    text = "\n".join(lines)
    assert CLIENT_SECRET not in text
    assert "issued-token-XYZ" not in text


async def test_a_request_without_an_answer_logs_its_error_class_only(
    mocked: aioresponses,
    static_connection: settings.ConnectionSettings,
    http_log: pytest.LogCaptureFixture,
) -> None:
    mocked.get(USER + "/phone%7Cdev_x", exception=aiohttp.ServerDisconnectedError("secret text"))
    async with api.Client(static_connection) as client:
        client._answered = True  # past the first contact: a plain transport error
        with pytest.raises(errors.TransportError):
            await client.get_method("auth0|abc", "phone|dev_x")
    [line] = _lines(http_log)
    assert line.startswith("GET /api/v2/users/auth0%7Cabc/authentication-methods/phone%7Cdev_x - ")
    assert line.endswith(" attempt=1 error=ServerDisconnectedError")
    assert "secret text" not in line
