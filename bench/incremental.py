"""Benchmark 6, incremental runs (issue 12): `python -m bench.run incremental [--quick]`.

100,000 declared users (5,000 with --quick), every one in sync after a full run; then 100 of them
changed behind mfasync's back (50 through Management API writes by another client, 50 through
simulated Universal Login self-enrolments) and 200,000 login events of noise (twice the users with
--quick); the tenant's bucket is 50 burst / 16 per second. Measured: the requests and the wall time
of `drift --incremental`, and that it finds exactly the 100 drifted users. The full run's requests
are counted by the same emulator (one listing per user, and the newest log id) and its wall time
estimated from them and the bucket ((requests - burst) / refill), not waited for: 100,000 users at
16/s is 104 minutes. Targets: incremental <= 2% of the full run's requests (log pages included),
<= 3 minutes of emulated tenant time, exactly the changed users.

The setup (the first full run that fills the state and the checkpoint) runs against the same
emulated tenant without a rate limit, on the same port, so that the state's tenant is the same.
"""

from __future__ import annotations

import asyncio
import json
import socket
import tempfile
import time
from pathlib import Path

import aiohttp

from bench import harness, tenant
from mfasync import emulator

BURST, PER_S = 50, 16.0
REQUESTS_TARGET = 0.02
WALL_TARGET_S = 180.0
CHANGED_BY_API = 50
CHANGED_BY_SELF = 50


def _user(index: int) -> str:
    return f"auth0|incr{index:06d}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _seeded(users: int) -> emulator.State:
    seeded = emulator.State(random_seed=21)
    emulator.seed_mapping(
        seeded,
        {
            "users": [
                {
                    "user_id": _user(i),
                    "methods": [
                        {"type": "phone", "name": "Mobile", "phone_number": f"+14152{i:06d}"}
                    ],
                }
                for i in range(users)
            ]
        },
    )
    return seeded


async def _api_deletes(emu: emulator.Emulator, user_ids: list[str]) -> None:
    """Another client removes these users' phones through the Management API (logged as sapi)."""
    token = emu.issue_token()
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        for user_id in user_ids:
            phone = next(m for m in emu.state.methods_of(user_id) if m["type"] == "phone")
            path = f"{emu.api_url}/users/{user_id.replace('|', '%7C')}/authentication-methods"
            while True:
                async with session.delete(f"{path}/{phone['id'].replace('|', '%7C')}") as answer:
                    if answer.status != 429:
                        assert answer.status == 204, answer.status
                        break
                await asyncio.sleep(1 / PER_S)


def _lists(emu: emulator.Emulator) -> int:
    return sum(
        count
        for (method, route, status), count in emu.stats.snapshot().items()
        if method == "GET" and route.endswith("/authentication-methods") and status != 429
    )


def _served(emu: emulator.Emulator) -> tuple[int, int]:
    """(API requests answered other than 429, 429s), token requests excluded."""
    served = limited = 0
    for (_method, route, status), count in emu.stats.snapshot().items():
        if "oauth" in route:
            continue
        if status == 429:
            limited += count
        else:
            served += count
    return served, limited


def run(*, quick: bool) -> list[harness.Row]:
    users = 5_000 if quick else 100_000
    noise = 2 * users
    case = f"{users:,} users, 100 changed, {noise:,} login events, bucket {BURST} @ {PER_S:g}/s"
    port = _free_port()
    seeded = _seeded(users)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        manifest = tenant.write_manifest(
            folder / "users.yaml",
            (tenant.phone_user(_user(i), f"+14152{i:06d}", "Mobile") for i in range(users)),
        )
        state_args = ["--state", f"sqlite:///{folder / 'state' / 'state.db'}"]
        harness.say(f"incremental: setup, a full drift of {users:,} users (no rate limit)")
        with emulator.run_in_thread(emulator.Config(port=port), seeded) as emu:
            setup = tenant.run_cli(
                ["-q", "drift", str(manifest), "--full", "--max-rps", "100000", *state_args,
                 *tenant.connection_args(emu)]
            )  # fmt: skip
            full_requests = _lists(emu) + 1  # every listing, and the newest log id
        config = emulator.Config(port=port, rate_limit=emulator.RateLimit(burst=BURST, per_s=PER_S))
        with emulator.run_in_thread(config, seeded) as emu:
            step = users // (CHANGED_BY_API + CHANGED_BY_SELF)
            changed = [_user(i * step) for i in range(CHANGED_BY_API + CHANGED_BY_SELF)]
            asyncio.run(_api_deletes(emu, changed[:CHANGED_BY_API]))
            for user_id in changed[CHANGED_BY_API:]:
                emulator.simulate_enrollment(
                    emu.state,
                    user_id,
                    {"type": "totp", "name": "Own", "totp_secret": "JBSWY3DPEHPK3PXP"},
                )
            emulator.add_login_noise(emu.state, noise)
            time.sleep(BURST / PER_S)  # let the bucket refill after the other client's writes
            emu.stats.reset()
            harness.say("incremental: drift --incremental at the tenant's bucket")
            measured = tenant.run_cli(
                ["drift", str(manifest), "--incremental", "--format", "json", *state_args,
                 *tenant.connection_args(emu)]
            )  # fmt: skip
            served, limited = _served(emu)
    document = json.loads(measured.stdout) if measured.stdout.strip() else {"users": []}
    drifted = sorted(u["user_id"] for u in document["users"] if u["status"] == "drift")
    exact = drifted == sorted(changed)
    share = served / full_requests if full_requests else 0.0
    full_wall = max(full_requests - BURST, 0) / PER_S
    return [
        harness.Row(
            "incremental", case, "drifted users found", f"{len(drifted)} (exactly the changed: "
            f"{'yes' if exact else 'no'})", "the 100 changed", exact and setup.code == 0,
            f"setup exit {setup.code}, incremental exit {measured.code} (2: drift)",
        ),
        harness.Row(
            "incremental", case, "requests, incremental / full", f"{share:.2%} ({served:,} / "
            f"{full_requests:,})", f"<= {REQUESTS_TARGET:.0%}", share <= REQUESTS_TARGET,
            f"{limited} answered 429; log pages are {noise // 100:,} of them at take=100",
        ),
        harness.Row(
            "incremental", case, "wall time, incremental", f"{measured.seconds:.0f} s",
            f"<= {WALL_TARGET_S:.0f} s", measured.seconds <= WALL_TARGET_S,
            f"full run estimated at {full_wall / 60:.0f} min from its {full_requests:,} requests",
        ),
    ]  # fmt: skip
