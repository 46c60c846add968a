"""The JSON Schema: the committed copy is in sync, examples are valid, it agrees with the parser."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from mfasync import manifests
from mfasync.cli import schema_cmd

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(
    [*(ROOT / "manifests").rglob("*.yaml"), *(ROOT / "examples" / "manifests").rglob("*.yaml")]
)


def _validator() -> jsonschema.Draft202012Validator:
    schema = manifests.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_committed_schema_is_what_mfasync_schema_prints() -> None:
    committed = (ROOT / manifests.SCHEMA_FILE).read_text()
    assert committed == schema_cmd.render(), "run: mfasync schema > schema/mfasync-manifest-v1.json"


def test_schema_is_draft_2020_12() -> None:
    assert manifests.json_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_there_are_shipped_examples() -> None:
    names = {p.name for p in SHIPPED}
    assert {"engineering.yaml", "support.yaml", "03-pinned-methods.yaml"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_example_is_valid_for_the_schema_and_the_parser(path: Path) -> None:
    text = path.read_text()
    _validator().validate(yaml.safe_load(text))
    assert manifests.parse(text, str(path), base_dir=str(path.parent)).errors == ()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_example_points_editors_at_the_committed_schema(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    target = (path.parent / first.split("$schema=", 1)[1]).resolve()
    assert target == (ROOT / manifests.SCHEMA_FILE).resolve()


@pytest.mark.parametrize(
    "document",
    [
        {"version": 2, "users": []},
        {"version": 1},
        {"version": 1, "users": [], "extra": 1},
        {"version": 1, "users": [{"methods": []}]},
        {"version": 1, "users": [{"user_id": "a", "email": "a@example.com", "methods": []}]},
        {"version": 1, "users": [{"user_id": "a", "methods": [{"type": "sms"}]}]},
        {
            "version": 1,
            "users": [
                {
                    "user_id": "a",
                    "methods": [{"type": "totp", "name": None, "totp_secret": "${env:A}"}],
                }
            ],
        },
        {
            "version": 1,
            "users": [
                {
                    "user_id": "a",
                    "methods": [{"type": "phone", "id": "phone|x", "phone_number": "+14155550142"}],
                }
            ],
        },
        {
            "version": 1,
            "users": [
                {
                    "user_id": "a",
                    "methods": [
                        {
                            "type": "webauthn-roaming",
                            "keyId": "k",
                            "public_key": "AAAA",
                            "relying_party_identifier": "example.com",
                        }
                    ],
                }
            ],
        },
    ],
)
def test_schema_refuses_what_the_parser_refuses(document: dict[str, object]) -> None:
    assert list(_validator().iter_errors(document)) != []
    assert manifests.parse(json.dumps(document), "t.json").errors != ()
