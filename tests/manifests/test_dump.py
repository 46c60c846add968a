"""dump_users: stable, quoted where YAML would misread, secret-free, and parses back equal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from mfasync import manifests, models
from mfasync.manifests import dumping

EXAMPLE = """\
version: 1
users:
  - user_id: "auth0|alice"
    methods:
      - type: phone
        name: Work phone
        phone_number: "+14155550142"
      - type: phone
        phone_number: "+442079460123"
        preferred_authentication_method: voice
      - type: totp
        id: "totp|dev_1"
        name: "yes"
      - type: totp
        name: App
        totp_secret: "${file:secrets.json#alice}"
      - type: webauthn-roaming
        key_id: k1
        public_key: "AAAA+/=="
        relying_party_identifier: example.com
  - email: bob@example.com
    prune: none
    ignore: [name, preferred_authentication_method]
    methods:
      - type: email
        email: bob@example.com
  - user_id: carol
    methods: []
"""


def test_dump_writes_stable_key_order_and_quotes_only_what_yaml_would_misread() -> None:
    users = manifests.parse(EXAMPLE, "t.yaml", base_dir="/m").users
    assert manifests.dump_users(users) == EXAMPLE


def test_dump_output_parses_back_to_equal_users() -> None:
    users = manifests.parse(EXAMPLE, "t.yaml", base_dir="/m").users
    again = manifests.parse(manifests.dump_users(users, comment="x"), "u.yaml", base_dir="/m")
    assert again.users == users
    assert again.errors == ()


def test_comment_lines_come_first() -> None:
    text = manifests.dump_users([], comment="Exported by mfasync\nfrom tenant x")
    assert text == "# Exported by mfasync\n# from tenant x\nversion: 1\nusers: []\n"


def test_totp_without_reference_is_refused_so_no_seed_is_ever_written() -> None:
    user = models.DesiredUser(
        user_id="a",
        methods=(
            models.DesiredMethod(
                type=models.MethodType.TOTP,
                totp_secret=models.SecretSource(value=SecretStr("JBSWY3DPEHPK3PXP")),
            ),
        ),
    )
    with pytest.raises(ValueError, match="without a secret reference"):
        manifests.dump_users([user])


def test_pinned_method_is_written_as_type_id_and_name_only() -> None:
    user = models.DesiredUser(
        user_id="a",
        methods=(
            models.DesiredMethod(
                type=models.MethodType.PHONE,
                id="phone|dev_1",
                name="Mobile",
                preferred_authentication_method=models.PreferredMethod.VOICE,
            ),
        ),
    )
    assert manifests.dump_users([user]).endswith(
        '      - type: phone\n        id: "phone|dev_1"\n        name: Mobile\n'
    )


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "No",
        "null",
        "~",
        "123",
        "1e3",
        "0x1f",
        "+1415",
        "auth0|x",
        "a: b",
        "a #b",
        "-x",
        "",
        " lead",
        "trail ",
        "@at",
        "*star",
        "&amp",
        "!tag",
        "%p",
        "'q",
        '"d',
        "{x}",
        "[x]",
        "2024-01-01",
        ".inf",
        "line\nbreak",
        "tab\tin",
        "nel\x85",
        "uni\u2028",
        "é",
        "\x7f",
    ],
)
def test_quote_reads_back_as_the_same_string(text: str) -> None:
    import yaml

    assert yaml.safe_load(f"k: {dumping.quote(text)}") == {"k": text}


@given(st.text(max_size=40))
def test_quote_reads_back_as_the_same_string_for_any_text(text: str) -> None:
    import yaml

    assert yaml.safe_load(f"k: {dumping.quote(text)}") == {"k": text}
