"""Reads over a real socket: masking, paging, the include_totals shapes, 404s, users by email."""

from __future__ import annotations

import aiohttp

from mfasync import emulator
from tests.emulator.conftest import path


async def test_list_masks_phone_and_email_and_never_returns_the_totp_secret(
    client: aiohttp.ClientSession,
) -> None:
    async with client.get(path("auth0|alice")) as response:
        assert response.status == 200
        methods = await response.json()
    assert [m["type"] for m in methods] == ["phone", "email", "totp"]
    assert methods[0]["phone_number"] == "XXXXXXXXXXX5044"
    assert methods[1]["email"] == "chuc****@exam*******"
    assert "totp_secret" not in methods[2]
    assert "JBSWY3DPEHPK3PXP" not in str(methods)


async def test_get_one_is_masked_and_takes_url_encoded_ids(
    client: aiohttp.ClientSession, tenant: emulator.State
) -> None:
    phone_id = tenant.methods_of("auth0|alice")[0]["id"]
    async with client.get(path("auth0|alice", phone_id)) as response:
        assert response.status == 200
        method = await response.json()
    assert method["id"] == phone_id
    assert method["phone_number"] == "XXXXXXXXXXX5044"


async def test_paging_walks_every_method_in_order_across_pages(
    client: aiohttp.ClientSession, tenant: emulator.State
) -> None:
    tenant.add_user(
        "auth0|many",
        methods=[{"type": "phone", "phone_number": f"+1415555{i:04d}"} for i in range(120)],
    )
    seen: list[str] = []
    for page in range(3):
        params: dict[str, str | int] = {"page": page, "per_page": 50, "include_totals": "true"}
        async with client.get(path("auth0|many"), params=params) as response:
            body = await response.json()
        assert (body["start"], body["limit"], body["total"]) == (page * 50, 50, 120)
        seen += [m["id"] for m in body["authenticators"]]
    assert seen == [m["id"] for m in tenant.methods_of("auth0|many")]
    async with client.get(path("auth0|many")) as response:
        assert len(await response.json()) == 50


async def test_include_totals_on_an_empty_list_omits_total(client: aiohttp.ClientSession) -> None:
    async with client.get(path("auth0|dave"), params={"include_totals": "true"}) as response:
        assert await response.json() == {"authenticators": [], "start": 0, "limit": 50}
    async with client.get(path("auth0|dave")) as response:
        assert await response.json() == []


async def test_per_page_above_100_is_a_400(client: aiohttp.ClientSession) -> None:
    async with client.get(path("auth0|alice"), params={"per_page": 101}) as response:
        assert response.status == 400
        body = await response.json()
    assert body["statusCode"] == 400
    assert body["errorCode"] == "invalid_query_string"


async def test_unknown_user_is_404_inexistent_user(client: aiohttp.ClientSession) -> None:
    async with client.get(path("auth0|nobody")) as response:
        assert response.status == 404
        assert await response.json() == {
            "statusCode": 404,
            "error": "Not Found",
            "message": "The user does not exist.",
            "errorCode": "inexistent_user",
        }


async def test_unknown_method_is_404_with_the_api_message(client: aiohttp.ClientSession) -> None:
    async with client.get(path("auth0|alice", "phone|dev_nope")) as response:
        assert response.status == 404
        body = await response.json()
    assert body["message"] == "The authentication method could not be found."


async def test_users_by_email_returns_user_objects(client: aiohttp.ClientSession) -> None:
    async with client.get("/api/v2/users-by-email", params={"email": "bob@example.com"}) as r:
        assert r.status == 200
        users = await r.json()
    assert [(u["user_id"], u["email"]) for u in users] == [("auth0|bob", "bob@example.com")]
    async with client.get("/api/v2/users-by-email", params={"email": "x@example.com"}) as r:
        assert await r.json() == []
