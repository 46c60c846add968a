"""Rate-limit headers and 429s, injected 5xx, and writes dropped after commit."""

from __future__ import annotations

import time

import aiohttp
import pytest

from mfasync import emulator
from tests.emulator.conftest import path


async def test_every_limited_response_carries_the_three_headers_and_429_when_empty(
    tenant: emulator.State,
) -> None:
    config = emulator.Config(rate_limit=emulator.RateLimit(burst=3, per_s=0.5))
    async with emulator.Emulator(config, tenant) as emu:
        headers = {"Authorization": f"Bearer {emu.issue_token()}"}
        async with aiohttp.ClientSession(base_url=emu.url, headers=headers) as session:
            answers = []
            for user in ("auth0|alice", "auth0|nobody", "auth0|alice", "auth0|alice"):
                async with session.get(path(user)) as response:
                    headers_seen = {k.lower(): v for k, v in response.headers.items()}
                    answers.append((response.status, headers_seen, await response.json()))
    assert [status for status, _, _ in answers] == [200, 404, 200, 429]
    assert [h["x-ratelimit-remaining"] for _, h, _ in answers] == ["2", "1", "0", "0"]
    assert {h["x-ratelimit-limit"] for _, h, _ in answers} == {"3"}
    reset = int(answers[3][1]["x-ratelimit-reset"])
    assert time.time() < reset <= time.time() + 3
    assert answers[3][2] == {
        "statusCode": 429,
        "error": "Too Many Requests",
        "message": "Global limit has been reached",
        "errorCode": "too_many_requests",
    }
    assert emu.stats.rate_limited == 1


async def test_token_endpoint_is_not_rate_limited(tenant: emulator.State) -> None:
    config = emulator.Config(rate_limit=emulator.RateLimit(burst=1, per_s=0.1))
    async with emulator.Emulator(config, tenant) as emu:
        fields = {
            "grant_type": "client_credentials",
            "client_id": emu.client_id,
            "client_secret": emu.client_secret,
            "audience": emu.audience,
        }
        async with aiohttp.ClientSession(base_url=emu.url) as session:
            for _ in range(3):
                async with session.post("/oauth/token", json=fields) as response:
                    assert response.status == 200
                    assert "x-ratelimit-limit" not in response.headers


async def test_fail_rate_answers_roughly_that_share_with_500_or_503(
    tenant: emulator.State,
) -> None:
    config = emulator.Config(faults=emulator.Faults(fail_rate=0.3, seed=1))
    async with emulator.Emulator(config, tenant) as emu:
        headers = {"Authorization": f"Bearer {emu.issue_token()}"}
        statuses = []
        async with aiohttp.ClientSession(base_url=emu.url, headers=headers) as session:
            for _ in range(200):
                async with session.get(path("auth0|alice")) as response:
                    statuses.append(response.status)
    failures = [s for s in statuses if s != 200]
    assert set(failures) == {500, 503}
    assert 30 <= len(failures) <= 90
    assert emu.stats.injected_failures == len(failures)


async def test_faults_are_reproducible_with_the_same_seed(tenant: emulator.State) -> None:
    runs = []
    for _ in range(2):
        config = emulator.Config(faults=emulator.Faults(fail_rate=0.5, seed=42))
        async with emulator.Emulator(config, tenant) as emu:
            headers = {"Authorization": f"Bearer {emu.issue_token()}"}
            async with aiohttp.ClientSession(base_url=emu.url, headers=headers) as session:
                statuses = []
                for _ in range(20):
                    async with session.get(path("auth0|alice")) as response:
                        statuses.append(response.status)
        runs.append(statuses)
    assert runs[0] == runs[1]


async def test_faults_spare_the_token_endpoint_unless_configured(
    tenant: emulator.State,
) -> None:
    config = emulator.Config(faults=emulator.Faults(fail_rate=1.0))
    async with emulator.Emulator(config, tenant) as emu:
        fields = {
            "grant_type": "client_credentials",
            "client_id": emu.client_id,
            "client_secret": emu.client_secret,
            "audience": emu.audience,
        }
        async with (
            aiohttp.ClientSession(base_url=emu.url) as session,
            session.post("/oauth/token", json=fields) as response,
        ):
            assert response.status == 200


async def test_dropped_write_is_committed_though_the_client_sees_a_disconnect(
    tenant: emulator.State,
) -> None:
    config = emulator.Config(faults=emulator.Faults(drop_rate=1.0))
    body = {"type": "phone", "phone_number": "+14155550100"}
    async with emulator.Emulator(config, tenant) as emu:
        headers = {"Authorization": f"Bearer {emu.issue_token()}"}
        async with aiohttp.ClientSession(base_url=emu.url, headers=headers) as session:
            with pytest.raises(aiohttp.ServerDisconnectedError):
                async with session.post(path("auth0|dave"), json=body) as response:
                    await response.read()
            async with session.get(path("auth0|dave")) as response:
                assert response.status == 200
    assert [m["phone_number"] for m in tenant.methods_of("auth0|dave")] == ["+14155550100"]
    assert emu.stats.dropped == 1
    route = "/api/v2/users/{user_id}/authentication-methods"
    assert emu.stats.snapshot()[("POST", route, 0)] == 1


async def test_rejected_writes_are_never_dropped(tenant: emulator.State) -> None:
    config = emulator.Config(faults=emulator.Faults(drop_rate=1.0))
    async with emulator.Emulator(config, tenant) as emu:
        headers = {"Authorization": f"Bearer {emu.issue_token()}"}
        async with (
            aiohttp.ClientSession(base_url=emu.url, headers=headers) as session,
            session.post(path("auth0|nobody"), json={"type": "push"}) as response,
        ):
            assert response.status == 400
