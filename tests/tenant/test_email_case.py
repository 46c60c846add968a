"""Emails as the service treats them: stored lower case for database users, case-sensitive lookup,
and manifests that compare addresses case-insensitively."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from mfasync import emulator
from tests.tenant.conftest import Runner, seeded

BY_EMAIL = ("GET", "/api/v2/users-by-email", 200)

USERS = [
    {"user_id": "auth0|five", "email": "Five@Corp.Example"},
    {"user_id": "google-oauth2|1234", "email": "Mixed.Case@corp.example"},
]

MANIFEST = """\
version: 1
users:
  - email: Five@Corp.Example
    methods:
      - {type: phone, name: SMS, phone_number: "+14155550155"}
  - email: Mixed.Case@Corp.Example
    methods:
      - {type: phone, name: SMS, phone_number: "+14155550166"}
"""


@pytest.fixture
def emu() -> Iterator[emulator.Emulator]:
    with emulator.run_in_thread(emulator.Config(), seeded(USERS)) as running:
        yield running


async def _lookup(emu: emulator.Emulator, address: str) -> list[str]:
    headers = {"Authorization": f"Bearer {emu.issue_token()}"}
    async with (
        aiohttp.ClientSession(base_url=emu.url, headers=headers) as session,
        session.get("/api/v2/users-by-email", params={"email": address}) as response,
    ):
        return [user["user_id"] for user in await response.json()]


async def test_a_database_user_is_stored_lower_case_and_looked_up_case_sensitively(
    emu: emulator.Emulator,
) -> None:
    assert await _lookup(emu, "five@corp.example") == ["auth0|five"]
    assert await _lookup(emu, "Five@Corp.Example") == []
    # Other connections keep the case their provider gave.
    assert await _lookup(emu, "Mixed.Case@corp.example") == ["google-oauth2|1234"]
    assert await _lookup(emu, "mixed.case@corp.example") == []


def test_mixed_case_manifest_emails_resolve_lower_case_first_then_as_written(
    emu: emulator.Emulator, tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = tmp_path / "users.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    result = run.against(emu, "plan", str(manifest), "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"error": null' in result.stdout
    assert "Plan: " not in result.stderr
    # One lookup for the database user (lower case found it), two for the other.
    assert emu.stats.snapshot()[BY_EMAIL] == 3


def test_the_user_filter_compares_email_addresses_case_insensitively(
    emu: emulator.Emulator, tmp_path: Path, run: Runner
) -> None:
    manifest = tmp_path / "users.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    result = run.against(emu, "plan", str(manifest), "--user", "email:FIVE@corp.example")
    assert result.exit_code == 0, result.output
    assert "Plan: 1 to create" in result.stdout
    missing = run.against(emu, "plan", str(manifest), "--user", "email:nobody@corp.example")
    assert missing.exit_code == 1
    assert "--user email:nobody@corp.example: no such user" in missing.stderr


def test_the_same_address_in_two_cases_is_a_duplicate(tmp_path: Path, run: Runner) -> None:
    for name, address in (("a.yaml", "Five@Corp.Example"), ("b.yaml", "five@corp.example")):
        (tmp_path / name).write_text(
            f"version: 1\nusers:\n  - email: {address}\n    methods: []\n", encoding="utf-8"
        )
    result = run("validate", str(tmp_path))
    assert result.exit_code == 1
    assert "is listed twice" in result.stdout


def test_a_saved_plan_still_finds_its_user_when_the_address_changes_case(
    emu: emulator.Emulator, tmp_path: Path, run: Runner
) -> None:
    manifest = tmp_path / "users.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    saved = tmp_path / "plan.json"
    planned = run.against(
        emu, "plan", str(manifest), "--user", "email:five@corp.example", "--out", str(saved)
    )
    assert planned.exit_code == 0, planned.output
    manifest.write_text(MANIFEST.replace("Five@Corp.Example", "five@corp.example"), "utf-8")
    applied = run.against(emu, "apply", str(manifest), "--plan", str(saved), "--yes")
    # Found, not "no longer in the manifests": but the edit makes it stale (safe: not applied).
    assert "1 stale" in applied.stdout
    assert "skipped" not in applied.output
    assert emu.state.methods_of("auth0|five") == []


def test_a_user_declared_by_id_and_by_email_is_an_error_for_both(
    emu: emulator.Emulator, tmp_path: Path, run: Runner
) -> None:
    manifest = tmp_path / "twice.yaml"
    manifest.write_text(
        "version: 1\nusers:\n"
        '  - user_id: "auth0|five"\n    methods:\n'
        '      - {type: phone, name: SMS, phone_number: "+14155550155"}\n'
        "  - email: FIVE@corp.example\n    methods:\n"
        '      - {type: phone, name: SMS, phone_number: "+14155550177"}\n',
        encoding="utf-8",
    )
    result = run.against(emu, "apply", str(manifest), "--yes")
    assert result.exit_code == 1
    # each entry named with its manifest place: the masked address alone tells nothing apart
    by_id, by_email = f"{manifest}:3", f"{manifest}:6"
    assert (
        f"auth0|five ({by_id}): failed: the same user as email:****@corp******** ({by_email})"
        in result.output
    )
    assert (
        f"email:****@corp******** (auth0|five, {by_email}): failed: the same user as "
        f"auth0|five ({by_id})" in result.output
    )
    assert "2 users failed" in result.stdout
    assert emu.state.methods_of("auth0|five") == []
