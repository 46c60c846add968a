"""Fixtures: a seeded tenant, a running emulator on a real socket, and an authorised client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from mfasync import emulator

SEED: Mapping[str, Any] = {
    "users": [
        {
            "user_id": "auth0|alice",
            "email": "alice@example.com",
            "methods": [
                {"type": "phone", "name": "SMS", "phone_number": "+44207183875044"},
                {"type": "email", "name": "Mail", "email": "chuck334@example.com"},
                {"type": "totp", "name": "App", "totp_secret": "JBSWY3DPEHPK3PXP"},
            ],
        },
        {
            "user_id": "auth0|bob",
            "email": "bob@example.com",
            "methods": [
                {"type": "push", "name": "Guardian", "id": "push|dev_bobpush", "link_id": "L1"},
                {"type": "totp", "name": "Guardian OTP", "id": "totp|dev_bobotp", "link_id": "L1"},
                {"type": "recovery-code", "id": "recovery-code|dev_bobrc"},
                {"type": "phone", "name": "Phone", "phone_number": "+14155550123"},
            ],
        },
        {
            "user_id": "auth0|carol",
            "email": "carol@example.com",
            "methods": [
                {"type": "passkey", "name": "Laptop", "key_id": "k1", "public_key": "cGs="},
                {"type": "phone", "phone_number": "+14155550999"},
            ],
        },
        {"user_id": "auth0|dave", "email": "dave@example.com", "methods": []},
    ]
}


def path(user_id: str, method_id: str | None = None) -> str:
    """The API path for a user's methods, ids URL-encoded as clients send them."""
    base = f"/api/v2/users/{quote(user_id, safe='')}/authentication-methods"
    return base if method_id is None else f"{base}/{quote(method_id, safe='')}"


@pytest.fixture
def tenant() -> emulator.State:
    return emulator.seed_mapping(emulator.State(random_seed=7), SEED)


@pytest.fixture
def config() -> emulator.Config:
    return emulator.Config(client_secret="test-secret")


@pytest.fixture
async def emu(config: emulator.Config, tenant: emulator.State) -> AsyncIterator[emulator.Emulator]:
    async with emulator.Emulator(config, tenant) as running:
        yield running


@pytest.fixture
async def client(emu: emulator.Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    """A session rooted at the emulator, carrying a token with every scope."""
    headers = {"Authorization": f"Bearer {emu.issue_token()}"}
    async with aiohttp.ClientSession(base_url=emu.url, headers=headers) as session:
        yield session
