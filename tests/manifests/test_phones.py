"""Phone numbers: impossible ones are errors; possible ones the metadata does not know (new or
reserved ranges such as +447700900123) are warnings, errors only under `validate --strict`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mfasync.cli.main import cli
from mfasync.manifests import phones

RESERVED = "+447700900123"  # Ofcom's range for drama: possible, never valid


def test_a_reserved_range_number_is_possible_but_doubted() -> None:
    assert phones.parse("+44 7700 900123") == RESERVED
    doubt = phones.doubt(RESERVED)
    assert doubt is not None
    assert "possible but not a known valid number" in doubt
    assert "7700" not in doubt


def test_a_valid_number_raises_no_doubt() -> None:
    assert phones.doubt(phones.parse("+14155550123")) is None


@pytest.mark.parametrize("text", ["+1415555", "4155550123", "+44 12"])
def test_what_cannot_be_a_number_is_refused(text: str) -> None:
    with pytest.raises(phones.NotANumber):
        phones.parse(text)


def _manifest(tmp_path: Path) -> Path:
    path = tmp_path / "uk.yaml"
    path.write_text(
        'version: 1\nusers:\n  - user_id: "auth0|uk"\n    methods:\n'
        f'      - {{type: phone, name: Mobile, phone_number: "{RESERVED}"}}\n',
        encoding="utf-8",
    )
    return path


def test_validate_warns_and_strict_refuses_a_possible_but_unknown_number(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    relaxed = CliRunner().invoke(cli, ["validate", str(manifest)])
    assert relaxed.exit_code == 0, relaxed.output
    assert "warning: 'phone_number' is possible but not a known valid number" in relaxed.output
    strict = CliRunner().invoke(cli, ["validate", "--strict", str(manifest)])
    assert strict.exit_code == 1
    assert RESERVED not in relaxed.output + strict.output
