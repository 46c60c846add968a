"""The format models are the one description of a manifest: messages, plain data and positions."""

from __future__ import annotations

import yaml

from mfasync import manifests, models
from mfasync.manifests import plain, schema


def _errors(text: str) -> list[str]:
    return [p.message for p in manifests.parse(text, "t.yaml").errors]


def test_a_users_allowed_keys_in_messages_are_the_user_models_fields() -> None:
    (message,) = _errors("version: 1\nusers:\n  - {user_id: a, methods: [], owner: b}\n")
    assert message.endswith("allowed: " + ", ".join(schema.User.model_fields))


def test_the_values_of_prune_in_messages_are_the_domain_enums() -> None:
    (message,) = _errors("version: 1\nusers:\n  - {user_id: a, prune: some, methods: []}\n")
    assert message == f"prune must be one of {', '.join(models.Prune)}, not 'some'"


def test_every_method_type_has_a_model_and_the_pinned_one() -> None:
    assert set(schema.METHOD_MODELS) == {t.value for t in models.MethodType} | {"pinned"}


def test_plain_data_keeps_scalars_as_written_and_leaves_repeated_keys_out() -> None:
    node = yaml.compose("{a: +14155550123, b: yes, c: 1, d: , a: 2, [x]: 3}")
    assert node is not None
    problems: list[plain.KeyProblem] = []
    assert plain.to_plain(node, problems) == {"a": "+14155550123", "b": "yes", "c": "1", "d": None}
    assert [(p.path, p.key) for p in problems] == [((), "a"), ((), None)]


def test_locate_finds_the_value_or_the_key_of_an_error_location() -> None:
    node = yaml.compose("users:\n  - user_id: a\n    methods: [{type: x}]\n")
    assert node is not None
    value = plain.locate(node, ("users", 0, "methods", 0, "type"))
    key = plain.locate(node, ("users", 0, "methods"), key=True)
    assert (value.start_mark.line, value.start_mark.column) == (2, 21)
    assert (key.start_mark.line, key.start_mark.column) == (2, 4)
