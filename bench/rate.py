"""Benchmark 1, rate-limit efficiency: how close `mfasync apply` runs to the tenant's limit.

The emulator's token bucket (burst B, refill R per second) is the only limit: `--max-rps` is set far
above it. Every user needs exactly one list and one create (each has a push method, so no PUT may
be planned), so the requests served are known in advance. The ideal wall time of any client is
(requests served - B) / R: the burst is free, everything else waits for refill. Targets: wall time
<= 1.10 x ideal, 429s <= 2% of the requests sent. What it must not do: count requests itself (the
emulator's counters are the referee).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench import harness, tenant
from mfasync import emulator

#: (users, burst, refill per second): the two points of the brief.
POINTS = ((300, 10, 50.0), (100, 50, 16.0))
MAX_RPS = 1000.0  # far above both limits: the tenant's bucket, not the cap, must be the limit
CONCURRENCY = 16
WALL_TARGET = 1.10
LIMITED_TARGET = 0.02


def _seed(users: int) -> emulator.State:
    state = emulator.State(random_seed=7)
    emulator.seed_mapping(
        state,
        {
            "users": [
                {"user_id": f"auth0|rate{i:05d}", "methods": [{"type": "push", "name": "Guardian"}]}
                for i in range(users)
            ]
        },
    )
    return state


def run_point(users: int, burst: int, per_s: float) -> list[harness.Row]:
    case = f"{users} users, bucket {burst} @ {per_s:g}/s"
    config = emulator.Config(rate_limit=emulator.RateLimit(burst=burst, per_s=per_s))
    with tempfile.TemporaryDirectory() as folder:
        manifest = tenant.write_manifest(
            Path(folder) / "users.yaml",
            (
                tenant.phone_user(f"auth0|rate{i:05d}", f"+1415555{i:04d}", "Mobile")
                for i in range(users)
            ),
        )
        with emulator.run_in_thread(config, _seed(users)) as emu:
            run = tenant.run_cli(
                [
                    "-q",
                    "apply",
                    str(manifest),
                    "--yes",
                    "--max-rps",
                    str(MAX_RPS),
                    "--concurrency",
                    str(CONCURRENCY),
                    *tenant.connection_args(emu),
                ]
            )
            counts = tenant.api_counts(emu.stats)
    served = counts["list"] + counts["post"] + counts["put"] + counts["patch"] + counts["delete"]
    sent = served + counts["429"]
    ideal = max(served - burst, 0) / per_s
    ratio = run.seconds / ideal if ideal else float("inf")
    share = counts["429"] / sent if sent else 0.0
    expected = 2 * users
    ok_run = run.code == 0 and served == expected and counts["put"] == 0
    note = (
        f"served {served} (expected {expected}: {users} lists + {users} creates), "
        f"{counts['429']} answered 429, exit {run.code}"
    )
    return [
        harness.Row(
            "rate",
            case,
            "wall / ideal",
            f"{ratio:.3f} ({run.seconds:.2f} s / {ideal:.2f} s)",
            f"<= {WALL_TARGET:.2f}",
            ok_run and ratio <= WALL_TARGET,
            note,
        ),
        harness.Row(
            "rate",
            case,
            "429s / requests",
            f"{share:.2%} ({counts['429']}/{sent})",
            f"<= {LIMITED_TARGET:.0%}",
            ok_run and share <= LIMITED_TARGET,
        ),
    ]


def run(*, quick: bool) -> list[harness.Row]:
    # The points are small already (about 12 s and 9 s); --quick keeps them, since a smaller run
    # would measure the start-up more than the steady pace.
    rows: list[harness.Row] = []
    for users, burst, per_s in POINTS:
        harness.say(f"rate: {users} users, bucket {burst} at {per_s:g}/s")
        rows += run_point(users, burst, per_s)
    return rows
