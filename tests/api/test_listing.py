"""list_methods reads every page, whatever shape the API gives it."""

from __future__ import annotations

import pytest
from aioresponses import aioresponses

from mfasync import api, errors, settings
from tests.api.conftest import API, RecordingHooks

LIST = API + "/users/auth0%7Cabc/authentication-methods"


def _methods(start: int, count: int) -> list[dict[str, object]]:
    return [{"id": f"totp|dev_{n:04d}", "type": "totp"} for n in range(start, start + count)]


def _page_url(page: int, per_page: int = 100) -> str:
    return f"{LIST}?page={page}&per_page={per_page}&include_totals=true"


async def test_list_reads_three_pages_with_page_per_page_and_include_totals(
    mocked: aioresponses, static_connection: settings.ConnectionSettings, hooks: RecordingHooks
) -> None:
    for page, count in ((0, 100), (1, 100), (2, 37)):
        body = {"authenticators": _methods(page * 100, count), "start": page * 100, "total": 237}
        mocked.get(_page_url(page), payload=body)
    async with api.Client(static_connection, hooks=hooks) as client:
        methods = await client.list_methods("auth0|abc")
    assert len(methods) == 237
    assert methods[0].id == "totp|dev_0000"
    assert methods[-1].id == "totp|dev_0236"
    assert client.request_count == 3
    assert hooks.events == ["before", "after 200"] * 3
    sent = [(method, url.raw_path, dict(url.query)) for (method, url) in mocked.requests]
    path = "/api/v2/users/auth0%7Cabc/authentication-methods"
    assert sent == [
        ("GET", path, {"include_totals": "true", "page": "0", "per_page": "100"}),
        ("GET", path, {"include_totals": "true", "page": "1", "per_page": "100"}),
        ("GET", path, {"include_totals": "true", "page": "2", "per_page": "100"}),
    ]


async def test_list_stops_at_total_without_requesting_an_empty_page(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(_page_url(0), payload={"authenticators": _methods(0, 100), "total": 200})
    mocked.get(_page_url(1), payload={"authenticators": _methods(100, 100), "total": 200})
    async with api.Client(static_connection) as client:
        methods = await client.list_methods("auth0|abc")
    assert len(methods) == 200
    assert client.request_count == 2


async def test_list_without_total_reads_until_a_short_page(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(_page_url(0), payload={"authenticators": _methods(0, 100)})
    mocked.get(_page_url(1), payload={"authenticators": _methods(100, 3)})
    async with api.Client(static_connection) as client:
        methods = await client.list_methods("auth0|abc")
    assert len(methods) == 103
    assert client.request_count == 2


async def test_list_without_total_reads_until_an_empty_page(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(_page_url(0), payload={"authenticators": _methods(0, 100)})
    mocked.get(_page_url(1), payload={"authenticators": []})
    async with api.Client(static_connection) as client:
        methods = await client.list_methods("auth0|abc")
    assert len(methods) == 100
    assert client.request_count == 2


async def test_empty_list_without_total_is_an_empty_tuple(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(_page_url(0), payload={"authenticators": [], "start": 0, "limit": 100})
    async with api.Client(static_connection) as client:
        assert await client.list_methods("auth0|abc") == ()


async def test_list_accepts_a_bare_array_answer(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(_page_url(0), payload=_methods(0, 2))
    async with api.Client(static_connection) as client:
        methods = await client.list_methods("auth0|abc")
    assert [m.id for m in methods] == ["totp|dev_0000", "totp|dev_0001"]


async def test_list_follows_total_when_the_server_caps_pages_below_per_page(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(_page_url(0), payload={"authenticators": _methods(0, 50), "total": 60})
    mocked.get(_page_url(1), payload={"authenticators": _methods(50, 10), "total": 60})
    async with api.Client(static_connection) as client:
        methods = await client.list_methods("auth0|abc")
    assert len(methods) == 60


async def test_list_refuses_a_server_that_repeats_the_same_page(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    same = {"authenticators": _methods(0, 100), "total": 300}
    mocked.get(_page_url(0), payload=same)
    mocked.get(_page_url(1), payload=same)
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.MalformedResponseError, match="ignores paging"):
            await client.list_methods("auth0|abc")


async def test_list_converts_camel_case_and_keeps_unknown_types_and_extra_fields(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    body = {
        "authenticators": [
            {
                "id": "phone|dev_1",
                "type": "phone",
                "phoneNumber": "XXXXXXXXXXX5044",
                "preferredAuthenticationMethod": "voice",
                "createdAt": "2024-05-01T10:00:00.000Z",
                "authentication_methods": [{"id": "sms|dev_1", "type": "sms"}],
            },
            {"id": "holo|dev_2", "type": "holo-key", "created_at": "2024", "future": {"a": 1}},
        ],
        "total": 2,
    }
    mocked.get(_page_url(0), payload=body)
    async with api.Client(static_connection) as client:
        phone, holo = await client.list_methods("auth0|abc")
    assert (phone.phone_number, phone.preferred_authentication_method) == (
        "XXXXXXXXXXX5044",
        "voice",
    )
    assert phone.created_at == "2024-05-01T10:00:00.000Z"
    assert (holo.type, holo.managed) == ("holo-key", False)


async def test_list_uses_per_page_from_settings(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(_page_url(0, per_page=2), payload={"authenticators": _methods(0, 2), "total": 3})
    mocked.get(_page_url(1, per_page=2), payload={"authenticators": _methods(2, 1), "total": 3})
    http = settings.HttpSettings(per_page=2)
    async with api.Client(static_connection, http=http) as client:
        methods = await client.list_methods("auth0|abc")
    assert len(methods) == 3
