"""Integration claim: against a small bucket over real sockets, the governor keeps 429s rare."""

from __future__ import annotations

from pydantic import SecretStr

from mfasync import api, emulator, models, secretrefs, settings
from mfasync.executing import RateGovernor, plan_users


async def test_a_read_run_against_a_small_bucket_meets_few_429s() -> None:
    state = emulator.State(random_seed=5)
    users = [f"auth0|reader{index:03d}" for index in range(150)]
    emulator.seed_mapping(state, {"users": [{"user_id": user, "methods": []} for user in users]})
    config = emulator.Config(rate_limit=emulator.RateLimit(burst=5, per_s=200.0))
    run = settings.RunSettings(rate=settings.RateSettings(max_rps=2000.0, concurrency=16))
    governor = RateGovernor(run.rate)
    async with emulator.Emulator(config, state) as emu:
        connection = settings.ConnectionSettings(
            domain=emu.url, client_id=emu.client_id, client_secret=SecretStr(emu.client_secret)
        )
        async with api.Client(connection, hooks=governor) as client:
            plan = await plan_users(
                [models.DesiredUser(user_id=user) for user in users],
                backend=client,
                policy=models.Policy(),
                settings=run,
                resolver=secretrefs.Resolver({}),
                governor=governor,
            )
    assert plan.summary.errors == 0
    assert governor.requests >= 150
    assert governor.rate_limited <= 0.05 * governor.requests
    assert governor.in_flight == 0
