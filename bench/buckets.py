"""Benchmark: `mfasync apply` against a tenant-wide bucket plus a write bucket, beside one bucket.

300 users, each needing exactly one list and one create (each has a push method, so no PUT may be
planned). Two tenants: one bucket (tenant 50 burst / 20 per second), and the same tenant bucket
plus an authentication-methods write bucket (10 burst / 5 per second), whose answers carry the
headers of whichever bucket is nearest exhaustion. The ideal has two phases, as apply has: the
reads at the tenant bucket, then the writes at the tighter of the two buckets (the write phase
starts with whatever burst is left). Targets: wall <= 1.10 x ideal, 429s <= 2% of requests.
It also gives the ideal of a run whose reads overlapped its writes (not what apply does): the gain
that such a streaming apply could bring. What it must not do: count requests itself.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench import harness, rate, tenant
from mfasync import emulator

USERS = 300
TENANT = (50, 20.0)
WRITES = (10, 5.0)
WALL_TARGET = 1.10
LIMITED_TARGET = 0.02
WRITE_GROUP = "authentication-methods-write"


def _ideal_s(users: int, *, writes: tuple[int, float] | None) -> tuple[float, float]:
    """(two-phase ideal, overlapped ideal) in seconds for `users` lists then `users` creates."""
    burst, per_s = TENANT
    read_s = max(users - burst, 0) / per_s
    left = max(burst - users, 0)  # tenant tokens left for the write phase (none at 300 users)
    tenant_write_s = max(users - left, 0) / per_s
    if writes is None:
        return read_s + tenant_write_s, read_s + tenant_write_s
    write_burst, write_per_s = writes
    write_s = max(tenant_write_s, max(users - write_burst, 0) / write_per_s)
    overlapped = max(max(2 * users - burst, 0) / per_s, max(users - write_burst, 0) / write_per_s)
    return read_s + write_s, overlapped


def run_case(*, writes: tuple[int, float] | None, quick: bool) -> list[harness.Row]:
    users = 120 if quick else USERS
    case = f"{users} users, tenant {TENANT[0]} @ {TENANT[1]:g}/s" + (
        f" + writes {writes[0]} @ {writes[1]:g}/s" if writes else " (one bucket)"
    )
    config = emulator.Config(
        rate_limit=emulator.RateLimit(*TENANT),
        endpoint_limits={WRITE_GROUP: emulator.RateLimit(*writes)} if writes else {},
    )
    with tempfile.TemporaryDirectory() as folder:
        manifest = tenant.write_manifest(
            Path(folder) / "users.yaml",
            (
                tenant.phone_user(f"auth0|rate{i:05d}", f"+1415555{i:04d}", "Mobile")
                for i in range(users)
            ),
        )
        with emulator.run_in_thread(config, rate._seed(users)) as emu:
            run = tenant.run_cli(
                [
                    "-q",
                    "apply",
                    str(manifest),
                    "--yes",
                    "--max-rps",
                    str(rate.MAX_RPS),
                    "--concurrency",
                    str(rate.CONCURRENCY),
                    *tenant.connection_args(emu),
                ]
            )
            counts = tenant.api_counts(emu.stats)
    served = counts["list"] + counts["post"] + counts["put"] + counts["patch"] + counts["delete"]
    sent = served + counts["429"]
    ideal, overlapped = _ideal_s(users, writes=writes)
    ratio = run.seconds / ideal if ideal else float("inf")
    share = counts["429"] / sent if sent else 0.0
    ok_run = run.code == 0 and served == 2 * users and counts["put"] == 0
    note = (
        f"served {served} (expected {2 * users}), {counts['429']} answered 429, exit {run.code}; "
        f"ideal if reads overlapped writes: {overlapped:.1f} s"
    )
    return [
        harness.Row(
            "buckets",
            case,
            "wall / two-phase ideal",
            f"{ratio:.3f} ({run.seconds:.2f} s / {ideal:.2f} s)",
            f"<= {WALL_TARGET:.2f}",
            ok_run and ratio <= WALL_TARGET,
            note,
        ),
        harness.Row(
            "buckets",
            case,
            "429s / requests",
            f"{share:.2%} ({counts['429']}/{sent})",
            f"<= {LIMITED_TARGET:.0%}",
            ok_run and share <= LIMITED_TARGET,
        ),
    ]


def run(*, quick: bool) -> list[harness.Row]:
    rows: list[harness.Row] = []
    for writes in (None, WRITES):
        harness.say(f"buckets: tenant {TENANT}, writes {writes}")
        rows += run_case(writes=writes, quick=quick)
    return rows
