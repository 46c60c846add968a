"""Claim: a possible number the metadata does not know (+447700900123) imports, keeps its
factor, and applies, with a warning and no error."""

from __future__ import annotations

from pathlib import Path

from mfasync import emulator
from tests.tenant.conftest import Runner, seeded

RESERVED = "+447700900123"


def test_a_reserved_range_number_imports_and_applies_with_a_warning(
    tmp_path: Path, run: Runner
) -> None:
    legacy = tmp_path / "legacy.csv"
    legacy.write_text(
        f"user_id,email,type,value,name\nauth0|uk,uk@corp.example,sms,{RESERVED},Mobile\n",
        encoding="utf-8",
    )
    out = tmp_path / "migration"
    imported = run("import", "csv", str(legacy), "--out", str(out))
    assert imported.exit_code == 0, imported.output
    written = "".join(path.read_text(encoding="utf-8") for path in out.glob("*.yaml"))
    assert RESERVED in written  # the factor is kept, in the private manifest only
    with emulator.run_in_thread(emulator.Config(), seeded([{"user_id": "auth0|uk"}])) as emu:
        applied = run.against(emu, "apply", str(out), "--yes")
        live = emu.state.methods_of("auth0|uk")
    assert applied.exit_code == 0, applied.output
    assert "warning: 'phone_number' is possible but not a known valid number" in applied.stderr
    assert [method["phone_number"] for method in live] == [RESERVED]
    assert RESERVED not in imported.output + applied.output
