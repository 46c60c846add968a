"""Rate limits as a real tenant has them: headers always, tenant + endpoint buckets, token quota."""

from __future__ import annotations

import time

import aiohttp
import pytest

from mfasync import emulator
from mfasync.emulator import config, ratelimit
from tests.emulator.conftest import path
from tests.emulator.test_ratelimit import FakeClock

RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
WRITES = "authentication-methods-write"


def test_the_tenant_bucket_is_checked_first_and_the_nearest_to_exhaustion_is_shown() -> None:
    clock = FakeClock(1000.0)
    buckets = ratelimit.Buckets(
        config.RateLimit(burst=5, per_s=0.001),
        {WRITES: config.RateLimit(burst=2, per_s=0.001)},
        clock=clock,
    )
    read = buckets.take("authentication-methods-read")
    assert (read.allowed, read.limit, read.remaining) == (True, 5, 4)
    first_write = buckets.take(WRITES)
    assert (first_write.allowed, first_write.limit, first_write.remaining) == (True, 2, 1)
    second_write = buckets.take(WRITES)
    assert (second_write.allowed, second_write.limit, second_write.remaining) == (True, 2, 0)
    refused = buckets.take(WRITES)
    assert (refused.allowed, refused.limit) == (False, 2)
    # The tenant bucket still has tokens for reads, and it is the one shown to them.
    assert (buckets.take(None).allowed, buckets.take(None).remaining) == (True, 0)
    refused_by_tenant = buckets.take(WRITES)
    assert (refused_by_tenant.allowed, refused_by_tenant.limit) == (False, 5)


def test_a_tenant_bucket_lower_than_the_endpoint_bucket_is_the_one_shown() -> None:
    buckets = ratelimit.Buckets(
        config.RateLimit(burst=3, per_s=0.001),
        {WRITES: config.RateLimit(burst=10, per_s=0.001)},
        clock=FakeClock(0.0),
    )
    verdict = buckets.take(WRITES)
    assert (verdict.limit, verdict.remaining) == (3, 2)


async def test_a_default_emulator_sends_the_three_headers_on_every_api_answer(
    tenant: emulator.State,
) -> None:
    async with emulator.Emulator(emulator.Config(), tenant) as emu:
        token = {"Authorization": f"Bearer {emu.issue_token()}"}
        async with aiohttp.ClientSession(base_url=emu.url) as session:
            statuses = []
            for user, headers in (("auth0|alice", token), ("auth0|nobody", token), ("x", {})):
                async with session.get(path(user), headers=headers) as response:
                    statuses.append(response.status)
                    assert all(name in response.headers for name in RATE_HEADERS)
                    limit = int(response.headers["x-ratelimit-limit"])
                    assert limit == emulator.DEFAULT_RATE_LIMIT.burst
    assert statuses == [200, 404, 401]


async def test_writes_meet_their_own_bucket_and_reads_the_tenant_bucket(
    tenant: emulator.State,
) -> None:
    cfg = emulator.Config(
        rate_limit=emulator.RateLimit(burst=50, per_s=0.01),
        endpoint_limits={WRITES: emulator.RateLimit(burst=2, per_s=0.01)},
    )
    async with emulator.Emulator(cfg, tenant) as emu:
        headers = {"Authorization": f"Bearer {emu.issue_token()}"}
        async with aiohttp.ClientSession(base_url=emu.url, headers=headers) as session:
            seen = []
            for number in ("+14155550101", "+14155550102", "+14155550103"):
                body = {"type": "phone", "phone_number": number}
                async with session.post(path("auth0|dave"), json=body) as response:
                    seen.append((response.status, response.headers["x-ratelimit-limit"]))
                    last_body = await response.json()
            async with session.get(path("auth0|dave")) as response:
                seen.append((response.status, response.headers["x-ratelimit-limit"]))
    assert seen == [(201, "2"), (201, "2"), (429, "2"), (200, "50")]
    assert last_body == {
        "statusCode": 429,
        "error": "Too Many Requests",
        "message": "Global limit has been reached",
        "errorCode": "too_many_requests",
    }
    assert len(emu.state.methods_of("auth0|dave")) == 2


async def test_users_by_email_can_have_a_bucket_of_its_own(tenant: emulator.State) -> None:
    cfg = emulator.Config(endpoint_limits={"users-by-email": emulator.RateLimit(1, 0.01)})
    async with emulator.Emulator(cfg, tenant) as emu:
        headers = {"Authorization": f"Bearer {emu.issue_token()}"}
        async with aiohttp.ClientSession(base_url=emu.url, headers=headers) as session:
            statuses = []
            for _ in range(2):
                query = {"email": "alice@example.com"}
                async with session.get("/api/v2/users-by-email", params=query) as response:
                    statuses.append(response.status)
            async with session.get(path("auth0|alice")) as response:
                statuses.append(response.status)
    assert statuses == [200, 429, 200]


async def test_the_token_endpoint_quota_answers_429_with_retry_after(
    tenant: emulator.State,
) -> None:
    cfg = emulator.Config(token_quota=emulator.RateLimit(burst=1, per_s=0.2))
    async with emulator.Emulator(cfg, tenant) as emu:
        grant = {
            "grant_type": "client_credentials",
            "client_id": emu.client_id,
            "client_secret": emu.client_secret,
            "audience": emu.audience,
        }
        async with aiohttp.ClientSession(base_url=emu.url) as session:
            async with session.post("/oauth/token", json=grant) as response:
                assert response.status == 200
            async with session.post("/oauth/token", json=grant) as response:
                assert response.status == 429
                body = await response.json()
                retry_after = int(response.headers["Retry-After"])
                reset = int(response.headers["x-ratelimit-reset"])
                assert response.headers["x-ratelimit-limit"] == "1"
                assert response.headers["x-ratelimit-remaining"] == "0"
    assert body == {"error": "too_many_requests", "error_description": "Client quota exceeded"}
    assert 1 <= retry_after <= 5
    assert reset <= time.time() + 6


def test_an_unknown_endpoint_group_is_refused_by_the_config() -> None:
    with pytest.raises(ValueError, match="unknown endpoint group 'users'"):
        emulator.Config(endpoint_limits={"users": emulator.RateLimit(1, 1.0)})
