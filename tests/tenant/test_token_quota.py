"""The token endpoint's own quota: 429 "Client quota exceeded" with Retry-After is waited out
within the budget, one token request at a time; beyond the budget, one line."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path

from pydantic import SecretStr

from mfasync import api, emulator, models, settings
from tests.tenant.conftest import Runner, seeded

TOKEN_429 = ("POST", "/oauth/token", 429)
TOKEN_200 = ("POST", "/oauth/token", 200)


def _spend_a_token(emu: emulator.Emulator) -> None:
    """Another job of the same client takes the quota's only token first."""
    body = {
        "grant_type": "client_credentials",
        "client_id": emu.client_id,
        "client_secret": emu.client_secret,
        "audience": emu.audience,
    }
    request = urllib.request.Request(
        f"{emu.url}/oauth/token",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_a_token_quota_429_is_waited_out_and_the_run_succeeds(manifest: Path, run: Runner) -> None:
    config = emulator.Config(token_quota=emulator.RateLimit(burst=1, per_s=1.0))
    with emulator.run_in_thread(config, seeded()) as emu:
        _spend_a_token(emu)
        result = run.against(emu, "plan", str(manifest), "--concurrency", "8")
        snapshot = emu.stats.snapshot()
    assert result.exit_code == 0, result.output
    assert "Plan: 1 to create" in result.stdout
    assert snapshot.get(TOKEN_429, 0) >= 1
    assert snapshot[TOKEN_200] == 2  # ours and the other job's: one fetch, shared by all workers


def test_a_quota_that_asks_for_longer_than_the_budget_is_one_line(
    manifest: Path, run: Runner
) -> None:
    config = emulator.Config(token_quota=emulator.RateLimit(burst=1, per_s=0.001))
    with emulator.run_in_thread(config, seeded()) as emu:
        _spend_a_token(emu)
        result = run.against(emu, "plan", str(manifest))
        snapshot = emu.stats.snapshot()
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "the token endpoint's quota is exhausted (429 Client quota exceeded)" in result.stderr
    assert "try again later" in result.stderr
    assert snapshot[TOKEN_429] == 1  # no storm of token requests
    assert emu.client_secret not in result.output


class _SlowGovernor:
    """Holds every request back longer than the token's remaining life (a 429 storm would)."""

    def __init__(self) -> None:
        self.calls = 0

    async def before_request(self, method: str, path: str) -> None:
        self.calls += 1
        await asyncio.sleep(0.8)

    def after_response(
        self, status: int, rate_limit: models.RateLimit, method: str, path: str
    ) -> None:
        pass


async def test_a_token_that_aged_while_the_governor_held_the_request_is_replaced() -> None:
    config = emulator.Config(token_ttl_s=1.0)  # stale for the client after 0.5 s
    async with emulator.Emulator(config, seeded()) as emu:
        connection = settings.ConnectionSettings(
            domain=emu.url, client_id=emu.client_id, client_secret=SecretStr(emu.client_secret)
        )
        hooks = _SlowGovernor()
        async with api.Client(connection, hooks=hooks) as client:
            assert await client.list_methods("auth0|alice") == ()
        snapshot = emu.stats.snapshot()
    assert hooks.calls == 1  # no 401, so no second send
    assert snapshot[TOKEN_200] == 2  # the one fetched first, and the one the request carried
    assert not any(status == 401 for (_, _, status) in snapshot)
