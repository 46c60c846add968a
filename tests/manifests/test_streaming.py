"""A manifest is read one user at a time: the same users, problems and positions as a whole tree.

Also the compact models the parser builds: equal to validated ones, and sharing what can be shared.
"""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from mfasync import manifests, models

USERS = (
    "users:\n"
    "  - user_id: a\n"
    "    methods: []\n"
    "  - user_id: b\n"
    "    prune: managed\n"
    "    ignore: []\n"
    "    methods: []\n"
)


def _messages(result: manifests.ParseResult) -> list[tuple[int, int, str, str]]:
    return [(p.line, p.column, p.severity, p.message) for p in result.problems]


def test_defaults_after_users_apply_to_the_users_above_them() -> None:
    text = USERS + "defaults:\n  prune: none\n  ignore: [name]\nversion: 1\n"
    result = manifests.parse(text, "t.yaml")
    a, b = result.users
    assert (a.prune, a.ignore) == (models.Prune.NONE, frozenset({models.IgnorableField.NAME}))
    assert (b.prune, b.ignore) == (models.Prune.MANAGED, frozenset())
    assert str(a.source) == "t.yaml:2:5"


def test_empty_methods_warning_waits_for_defaults_declared_after_users() -> None:
    text = USERS + "defaults:\n  prune: none\nversion: 1\n"
    result = manifests.parse(text, "t.yaml")
    # Only b, which says prune: managed itself, is warned about.
    assert [(p.line, p.severity) for p in result.problems] == [(7, "warning")]


def test_empty_methods_is_warned_about_when_no_defaults_follow() -> None:
    result = manifests.parse("version: 1\n" + USERS, "t.yaml")
    assert [(p.line, p.column, p.severity) for p in result.problems] == [
        (4, 14, "warning"),
        (8, 14, "warning"),
    ]


def test_a_syntax_error_after_valid_users_is_the_only_problem_and_drops_the_users() -> None:
    text = "version: 1\n" + USERS + "  - user_id: c\n   methods: [\n"
    result = manifests.parse(text, "t.yaml")
    assert result.users == ()
    assert [(p.line, p.severity) for p in result.problems] == [(10, "error")]
    assert result.problems[0].message.startswith("YAML syntax error: ")


def test_a_second_document_after_the_users_is_the_only_problem() -> None:
    result = manifests.parse("version: 1\n" + USERS + "---\nversion: 1\n", "t.yaml")
    assert result.users == ()
    assert _messages(result) == [
        (
            9,
            1,
            "error",
            "YAML syntax error: but found another document "
            "(expected a single document in the stream)",
        )
    ]


def test_an_undefined_alias_is_reported_at_the_alias() -> None:
    result = manifests.parse("version: 1\nusers:\n  - user_id: *nope\n", "t.yaml")
    assert _messages(result) == [(3, 14, "error", "YAML syntax error: found undefined alias")]


def test_an_alias_to_an_earlier_user_is_that_user_again() -> None:
    text = "version: 1\nusers:\n  - &u {user_id: a, methods: []}\n  - *u\n"
    result = manifests.parse(text, "t.yaml")
    # The alias is the anchored node itself, so the duplicate is reported at the anchor.
    assert [(p.line, p.column, p.severity) for p in result.problems] == [
        (3, 5, "error"),
        (3, 30, "warning"),
        (3, 30, "warning"),
    ]
    assert result.problems[0].message == "user 'a' is listed twice: first at t.yaml:3:5"


def test_a_duplicate_users_key_is_reported_and_its_users_are_not_read() -> None:
    text = "version: 1\nusers: [{user_id: a, methods: []}]\nusers: [{user_id: b}]\n"
    result = manifests.parse(text, "t.yaml")
    assert [u.user_id for u in result.users] == ["a"]
    assert [(p.line, p.message) for p in result.errors] == [
        (3, "duplicate key 'users' in the top level (first at line 2)")
    ]


def test_users_of_a_file_share_one_fields_set_and_one_copy_of_a_method_name() -> None:
    text = (
        "version: 1\nusers:\n"
        "  - {user_id: a, methods: [{type: phone, name: SMS, phone_number: '+14155550142'}]}\n"
        "  - {user_id: b, methods: [{type: phone, name: SMS, phone_number: '+14155550143'}]}\n"
    )
    a, b = manifests.parse(text, "t.yaml").users
    assert a.model_fields_set is b.model_fields_set
    assert a.methods[0].name is b.methods[0].name
    assert a.source is not None
    assert b.source is not None
    assert a.source.model_fields_set is b.source.model_fields_set


def test_a_shared_model_equals_the_validated_model_in_every_way() -> None:
    values = {"type": models.MethodType.PHONE, "name": "SMS", "phone_number": "+14155550142"}
    compact = models.DesiredMethod.construct_shared(set(values), **values)
    validated = models.DesiredMethod(**values)
    assert compact == validated
    assert hash(compact) == hash(validated)
    assert compact.model_dump() == validated.model_dump()
    assert compact.model_fields_set == {"type", "name", "phone_number"}
    assert validated.model_fields_set == compact.model_fields_set
    assert repr(compact) == repr(validated)
    assert list(compact.__dict__) == list(validated.__dict__)


def test_a_copy_of_a_shared_model_leaves_the_shared_fields_set_alone() -> None:
    shared = {"reference"}
    first = models.SecretSource.construct_shared(shared, reference="${env:A}")
    copy = first.model_copy(update={"value": SecretStr("JBSWY3DPEHPK3PXP")})
    assert shared == {"reference"}
    assert copy.model_fields_set == {"reference", "value"}
    assert first.value is None


def test_construct_shared_refuses_a_field_the_model_does_not_have() -> None:
    with pytest.raises(TypeError, match=r"^SourceLocation has no field row$"):
        models.SourceLocation.construct_shared({"file"}, file="f", line=1, column=1, row=2)
