"""Claim: `apply` converges on a large tenant under every fault the emulator can inject at once.

500 users; 10% of API requests answered 500/503; 5% of committed writes lose their answer (the
connection is dropped after the change); a rate-limit bucket of 3 refilled at 60 per second while
the run may go at 400 (429 storms: the refill is kept well below what the client reaches on a
loaded machine, so that the storm surely happens); tokens that live two seconds. The run must
exit 0 on its own (no second run), leave exactly the declared factors, hold no method twice,
never leave a user without a factor he had, and plan nothing afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mfasync import emulator
from tests.reliability import tenant
from tests.reliability.conftest import invoke

USERS = 500


@pytest.fixture(params=[11])
def storm(request: pytest.FixtureRequest) -> Iterator[tuple[emulator.Emulator, tenant.Tenant]]:
    built = tenant.build(USERS, seed=request.param)
    config = emulator.Config(
        token_ttl_s=2.0,
        rate_limit=emulator.RateLimit(burst=3, per_s=60.0),
        faults=emulator.Faults(fail_rate=0.10, drop_rate=0.05, seed=request.param),
    )
    with emulator.run_in_thread(config, built.state(random_seed=request.param)) as emu:
        yield emu, built


@pytest.mark.slow
def test_apply_of_500_users_under_5xx_drops_429s_and_expiring_tokens_converges_in_one_run(
    storm: tuple[emulator.Emulator, tenant.Tenant], tmp_path: Path
) -> None:
    emu, built = storm
    folder = built.write_manifests(tmp_path / "manifests")
    result = invoke(emu, "apply", str(folder), "--yes", "--concurrency", "16", "--max-rps", "400")
    assert result.exit_code == 0, result.output[-3000:]
    assert "0 users failed, 0 stale." in result.stdout
    ids = built.user_ids()
    state = emu.state
    assert tenant.actual(state, ids) == tenant.expected(built)
    assert tenant.duplicates(state, ids) == {}
    assert state.users_emptied_after_having() == set()
    # Every fault really happened during the run.
    assert emu.stats.injected_failures > 0
    assert emu.stats.dropped > 0
    assert emu.stats.rate_limited > 0
    token_requests = emu.stats.total(method="POST", route="/oauth/token")
    assert token_requests > 1  # the two-second tokens expired and were replaced mid-run
    again = invoke(emu, "plan", str(folder), "--detailed-exitcode", "--max-rps", "400")
    assert again.exit_code == 0, again.output[-3000:]
    assert again.stdout.endswith(
        "Plan: 0 to create, 0 to update, 0 to delete, 0 full replaces. "
        f"{USERS} users unchanged, 0 errors.\n"
    )
