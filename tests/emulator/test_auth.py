"""Tokens: the client-credentials grant (form and JSON), expiry, static tokens and scopes."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from mfasync import emulator
from tests.emulator.conftest import path


def grant(emu: emulator.Emulator, **changes: str) -> dict[str, str]:
    fields = {
        "grant_type": "client_credentials",
        "client_id": emu.client_id,
        "client_secret": emu.client_secret,
        "audience": emu.audience,
    }
    fields.update(changes)
    return fields


@pytest.mark.parametrize("encoding", ["form", "json"])
async def test_client_credentials_grant_answers_a_bearer_token(
    emu: emulator.Emulator, encoding: str
) -> None:
    async with aiohttp.ClientSession(base_url=emu.url) as session:
        kwargs = {"data": grant(emu)} if encoding == "form" else {"json": grant(emu)}
        async with session.post("/oauth/token", **kwargs) as response:  # type: ignore[arg-type]
            assert response.status == 200
            body = await response.json()
        assert sorted(body) == ["access_token", "expires_in", "scope", "token_type"]
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 86400
        assert "read:authentication_methods" in body["scope"].split()
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        async with session.get(path("auth0|alice"), headers=headers) as response:
            assert response.status == 200


async def test_wrong_secret_is_401_access_denied(emu: emulator.Emulator) -> None:
    async with (
        aiohttp.ClientSession(base_url=emu.url) as session,
        session.post("/oauth/token", json=grant(emu, client_secret="wrong")) as response,
    ):
        assert response.status == 401
        body = await response.json()
    assert body["error"] == "access_denied"
    assert "wrong" not in str(body)


async def test_wrong_audience_is_403_access_denied(emu: emulator.Emulator) -> None:
    audience = "https://tenant.example.com/api/v2/"
    async with (
        aiohttp.ClientSession(base_url=emu.url) as session,
        session.post("/oauth/token", json=grant(emu, audience=audience)) as response,
    ):
        assert response.status == 403
        assert (await response.json())["error"] == "access_denied"


async def test_missing_or_unknown_token_is_401_in_the_api_format(emu: emulator.Emulator) -> None:
    async with aiohttp.ClientSession(base_url=emu.url) as session:
        async with session.get(path("auth0|alice")) as response:
            assert response.status == 401
        headers = {"Authorization": "Bearer forged"}
        async with session.get(path("auth0|alice"), headers=headers) as response:
            assert response.status == 401
            body = await response.json()
    assert (body["statusCode"], body["error"], body["message"]) == (
        401,
        "Unauthorized",
        "Invalid token",
    )


async def test_expired_token_is_401(tenant: emulator.State) -> None:
    config = emulator.Config(token_ttl_s=1)
    async with emulator.Emulator(config, tenant) as emu:
        headers = {"Authorization": f"Bearer {emu.issue_token()}"}
        async with aiohttp.ClientSession(base_url=emu.url, headers=headers) as session:
            async with session.get(path("auth0|alice")) as response:
                assert response.status == 200
            await asyncio.sleep(1.2)
            async with session.get(path("auth0|alice")) as response:
                assert response.status == 401
                body = await response.json()
    assert body["message"] == "Expired token received for JSON Web Token validation"


async def test_missing_scope_is_403_insufficient_scope(tenant: emulator.State) -> None:
    config = emulator.Config(static_tokens={"reader": ("read:authentication_methods",)})
    async with (
        emulator.Emulator(config, tenant) as emu,
        aiohttp.ClientSession(
            base_url=emu.url, headers={"Authorization": "Bearer reader"}
        ) as session,
    ):
        async with session.get(path("auth0|alice")) as response:
            assert response.status == 200
        async with session.delete(path("auth0|alice")) as response:
            assert response.status == 403
            body = await response.json()
    assert body == {
        "statusCode": 403,
        "error": "Forbidden",
        "message": "Insufficient scope, expected any of: delete:authentication_methods",
        "errorCode": "insufficient_scope",
    }
    assert len(tenant.methods_of("auth0|alice")) == 3
