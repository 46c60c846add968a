"""Writes over a real socket: POST, PUT, PATCH, DELETE and their error answers."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from mfasync import emulator
from tests.emulator.conftest import path

PHONE = {"type": "phone", "name": "Work", "phone_number": "+14155550100"}


async def test_create_answers_201_confirmed_with_email_masked(
    client: aiohttp.ClientSession, tenant: emulator.State
) -> None:
    body = {"type": "email", "name": "Mail", "email": "foo@example.com"}
    async with client.post(path("auth0|dave"), json=body) as response:
        assert response.status == 201
        created = await response.json()
    assert created["email"] == "****@exam*******"
    assert created["confirmed"] is True
    assert created["id"].startswith("email|dev_")
    assert len(created["id"]) == len("email|dev_") + 16
    assert tenant.methods_of("auth0|dave")[0]["email"] == "foo@example.com"


async def test_create_echoes_the_phone_but_not_the_totp_secret(
    client: aiohttp.ClientSession,
) -> None:
    async with client.post(path("auth0|dave"), json=PHONE) as response:
        assert (await response.json())["phone_number"] == "+14155550100"
    totp = {"type": "totp", "name": "App", "totp_secret": "GEZDGNBVGY3TQOJQ"}
    async with client.post(path("auth0|dave"), json=totp) as response:
        assert response.status == 201
        assert "totp_secret" not in await response.json()


async def test_duplicate_phone_is_409(client: aiohttp.ClientSession) -> None:
    duplicate = {"type": "phone", "phone_number": "+44207183875044"}
    async with client.post(path("auth0|alice"), json=duplicate) as response:
        assert response.status == 409
        assert (await response.json())["message"] == "Authentication method already exists."


async def test_same_totp_secret_is_409_but_a_new_secret_is_not(
    client: aiohttp.ClientSession,
) -> None:
    same = {"type": "totp", "totp_secret": "JBSWY3DPEHPK3PXP"}
    async with client.post(path("auth0|alice"), json=same) as response:
        assert response.status == 409
    other = {"type": "totp", "totp_secret": "GEZDGNBVGY3TQOJQ"}
    async with client.post(path("auth0|alice"), json=other) as response:
        assert response.status == 201


@pytest.mark.parametrize(
    "body",
    [
        {"type": "webauthn_roaming", "key_id": "k", "public_key": "cA=="},
        {"type": "push"},
        {"type": "phone", "phone_number": "+14155550100", "color": "red"},
        {"type": "phone", "phone_number": "1"},
        {"type": "totp", "totp_secret": "not base32!"},
        {"type": "phone", "phone_number": "+14155550100", "name": "x" * 21},
        {"type": "phone", "phone_number": "+14155550100", "name": ""},
        {"type": "phone", "phone_number": "+14155550100", "totp_secret": "ABC"},
        {"type": "email"},
        {"name": "no type"},
        ["not", "an", "object"],
    ],
)
async def test_invalid_create_body_is_400(client: aiohttp.ClientSession, body: Any) -> None:
    async with client.post(path("auth0|dave"), json=body) as response:
        assert response.status == 400
        assert (await response.json())["statusCode"] == 400


async def test_create_beyond_the_entity_limit_is_403(emu: emulator.Emulator) -> None:
    limited = emulator.Config(entity_limits={"phone": 1})
    async with (
        emulator.Emulator(limited, emu.state) as other,
        aiohttp.ClientSession(base_url=other.url) as session,
    ):
        headers = {"Authorization": f"Bearer {other.issue_token()}"}
        async with session.post(path("auth0|dave"), json=PHONE, headers=headers) as response:
            assert response.status == 201
        second = {"type": "phone", "phone_number": "+14155550101"}
        async with session.post(path("auth0|dave"), json=second, headers=headers) as response:
            assert response.status == 403
            body = await response.json()
    assert body["message"] == "You reached the limit of entities of this type for this user."


async def test_create_for_unknown_user_is_404(client: aiohttp.ClientSession) -> None:
    async with client.post(path("auth0|nobody"), json=PHONE) as response:
        assert response.status == 404


async def test_put_overwrites_push_and_recovery_code_with_new_ids_and_echoes_values(
    client: aiohttp.ClientSession, tenant: emulator.State
) -> None:
    before = {m["id"] for m in tenant.methods_of("auth0|bob")}
    items = [
        {"type": "phone", "phone_number": "+14155550123", "name": "Phone"},
        {"type": "email", "email": "bob@example.com"},
        {"type": "totp", "totp_secret": "GEZDGNBVGY3TQOJQ"},
    ]
    async with client.put(path("auth0|bob"), json=items) as response:
        assert response.status == 200
        answer = await response.json()
    assert [m.get("phone_number") or m.get("email") for m in answer[:2]] == [
        "+14155550123",
        "bob@example.com",
    ]
    assert "totp_secret" not in answer[2]
    after = tenant.methods_of("auth0|bob")
    assert [m["type"] for m in after] == ["phone", "email", "totp"]
    assert not before & {m["id"] for m in after}


@pytest.mark.parametrize(
    "body",
    [
        {"type": "phone", "phone_number": "+14155550123"},
        [{"type": "webauthn-roaming", "key_id": "k", "public_key": "cA=="}],
        [{"type": "phone", "phone_number": "+14155550123", "extra": 1}],
    ],
)
async def test_put_accepts_only_an_array_of_phone_email_totp(
    client: aiohttp.ClientSession, body: Any
) -> None:
    async with client.put(path("auth0|bob"), json=body) as response:
        assert response.status == 400


async def test_put_and_delete_all_are_403_for_a_passkey_user(
    client: aiohttp.ClientSession, tenant: emulator.State
) -> None:
    message = "Operation not permitted when the user has registered at least 1 passkey"
    async with client.put(path("auth0|carol"), json=[PHONE]) as response:
        assert response.status == 403
        assert (await response.json())["message"] == message
    async with client.delete(path("auth0|carol")) as response:
        assert response.status == 403
    assert len(tenant.methods_of("auth0|carol")) == 2


async def test_patch_changes_name_and_preferred_method_only(
    client: aiohttp.ClientSession, tenant: emulator.State
) -> None:
    phone_id = tenant.methods_of("auth0|alice")[0]["id"]
    change = {"name": "Mobile", "preferred_authentication_method": "voice"}
    async with client.patch(path("auth0|alice", phone_id), json=change) as response:
        assert response.status == 200
        patched = await response.json()
    assert (patched["name"], patched["preferred_authentication_method"]) == ("Mobile", "voice")
    assert patched["phone_number"] == "XXXXXXXXXXX5044"
    for forbidden in ({"phone_number": "+14155550000"}, {"totp_secret": "ABC"}, {"type": "x"}):
        async with client.patch(path("auth0|alice", phone_id), json=forbidden) as response:
            assert response.status == 400
    assert tenant.methods_of("auth0|alice")[0]["phone_number"] == "+44207183875044"


async def test_delete_one_is_204_with_an_empty_body(
    client: aiohttp.ClientSession, tenant: emulator.State
) -> None:
    phone_id = tenant.methods_of("auth0|alice")[0]["id"]
    async with client.delete(path("auth0|alice", phone_id)) as response:
        assert response.status == 204
        assert await response.read() == b""
    assert [m["type"] for m in tenant.methods_of("auth0|alice")] == ["email", "totp"]
    async with client.delete(path("auth0|alice", phone_id)) as response:
        assert response.status == 404


async def test_deleting_a_linked_method_deletes_its_partner(
    client: aiohttp.ClientSession, tenant: emulator.State
) -> None:
    async with client.delete(path("auth0|bob", "push|dev_bobpush")) as response:
        assert response.status == 204
    assert [m["type"] for m in tenant.methods_of("auth0|bob")] == ["recovery-code", "phone"]


async def test_delete_all_is_204_and_records_the_user_as_emptied(
    client: aiohttp.ClientSession, tenant: emulator.State
) -> None:
    async with client.delete(path("auth0|alice")) as response:
        assert response.status == 204
    assert tenant.methods_of("auth0|alice") == []
    assert tenant.users_emptied_after_having() == {"auth0|alice"}


async def test_invalid_json_body_is_400(client: aiohttp.ClientSession) -> None:
    async with client.post(path("auth0|dave"), data=b"{not json") as response:
        assert response.status == 400
