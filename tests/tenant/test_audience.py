"""A tenant on a custom domain: the canonical audience, `--audience` / AUTH0_AUDIENCE, the hint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from mfasync import emulator
from tests.tenant.conftest import Runner, seeded

CANONICAL = "acme-prod.eu.auth0.com"
AUDIENCE = f"https://{CANONICAL}/api/v2/"


@pytest.fixture
def custom_domain() -> Iterator[emulator.Emulator]:
    config = emulator.Config(canonical_domain=CANONICAL)
    with emulator.run_in_thread(config, seeded()) as running:
        yield running


def _grant(emu: emulator.Emulator, audience: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": emu.client_id,
        "client_secret": emu.client_secret,
        "audience": audience,
    }


async def test_a_canonical_domain_tenant_accepts_only_the_canonical_audience(
    custom_domain: emulator.Emulator,
) -> None:
    async with aiohttp.ClientSession(base_url=custom_domain.url) as session:
        own = _grant(custom_domain, f"{custom_domain.url}/api/v2/")
        async with session.post("/oauth/token", json=own) as response:
            assert response.status == 403
            assert await response.json() == {
                "error": "access_denied",
                "error_description": f"Service not enabled within domain: {own['audience']}",
            }
        async with session.post("/oauth/token", json=_grant(custom_domain, AUDIENCE)) as response:
            assert response.status == 200
            assert "access_token" in await response.json()
    assert custom_domain.audience == AUDIENCE


def test_plan_without_the_audience_fails_in_one_line_naming_the_flag(
    custom_domain: emulator.Emulator, manifest: Path, run: Runner
) -> None:
    result = run.against(custom_domain, "plan", str(manifest))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "--audience https://TENANT.REGION.auth0.com/api/v2/" in lines[0]
    assert "Service not enabled within domain" in lines[0]
    assert "Traceback" not in result.output
    assert custom_domain.client_secret not in result.output


def test_plan_with_the_audience_flag_or_variable_reads_the_tenant(
    custom_domain: emulator.Emulator, manifest: Path, run: Runner
) -> None:
    flagged = run.against(custom_domain, "plan", str(manifest), "--audience", AUDIENCE)
    assert flagged.exit_code == 0, flagged.output
    assert "Plan: 1 to create" in flagged.stdout
    from_env = run.against(custom_domain, "plan", str(manifest), env={"AUTH0_AUDIENCE": AUDIENCE})
    assert from_env.exit_code == 0, from_env.output
    assert from_env.stdout == flagged.stdout


def test_a_wrong_audience_flag_is_named_as_the_flag(
    custom_domain: emulator.Emulator, manifest: Path, run: Runner
) -> None:
    wrong = "https://acme-prod.us.auth0.com/api/v2/"
    result = run.against(custom_domain, "plan", str(manifest), "--audience", wrong)
    assert result.exit_code == 1
    assert f"the tenant refused --audience {wrong}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
