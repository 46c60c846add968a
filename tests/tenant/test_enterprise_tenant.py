"""Claim (issue 13, "done when"): against a tenant with a canonical domain, mixed-case emails,
a tenant bucket plus a write bucket, a token quota and masking off, plan and apply converge with
few 429s, and the outputs show no full number."""

from __future__ import annotations

from pathlib import Path

from mfasync import emulator
from tests.tenant.conftest import Runner, seeded

USERS = 40
CANONICAL = "acme-prod.eu.auth0.com"


def test_plan_and_apply_converge_against_an_enterprise_tenant(tmp_path: Path, run: Runner) -> None:
    config = emulator.Config(
        canonical_domain=CANONICAL,
        rate_limit=emulator.RateLimit(burst=20, per_s=300.0),
        endpoint_limits={
            "authentication-methods-write": emulator.RateLimit(5, 80.0),
            "users-by-email": emulator.RateLimit(10, 150.0),
        },
        token_quota=emulator.RateLimit(burst=1, per_s=1.0),
        masking=False,
    )
    users = []
    lines = ["version: 1", "defaults: {prune: managed}", "users:"]
    for index in range(USERS):
        users.append(
            {
                "user_id": f"auth0|e{index:03d}",
                "email": f"Person.{index:03d}@Corp.Example",  # stored in lower case
                "methods": [
                    {"type": "push", "name": "Guardian"},
                    {"type": "phone", "name": "Old", "phone_number": f"+1415555{index:04d}"},
                ],
            }
        )
        lines += [f"  - email: Person.{index:03d}@Corp.Example", "    methods:"]
        lines += [f'      - {{type: phone, name: New, phone_number: "+1415556{index:04d}"}}']
    manifest = tmp_path / "people.yaml"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    audience = ["--audience", f"https://{CANONICAL}/api/v2/"]
    with emulator.run_in_thread(config, seeded(users)) as emu:
        planned = run.against(emu, "plan", str(manifest), *audience)
        applied = run.against(emu, "apply", str(manifest), "--yes", "--force", *audience)
        again = run.against(emu, "plan", str(manifest), "--detailed-exitcode", *audience)
        limited = emu.stats.rate_limited
        api = emu.stats.total() - emu.stats.total(route="/oauth/token")
        phones = {
            method["phone_number"]
            for index in range(USERS)
            for method in emu.state.methods_of(f"auth0|e{index:03d}")
            if method["type"] == "phone"
        }
    assert planned.exit_code == 0, planned.output
    assert f"{USERS} to create" in planned.stdout
    assert applied.exit_code == 0, applied.output
    assert "0 users failed" in applied.stdout
    assert again.exit_code == 0, again.output
    assert phones == {f"+1415556{index:04d}" for index in range(USERS)}
    assert limited <= 0.05 * api, (limited, api)
    everything = planned.output + applied.output + again.output
    assert all(f"415556{index:04d}" not in everything for index in range(USERS))
    assert all(f"415555{index:04d}" not in everything for index in range(USERS))
