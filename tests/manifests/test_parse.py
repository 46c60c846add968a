"""What a valid manifest becomes: normal forms, defaults, positions and warnings."""

from __future__ import annotations

from pydantic import SecretStr

from mfasync import manifests, models

HEAD = "version: 1\nusers:\n  - user_id: 'auth0|a'\n    methods:\n"


def _methods(text: str) -> tuple[models.DesiredMethod, ...]:
    result = manifests.parse(HEAD + text, "t.yaml", base_dir="/m")
    assert result.errors == ()
    (user,) = result.users
    return user.methods


def test_phone_is_stored_in_e164_form_with_sms_made_explicit() -> None:
    (method,) = _methods("      - {type: phone, phone_number: '+1 (415) 555-0142'}\n")
    assert method.phone_number == "+14155550142"
    assert method.preferred_authentication_method is models.PreferredMethod.SMS


def test_unquoted_phone_number_is_read_as_written_not_as_an_integer() -> None:
    (method,) = _methods("      - {type: phone, phone_number: +14155550142}\n")
    assert method.phone_number == "+14155550142"


def test_voice_is_kept() -> None:
    (method,) = _methods(
        "      - {type: phone, phone_number: '+14155550142', "
        "preferred_authentication_method: voice}\n"
    )
    assert method.preferred_authentication_method is models.PreferredMethod.VOICE


def test_pinned_phone_gets_no_default_preferred_method() -> None:
    (method,) = _methods("      - {type: phone, id: 'phone|dev_1', name: Mobile}\n")
    assert (method.id, method.name, method.preferred_authentication_method) == (
        "phone|dev_1",
        "Mobile",
        None,
    )
    assert method.pinned


def test_email_factor_domain_is_lower_cased() -> None:
    (method,) = _methods("      - {type: email, email: Alice@Example.COM}\n")
    assert method.email == "Alice@example.com"


def test_totp_reference_is_recorded_not_resolved_with_the_manifest_folder() -> None:
    (method,) = _methods("      - {type: totp, totp_secret: '${file:s.json#alice}'}\n")
    assert method.totp_secret == models.SecretSource(
        reference="${file:s.json#alice}", base_dir="/m"
    )


def test_inline_base32_is_normalised_and_warned_about() -> None:
    text = HEAD + "      - {type: totp, totp_secret: 'jbsw y3dp ehpk 3pxp===='}\n"
    result = manifests.parse(text, "t.yaml", base_dir="/m")
    (method,) = result.users[0].methods
    assert method.totp_secret is not None
    assert method.totp_secret.value == SecretStr("JBSWY3DPEHPK3PXP")
    assert [(w.line, w.column, w.message) for w in result.warnings] == [
        (
            5,
            35,
            "inline TOTP secret: keep seeds out of Git with a reference "
            "(${env:NAME} or ${file:path#key})",
        )
    ]


def test_otpauth_uri_secret_is_extracted() -> None:
    (method,) = _methods(
        "      - type: totp\n"
        "        totp_secret: 'otpauth://totp/A:b@example.com?secret=jbswy3dpehpk3pxp&digits=6'\n"
    )
    assert method.totp_secret is not None
    assert method.totp_secret.value == SecretStr("JBSWY3DPEHPK3PXP")


def test_webauthn_roaming_alias_becomes_the_hyphenated_type() -> None:
    (method,) = _methods(
        "      - {type: webauthn_roaming, key_id: k1, public_key: 'AAAA', "
        "relying_party_identifier: Login.Example.com}\n"
    )
    assert method.type is models.MethodType.WEBAUTHN_ROAMING
    assert method.relying_party_identifier == "login.example.com"


def test_method_and_user_carry_their_source_location() -> None:
    result = manifests.parse(HEAD + "      - {type: totp, id: 'totp|x'}\n", "f.yaml")
    user = result.users[0]
    assert str(user.source) == "f.yaml:3:5"
    assert str(user.methods[0].source) == "f.yaml:5:9"


def test_defaults_apply_and_users_override_them() -> None:
    text = (
        "version: 1\ndefaults: {prune: none, ignore: [name]}\nusers:\n"
        "  - {user_id: a, methods: []}\n"
        "  - {user_id: b, prune: managed, ignore: [], methods: []}\n"
    )
    a, b = manifests.parse(text, "t.yaml").users
    assert (a.prune, a.ignore) == (models.Prune.NONE, frozenset({models.IgnorableField.NAME}))
    assert (b.prune, b.ignore) == (models.Prune.MANAGED, frozenset())


def test_email_user_is_normalised() -> None:
    text = "version: 1\nusers:\n  - {email: Bob@Example.COM, methods: []}\n"
    (user,) = manifests.parse(text, "t.yaml").users
    assert user.key == "email:Bob@example.com"


def test_empty_methods_under_managed_prune_is_warned_about() -> None:
    text = "version: 1\nusers:\n  - user_id: a\n    methods: []\n"
    result = manifests.parse(text, "t.yaml")
    assert [(w.line, w.column, w.message) for w in result.warnings] == [
        (
            4,
            14,
            "methods: [] under prune: managed deletes every phone, email, totp and "
            "webauthn-roaming method this user has",
        )
    ]


def test_empty_methods_under_prune_none_is_not_warned_about() -> None:
    text = "version: 1\nusers:\n  - user_id: a\n    prune: none\n    methods: []\n"
    assert manifests.parse(text, "t.yaml").problems == ()


def test_email_factor_beside_another_factor_is_warned_about() -> None:
    result = manifests.parse(
        HEAD
        + "      - {type: phone, phone_number: '+14155550142'}\n"
        + "      - {type: email, email: a@example.com}\n",
        "t.yaml",
    )
    assert [(w.line, w.column, w.message) for w in result.warnings] == [
        (
            6,
            9,
            "an email method beside other methods: Auth0 offers email at login only when the "
            "user has no other factor",
        )
    ]


def test_email_factor_alone_is_not_warned_about() -> None:
    result = manifests.parse(HEAD + "      - {type: email, email: a@example.com}\n", "t.yaml")
    assert result.problems == ()


def test_empty_users_list_is_a_valid_manifest() -> None:
    result = manifests.parse("version: 1\nusers: []\n", "t.yaml")
    assert (result.users, result.problems) == ((), ())


def test_anchors_and_aliases_are_followed() -> None:
    text = (
        "version: 1\nusers:\n"
        "  - {user_id: a, methods: [&phone {type: phone, phone_number: '+14155550142'}]}\n"
        "  - {user_id: b, methods: [*phone]}\n"
    )
    a, b = manifests.parse(text, "t.yaml").users
    assert a.methods == b.methods


def test_prune_owned_is_read_from_defaults_and_from_a_user() -> None:
    text = (
        "version: 1\ndefaults: {prune: owned}\nusers:\n"
        "  - {user_id: a, methods: []}\n"
        "  - {user_id: b, prune: owned, methods: []}\n"
        "  - {user_id: c, prune: managed, methods: []}\n"
    )
    result = manifests.parse(text, "t.yaml")
    assert [u.prune for u in result.users] == [
        models.Prune.OWNED,
        models.Prune.OWNED,
        models.Prune.MANAGED,
    ]
    # Only `managed` deletes every undeclared method: `owned` gets no `methods: []` warning.
    assert [(w.line, w.severity) for w in result.warnings] == [(6, "warning")]
