"""The single-method endpoints: paths, verbs, bodies and decoded answers."""

from __future__ import annotations

from typing import Any

import pytest
from aioresponses import aioresponses
from pydantic import SecretStr

from mfasync import api, errors, settings
from tests.api.conftest import API, STATIC_TOKEN

USER = API + "/users/auth0%7Cabc/authentication-methods"
METHOD = USER + "/phone%7Cdev_x"


def _only_request(mocked: aioresponses) -> tuple[str, str, dict[str, Any]]:
    ((method, url), calls), *_ = mocked.requests.items()
    assert len(mocked.requests) == 1
    assert len(calls) == 1
    return method, url.raw_path, calls[0].kwargs


async def test_get_method_encodes_user_and_method_ids(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(METHOD, payload={"id": "phone|dev_x", "type": "phone", "name": "Work"})
    async with api.Client(static_connection) as client:
        method = await client.get_method("auth0|abc", "phone|dev_x")
    assert (method.id, method.name) == ("phone|dev_x", "Work")
    verb, path, kwargs = _only_request(mocked)
    assert (verb, path) == ("GET", "/api/v2/users/auth0%7Cabc/authentication-methods/phone%7Cdev_x")
    assert kwargs["headers"]["Authorization"] == f"Bearer {STATIC_TOKEN}"
    assert kwargs["allow_redirects"] is False


async def test_create_method_posts_the_body_and_reads_201(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.post(USER, status=201, payload={"id": "totp|dev_1", "type": "totp", "name": "App"})
    body = {"type": "totp", "name": "App", "totp_secret": "JBSWY3DPEHPK3PXP"}
    async with api.Client(static_connection) as client:
        created = await client.create_method("auth0|abc", body)
    assert (created.id, created.type) == ("totp|dev_1", "totp")
    verb, path, kwargs = _only_request(mocked)
    assert (verb, path) == ("POST", "/api/v2/users/auth0%7Cabc/authentication-methods")
    assert kwargs["json"] == body


async def test_replace_methods_puts_an_array_and_returns_the_new_methods(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    answer = [
        {"id": "phone|dev_n", "type": "phone", "phone_number": "+14155550123"},
        {"id": "totp|dev_n", "type": "totp"},
    ]
    mocked.put(USER, payload=answer)
    bodies = [
        {"type": "phone", "phone_number": "+14155550123"},
        {"type": "totp", "totp_secret": "JBSWY3DPEHPK3PXP"},
    ]
    async with api.Client(static_connection) as client:
        methods = await client.replace_methods("auth0|abc", bodies)
    assert [m.id for m in methods] == ["phone|dev_n", "totp|dev_n"]
    verb, _, kwargs = _only_request(mocked)
    assert verb == "PUT"
    assert kwargs["json"] == bodies


async def test_update_method_patches_one_method(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.patch(METHOD, payload={"id": "phone|dev_x", "type": "phone", "name": "New"})
    async with api.Client(static_connection) as client:
        method = await client.update_method("auth0|abc", "phone|dev_x", {"name": "New"})
    assert method.name == "New"
    verb, path, kwargs = _only_request(mocked)
    assert (verb, kwargs["json"]) == ("PATCH", {"name": "New"})
    assert path.endswith("/phone%7Cdev_x")


async def test_delete_method_accepts_an_empty_204(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.delete(METHOD, status=204, body=b"")
    async with api.Client(static_connection) as client:
        await client.delete_method("auth0|abc", "phone|dev_x")
    verb, path, _ = _only_request(mocked)
    assert (verb, path) == (
        "DELETE",
        "/api/v2/users/auth0%7Cabc/authentication-methods/phone%7Cdev_x",
    )


async def test_delete_all_methods_deletes_the_collection(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.delete(USER, status=204, body=b"")
    async with api.Client(static_connection) as client:
        await client.delete_all_methods("auth0|abc")
    verb, path, _ = _only_request(mocked)
    assert (verb, path) == ("DELETE", "/api/v2/users/auth0%7Cabc/authentication-methods")


async def test_find_users_by_email_returns_sorted_user_ids(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(
        API + "/users-by-email?email=alice%40example.com",
        payload=[
            {"user_id": "google-oauth2|2", "email": "alice@example.com"},
            {"user_id": "auth0|1", "email": "alice@example.com"},
        ],
    )
    async with api.Client(static_connection) as client:
        assert await client.find_users_by_email("alice@example.com") == (
            "auth0|1",
            "google-oauth2|2",
        )
    ((_, url),) = mocked.requests
    assert url.query["email"] == "alice@example.com"


async def test_every_answer_updates_last_rate_limit_and_request_count(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    limits = {"x-ratelimit-limit": "50", "x-ratelimit-remaining": "49", "x-ratelimit-reset": "99"}
    mocked.delete(METHOD, status=204, body=b"", headers=limits)
    mocked.delete(METHOD, status=204, body=b"")
    async with api.Client(static_connection) as client:
        assert client.last_rate_limit is None
        await client.delete_method("auth0|abc", "phone|dev_x")
        assert client.last_rate_limit is not None
        assert (client.last_rate_limit.limit, client.last_rate_limit.remaining) == (50, 49)
        assert client.last_rate_limit.reset_at_s == 99.0
        await client.delete_method("auth0|abc", "phone|dev_x")
        assert client.last_rate_limit.limit is None
    assert client.request_count == 2


async def test_client_repr_names_the_tenant_but_never_the_token(
    static_connection: settings.ConnectionSettings,
) -> None:
    async with api.Client(static_connection) as client:
        text = repr(client)
    assert "https://tenant.eu.auth0.com" in text
    assert STATIC_TOKEN not in text


def test_client_refuses_a_bad_domain_before_any_io() -> None:
    connection = settings.ConnectionSettings(
        domain="http://example.com", access_token=SecretStr("t")
    )
    with pytest.raises(errors.UsageError, match="only for loopback"):
        api.Client(connection)
