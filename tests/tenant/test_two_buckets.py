"""Claim: an apply against a tenant bucket plus a write bucket converges with few 429s."""

from __future__ import annotations

from pathlib import Path

from mfasync import emulator
from tests.tenant.conftest import Runner, seeded

USERS = 60


def _manifest(folder: Path) -> Path:
    lines = ["version: 1", "users:"]
    for index in range(USERS):
        lines += [
            f'  - user_id: "auth0|u{index:03d}"',
            "    methods:",
            f'      - {{type: phone, name: SMS, phone_number: "+1415555{index:04d}"}}',
            f"      - {{type: email, name: Mail, email: u{index:03d}@corp.example}}",
        ]
    path = folder / "users.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_apply_against_two_buckets_converges_with_few_429s(tmp_path: Path, run: Runner) -> None:
    config = emulator.Config(
        rate_limit=emulator.RateLimit(burst=20, per_s=400.0),
        endpoint_limits={"authentication-methods-write": emulator.RateLimit(5, 100.0)},
    )
    state = seeded([{"user_id": f"auth0|u{index:03d}"} for index in range(USERS)])
    manifest = _manifest(tmp_path)
    with emulator.run_in_thread(config, state) as emu:
        applied = run.against(emu, "apply", str(manifest), "--yes", "--concurrency", "8")
        assert applied.exit_code == 0, applied.output[-2000:]
        snapshot = emu.stats.snapshot()
        limited = emu.stats.rate_limited
        api = sum(count for (_, route, _), count in snapshot.items() if "/api/v2" in route)
        writes = sum(
            count
            for (method, route, status), count in snapshot.items()
            if method != "GET" and "/api/v2" in route and status != 429
        )
        again = run.against(emu, "plan", str(manifest), "--detailed-exitcode")
    assert f"{USERS} replaced" in applied.stdout
    assert again.exit_code == 0, again.output[-2000:]
    assert writes == USERS  # one PUT per user: no write was sent twice
    assert limited <= 0.05 * api, (limited, api)
