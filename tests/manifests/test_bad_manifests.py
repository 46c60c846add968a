"""A corpus of bad manifests: each one yields exactly this message at exactly this place."""

from __future__ import annotations

import textwrap

import pytest

from mfasync import manifests

ALLOWED_TYPES = "allowed: phone, email, totp, webauthn-roaming"
PHONE_KEYS = "type, id, name, phone_number, preferred_authentication_method"
WEBAUTHN_KEYS = "type, id, name, key_id, public_key, relying_party_identifier"


def _user(methods: str) -> str:
    """A valid manifest around one user's `methods:` block (method lines start at line 5)."""
    return "version: 1\nusers:\n  - user_id: u1\n    methods:\n" + textwrap.indent(
        textwrap.dedent(methods), "      "
    )


CASES = [
    # -- the document ---------------------------------------------------------------------------
    ("empty", "", 1, 1, "the manifest is empty; expected a mapping with 'version: 1' and 'users'"),
    ("a list", "- a\n- b\n", 1, 1, "the manifest must be a mapping with 'version: 1' and 'users'"),
    (
        "two documents",
        "version: 1\nusers: []\n---\nversion: 1\n",
        3,
        1,
        "YAML syntax error: but found another document (expected a single document in the stream)",
    ),
    ("no version", "users: []\n", 1, 1, "missing 'version: 1' at the top level"),
    (
        "version 2",
        "version: 2\nusers: []\n",
        1,
        10,
        "unsupported version '2'; allowed: 1 (the number)",
    ),
    (
        "version as string",
        "version: '1'\nusers: []\n",
        1,
        10,
        "unsupported version '1'; allowed: 1 (the number)",
    ),
    (
        "no users",
        "version: 1\n",
        1,
        1,
        "missing 'users' (a list of users; write 'users: []' for none)",
    ),
    (
        "users a mapping",
        "version: 1\nusers: {a: 1}\n",
        2,
        8,
        "'users' must be a list of users (each item starts with '- ')",
    ),
    (
        "unknown top key",
        "version: 1\nuser: []\nusers: []\n",
        2,
        1,
        "unknown key 'user' in the top level (did you mean 'users'?); "
        "allowed: version, defaults, users",
    ),
    (
        "duplicate top key",
        "version: 1\nusers: []\nusers: []\n",
        3,
        1,
        "duplicate key 'users' in the top level (first at line 2)",
    ),
    # -- defaults -------------------------------------------------------------------------------
    (
        "defaults a list",
        "version: 1\ndefaults: []\nusers: []\n",
        2,
        11,
        "'defaults' must be a mapping with 'prune' and/or 'ignore'",
    ),
    (
        "defaults typo",
        "version: 1\ndefaults: {prun: none}\nusers: []\n",
        2,
        12,
        "unknown key 'prun' in defaults (did you mean 'prune'?); allowed: prune, ignore",
    ),
    (
        "prune all",
        "version: 1\ndefaults: {prune: all}\nusers: []\n",
        2,
        19,
        "prune must be one of managed, owned, none, not 'all'",
    ),
    (
        "ignore phone",
        "version: 1\ndefaults: {ignore: [phone_number]}\nusers: []\n",
        2,
        21,
        "cannot ignore 'phone_number'; allowed: name, preferred_authentication_method",
    ),
    (
        "ignore a string",
        "version: 1\ndefaults: {ignore: name}\nusers: []\n",
        2,
        20,
        "'ignore' must be a list of fields (name, preferred_authentication_method)",
    ),
    # -- users ----------------------------------------------------------------------------------
    (
        "user a string",
        "version: 1\nusers:\n  - auth0|a\n",
        3,
        5,
        "a user must be a mapping with 'user_id' or 'email', and 'methods'",
    ),
    (
        "no identity",
        "version: 1\nusers:\n  - methods: []\n",
        3,
        5,
        "a user needs 'user_id' or 'email'",
    ),
    (
        "both identities",
        "version: 1\nusers:\n  - {user_id: a, email: a@example.com, methods: []}\n",
        3,
        18,
        "a user has 'user_id' or 'email', not both",
    ),
    (
        "empty user_id",
        "version: 1\nusers:\n  - {user_id: '', methods: []}\n",
        3,
        15,
        "'user_id' must not be empty",
    ),
    (
        "null user_id",
        "version: 1\nusers:\n  - {user_id: , methods: []}\n",
        3,
        15,
        "'user_id' has no value",
    ),
    (
        "bad user email",
        "version: 1\nusers:\n  - {email: alice@localhost, methods: []}\n",
        3,
        13,
        "'email' is not a valid email address: The part after the @-sign is not valid. "
        "It should have a period.",
    ),
    (
        "no methods",
        "version: 1\nusers:\n  - user_id: a\n",
        3,
        5,
        "missing 'methods' (write 'methods: []' to declare that this user has no managed methods)",
    ),
    (
        "methods a mapping",
        "version: 1\nusers:\n  - user_id: a\n    methods: {type: totp}\n",
        4,
        14,
        "'methods' must be a list of methods",
    ),
    (
        "user typo",
        "version: 1\nusers:\n  - user_id: a\n    method: []\n    methods: []\n",
        4,
        5,
        "unknown key 'method' in a user (did you mean 'methods'?); "
        "allowed: user_id, email, prune, ignore, methods",
    ),
    (
        "method field on user",
        "version: 1\nusers:\n  - user_id: a\n    phone_number: x\n    methods: []\n",
        4,
        5,
        "'phone_number' is a method's field (put methods under 'methods:'); "
        "allowed in a user: user_id, email, prune, ignore, methods",
    ),
    (
        "camelCase userId",
        "version: 1\nusers:\n  - userId: a\n    methods: []\n",
        3,
        5,
        "'userId' is spelled 'user_id' (manifests use the API's snake_case field names)",
    ),
    (
        "user listed twice",
        "version: 1\nusers:\n  - {user_id: a, methods: []}\n  - {user_id: a, methods: []}\n",
        4,
        5,
        "user 'a' is listed twice: first at t.yaml:3:5",
    ),
    (
        "email user listed twice in other case",
        "version: 1\nusers:\n"
        "  - {email: Al@example.com, methods: []}\n  - {email: al@EXAMPLE.com, methods: []}\n",
        4,
        5,
        "user 'al@example.com' is listed twice: first at t.yaml:3:5",
    ),
    # -- methods --------------------------------------------------------------------------------
    (
        "method a string",
        _user("- totp\n"),
        5,
        9,
        "a method must be a mapping with 'type' and its fields",
    ),
    ("no type", _user("- name: x\n"), 5, 9, f"a method needs 'type'; {ALLOWED_TYPES}"),
    (
        "type sms",
        _user("- type: sms\n  phone_number: '+14155550142'\n"),
        5,
        15,
        f"unknown method type 'sms'; {ALLOWED_TYPES} "
        "(sms is a phone method's preferred_authentication_method)",
    ),
    (
        "type typo",
        _user("- type: totpp\n  totp_secret: ${env:X}\n"),
        5,
        15,
        f"unknown method type 'totpp' (did you mean 'totp'?); {ALLOWED_TYPES}",
    ),
    ("type push", _user("- type: push\n"), 5, 15, f"unknown method type 'push'; {ALLOWED_TYPES}"),
    (
        "unknown method key",
        _user("- type: phone\n  phone: '+14155550142'\n"),
        6,
        9,
        f"unknown key 'phone' in a phone method (did you mean 'phone_number'?); "
        f"allowed: {PHONE_KEYS}",
    ),
    (
        "field of another type",
        _user("- type: phone\n  phone_number: '+14155550142'\n  email: a@example.com\n"),
        7,
        9,
        f"'email' is not a field of a phone method; allowed in a phone method: {PHONE_KEYS}",
    ),
    (
        "duplicate method key",
        _user("- type: totp\n  totp_secret: ${env:A}\n  totp_secret: ${env:B}\n"),
        7,
        9,
        "duplicate key 'totp_secret' in a totp method (first at line 6)",
    ),
    (
        "name too long",
        _user("- type: totp\n  name: An authenticator app name\n  totp_secret: ${env:A}\n"),
        6,
        15,
        "'name' must be 1 to 20 characters, not 25",
    ),
    (
        "name a list",
        _user("- type: totp\n  name: [a]\n  totp_secret: ${env:A}\n"),
        6,
        15,
        "'name' must be a single value, not a list",
    ),
    # -- phone ----------------------------------------------------------------------------------
    (
        "phone without number",
        _user("- type: phone\n"),
        5,
        9,
        "a phone method needs 'phone_number' (E.164, e.g. \"+14155550123\") or a pinned 'id'",
    ),
    (
        "local phone number",
        _user("- type: phone\n  phone_number: 555-1234\n"),
        6,
        23,
        "'phone_number' must be an international number in E.164 form: '+', the country code and "
        'the number, e.g. "+14155550123"',
    ),
    (
        "impossible phone number",
        _user("- type: phone\n  phone_number: '+1415555'\n"),
        6,
        23,
        "'phone_number' is not a valid number for its country code (wrong length or range?); "
        'write it in E.164 form, e.g. "+14155550123"',
    ),
    (
        "preferred push",
        _user(
            "- type: phone\n  phone_number: '+14155550142'\n"
            "  preferred_authentication_method: push\n"
        ),
        7,
        42,
        "preferred_authentication_method must be one of sms, voice, not 'push'",
    ),
    (
        "preferred on totp",
        _user("- type: totp\n  totp_secret: ${env:A}\n  preferred_authentication_method: sms\n"),
        7,
        9,
        "'preferred_authentication_method' is not a field of a totp method; "
        "allowed in a totp method: type, id, name, totp_secret",
    ),
    # -- email ----------------------------------------------------------------------------------
    (
        "email factor without address",
        _user("- type: email\n"),
        5,
        9,
        "an email method needs 'email' or a pinned 'id'",
    ),
    (
        "bad email factor",
        _user("- type: email\n  email: 'a b@example.com'\n"),
        6,
        16,
        "'email' is not a valid email address: The email address contains invalid characters "
        "before the @-sign: SPACE.",
    ),
    # -- totp -----------------------------------------------------------------------------------
    (
        "totp without secret",
        _user("- type: totp\n"),
        5,
        9,
        "a totp method needs 'totp_secret' (Base32, an otpauth://totp/ URI, or a reference: "
        "${env:NAME}, ${file:relative/path} or ${file:relative/path#key}) or a pinned 'id'",
    ),
    (
        "totp not base32",
        _user("- type: totp\n  totp_secret: not-base32!\n"),
        6,
        22,
        "'totp_secret' is invalid: the TOTP secret is neither Base32 (letters A-Z and digits 2-7; "
        "spaces and '=' are ignored) nor an otpauth://totp/ URI",
    ),
    (
        "totp truncated",
        _user("- type: totp\n  totp_secret: JBSWY3DPE\n"),
        6,
        22,
        "'totp_secret' is invalid: the TOTP secret has 9 Base32 characters, a length no whole "
        "number of bytes encodes to (truncated?)",
    ),
    (
        "hotp uri",
        _user("- type: totp\n  totp_secret: 'otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP'\n"),
        6,
        22,
        "'totp_secret' is invalid: the otpauth URI is for HOTP (counter-based); Auth0 "
        "supports only TOTP (otpauth://totp/)",
    ),
    (
        "sha256 uri",
        _user(
            "- type: totp\n  totp_secret: "
            "'otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=SHA256'\n"
        ),
        6,
        22,
        "'totp_secret' is invalid: the otpauth URI asks for algorithm SHA256; Auth0 TOTP uses SHA1 "
        "only",
    ),
    (
        "8 digits uri",
        _user("- type: totp\n  totp_secret: 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=8'\n"),
        6,
        22,
        "'totp_secret' is invalid: the otpauth URI asks for 8 digits; Auth0 TOTP uses 6 digits "
        "only",
    ),
    (
        "60 s uri",
        _user(
            "- type: totp\n  totp_secret: 'otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=60'\n"
        ),
        6,
        22,
        "'totp_secret' is invalid: the otpauth URI asks for a 60-second period; Auth0 TOTP uses 30 "
        "seconds only",
    ),
    (
        "uri without secret",
        _user("- type: totp\n  totp_secret: 'otpauth://totp/x?issuer=a'\n"),
        6,
        22,
        "'totp_secret' is invalid: the otpauth URI has no secret= parameter",
    ),
    (
        "unknown reference kind",
        _user("- type: totp\n  totp_secret: ${vault:x}\n"),
        6,
        22,
        "'totp_secret' is invalid: unknown secret reference kind 'vault'; allowed forms: "
        "${env:NAME}, ${file:relative/path} or ${file:relative/path#key}",
    ),
    (
        "bad env name",
        _user("- type: totp\n  totp_secret: ${env:1X}\n"),
        6,
        22,
        "'totp_secret' is invalid: ${env:...} needs a variable name (letters, digits and _, no "
        "leading digit)",
    ),
    (
        "file escapes",
        _user("- type: totp\n  totp_secret: ${file:../secrets.yaml#a}\n"),
        6,
        22,
        "'totp_secret' is invalid: ${file:...} paths must stay inside the manifest's folder tree "
        "('..' leaves it)",
    ),
    (
        "absolute file",
        _user("- type: totp\n  totp_secret: ${file:/etc/seeds#a}\n"),
        6,
        22,
        "'totp_secret' is invalid: ${file:...} paths must be relative to the manifest's folder, "
        "not absolute",
    ),
    (
        "empty key",
        _user("- type: totp\n  totp_secret: ${file:s.json#}\n"),
        6,
        22,
        "'totp_secret' is invalid: ${file:path#key} needs a key after '#'",
    ),
    (
        "unclosed reference",
        _user("- type: totp\n  totp_secret: ${env:A\n"),
        6,
        22,
        "'totp_secret' is invalid: malformed secret reference; allowed forms: ${env:NAME}, "
        "${file:relative/path} or ${file:relative/path#key}",
    ),
    # -- webauthn-roaming -----------------------------------------------------------------------
    (
        "webauthn missing fields",
        _user("- type: webauthn-roaming\n  key_id: k\n"),
        5,
        9,
        "a webauthn-roaming method needs 'key_id', 'public_key' and 'relying_party_identifier' "
        "(missing: public_key, relying_party_identifier), or a pinned 'id'",
    ),
    (
        "camelCase keyId",
        _user(
            "- type: webauthn-roaming\n  keyId: k\n  public_key: AAAA\n"
            "  relying_party_identifier: example.com\n"
        ),
        6,
        9,
        "'keyId' is spelled 'key_id' (manifests use the API's snake_case field names)",
    ),
    (
        "public key not base64",
        _user(
            "- type: webauthn-roaming\n  key_id: k\n  public_key: a.b\n"
            "  relying_party_identifier: example.com\n"
        ),
        7,
        21,
        "'public_key' must be base64 (A-Z, a-z, 0-9, '+', '/', '-', '_', '=')",
    ),
    (
        "rp is a url",
        _user(
            "- type: webauthn-roaming\n  key_id: k\n  public_key: AAAA\n"
            "  relying_party_identifier: https://example.com\n"
        ),
        8,
        35,
        "'relying_party_identifier' must be a hostname such as example.com (no scheme, port or "
        "path)",
    ),
    # -- pinned ---------------------------------------------------------------------------------
    (
        "pinned with a value",
        _user("- type: phone\n  id: 'phone|dev_1'\n  phone_number: '+14155550142'\n"),
        7,
        9,
        "'phone_number' cannot be given beside 'id': a pinned method keeps its live value (give "
        "'type', 'id' and optionally 'name')",
    ),
    (
        "pinned id of another type",
        _user("- type: phone\n  id: 'totp|dev_1'\n"),
        6,
        13,
        "id prefix 'totp' does not match type 'phone'; a pinned phone method has an id like "
        "'phone|dev_...'",
    ),
    (
        "pinned id without prefix",
        _user("- type: totp\n  id: dev_1\n"),
        6,
        13,
        "'id' must be a live method id such as 'totp|dev_...'",
    ),
    (
        "pinned without type",
        _user("- id: 'totp|dev_1'\n"),
        5,
        9,
        f"a method needs 'type'; {ALLOWED_TYPES}",
    ),
    # -- duplicates within a user ---------------------------------------------------------------
    (
        "same phone twice",
        _user(
            "- {type: phone, phone_number: '+14155550142'}\n"
            "- {type: phone, phone_number: '+1 415 555 0142'}\n"
        ),
        6,
        9,
        "duplicate phone method: same phone_number as the method at line 5",
    ),
    (
        "same reference twice",
        _user("- {type: totp, totp_secret: '${env:A}'}\n- {type: totp, totp_secret: '${env:A}'}\n"),
        6,
        9,
        "duplicate totp method: same totp_secret reference as the method at line 5",
    ),
    (
        "same pinned id twice",
        _user("- {type: totp, id: 'totp|dev_1'}\n- {type: totp, id: 'totp|dev_1', name: x}\n"),
        6,
        9,
        "duplicate totp method: same id as the method at line 5",
    ),
    (
        "same key twice",
        _user(
            "- {type: webauthn-roaming, key_id: k, public_key: AAAA, "
            "relying_party_identifier: a.io}\n"
            "- {type: webauthn_roaming, key_id: k, public_key: BBBB, "
            "relying_party_identifier: a.io}\n"
        ),
        6,
        9,
        "duplicate webauthn-roaming method: same key_id as the method at line 5",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        pytest.param(text, line, column, message, id=name)
        for name, text, line, column, message in CASES
    ],
)
def test_bad_manifest_reports_exact_message_at_its_node(
    text: str, line: int, column: int, message: str
) -> None:
    result = manifests.parse(text, "t.yaml")
    found = [(p.line, p.column, p.message) for p in result.errors]
    assert found == [(line, column, message)]


def test_every_problem_of_a_file_is_reported_not_only_the_first() -> None:
    text = _user(
        "- type: sms\n"
        "- type: phone\n  phone_number: 555-1234\n"
        "- type: totp\n  totp_secret: ${env:1}\n"
    ).replace("version: 1\n", "version: 2\n")
    result = manifests.parse(text, "t.yaml")
    assert [(p.line, p.column) for p in result.errors] == [(1, 10), (5, 15), (7, 23), (9, 22)]


def test_a_user_with_an_error_is_left_out_of_the_users() -> None:
    text = (
        "version: 1\nusers:\n  - {user_id: good, methods: []}\n"
        "  - {user_id: bad, methods: [{type: sms}]}\n"
    )
    result = manifests.parse(text, "t.yaml")
    assert [u.user_id for u in result.users] == ["good"]


def test_messages_never_repeat_a_phone_number_or_a_secret() -> None:
    text = _user(
        "- type: phone\n  phone_number: '+1999888'\n"
        "- type: totp\n  totp_secret: 'JBSWY3DPEHPK3PX!'\n"
        "- {type: totp, totp_secret: JBSWY3DPEHPK3PXP}\n"
        "- {type: totp, totp_secret: jbswy3dpehpk3pxp}\n"
    )
    text_out = "\n".join(str(p) for p in manifests.parse(text, "t.yaml").problems)
    assert "+1999888" not in text_out
    assert "JBSWY3DPEHPK3PX" not in text_out.upper()
    assert "duplicate totp method: same totp_secret as the method at line 9" in text_out


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        pytest.param("version: 1\nusers: [\n", 3, 1, id="unclosed flow list"),
        pytest.param("version: 1\nusers:\n\t- user_id: a\n", 3, 1, id="tab indentation"),
        pytest.param("version: 1\nusers: []\n  bad: indent\n", 3, 3, id="bad indentation"),
        pytest.param("version: 1\nusers: '\n", 3, 1, id="unclosed quote"),
    ],
)
def test_yaml_syntax_error_is_a_problem_at_its_mark(text: str, line: int, column: int) -> None:
    # The wording comes from libyaml or from PyYAML's own parser, whichever is installed.
    (problem,) = manifests.parse(text, "t.yaml").problems
    assert (problem.line, problem.column, problem.severity) == (line, column, "error")
    assert problem.message.startswith("YAML syntax error: ")
