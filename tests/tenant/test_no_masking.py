"""A tenant with masking off: reads return full values; planning matches them by equality, and
plans, drift, exports and reports still show only the last four digits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from mfasync import emulator
from tests.tenant.conftest import Runner, seeded

NUMBER, OTHER = "+14155550123", "+14155550199"
ADDRESS = "alice.smith@corp.example"

IN_SYNC = f"""\
version: 1
users:
  - user_id: "auth0|alice"
    methods:
      - {{type: phone, name: Work phone, phone_number: "{NUMBER}"}}
      - {{type: email, name: Mail, email: {ADDRESS}}}
"""


@pytest.fixture
def emu() -> Iterator[emulator.Emulator]:
    users = [
        {
            "user_id": "auth0|alice",
            "methods": [
                {"type": "phone", "name": "Work phone", "phone_number": NUMBER},
                {"type": "email", "name": "Mail", "email": ADDRESS},
            ],
        }
    ]
    with emulator.run_in_thread(emulator.Config(masking=False), seeded(users)) as running:
        yield running


async def test_reads_return_full_values_when_masking_is_off(emu: emulator.Emulator) -> None:
    headers = {"Authorization": f"Bearer {emu.issue_token()}"}
    path = "/api/v2/users/auth0%7Calice/authentication-methods"
    async with (
        aiohttp.ClientSession(base_url=emu.url, headers=headers) as session,
        session.get(path) as response,
    ):
        listed = await response.json()
    assert [(m.get("phone_number"), m.get("email")) for m in listed] == [
        (NUMBER, None),
        (None, ADDRESS),
    ]


def test_full_values_match_by_equality_and_never_show(
    emu: emulator.Emulator, tmp_path: Path, run: Runner
) -> None:
    in_sync = tmp_path / "in-sync" / "users.yaml"
    in_sync.parent.mkdir()
    in_sync.write_text(IN_SYNC, encoding="utf-8")
    planned = run.against(emu, "plan", str(in_sync), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "0 to create, 0 to update, 0 to delete" in planned.stdout

    changed = tmp_path / "changed" / "users.yaml"
    changed.parent.mkdir()
    changed.write_text(IN_SYNC.replace(NUMBER, OTHER), encoding="utf-8")
    outputs = []
    for fmt in ("text", "json", "markdown"):
        result = run.against(emu, "plan", str(changed), "--format", fmt)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert "replace all (PUT)" in outputs[0]
    assert "...0123" in outputs[0]
    assert "...0199" in outputs[0]
    drift = run.against(emu, "drift", str(changed))
    assert drift.exit_code == 2, drift.output
    outputs.append(drift.output)
    report = tmp_path / "report.json"
    applied = run.against(emu, "apply", str(changed), "--yes", "--report", str(report))
    assert applied.exit_code == 0, applied.output
    outputs += [applied.output, report.read_text(encoding="utf-8")]
    exported = tmp_path / "exported"
    export = run.against(emu, "export", "--out", str(exported), "--user", "auth0|alice")
    assert export.exit_code == 0, export.output
    outputs.append(export.output)
    outputs += [path.read_text(encoding="utf-8") for path in exported.rglob("*.yaml")]
    everything = "\n".join(outputs)
    for secret in (NUMBER, OTHER, NUMBER[1:], OTHER[1:], ADDRESS):
        assert secret not in everything
    again = run.against(emu, "plan", str(changed), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
