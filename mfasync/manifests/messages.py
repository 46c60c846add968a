"""Pydantic's validation errors, worded as manifest problems at their `file:line:column`.

`_WORDING` is the one table from a pydantic error type to our wording; what it needs about the
format (a mapping's keys, a method's type, an enum's values) it reads from the models in
`schema`, so a new field or value is worded without a new entry. Errors about keys point at the
key, a missing key at the mapping that lacks it, everything else at the value; `plain.locate`
finds that node. A method with a misspelt key is not also told what it misses: the misspelling's
fix says it already.

What it must not do: validate anything itself, or quote a value that may be personal data or a
secret (only enum and type values, which are the format's own words, and names are quoted).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import yaml
from pydantic_core import ErrorDetails

from mfasync import errors, models, secretrefs
from mfasync.manifests import fields, plain, schema

Loc = plain.Loc
TYPES = tuple(t.value for t in models.MethodType)
_PINNED_KEYS = tuple(schema.PinnedMethod.model_fields)
_METHOD_KEYS = tuple(
    dict.fromkeys(
        [*_PINNED_KEYS, *(k for m in schema.METHOD_MODELS.values() for k in m.model_fields)]
    )
)
_IN_A_USER = "a method's field (put methods under 'methods:')"
SECRET_HELP = f"Base32, an otpauth://totp/ URI, or a reference: {secretrefs.REFERENCE_HELP}"

_NOT_A_MAPPING = {
    "Manifest": "the manifest must be a mapping with 'version: 1' and 'users'",
    "Defaults": "'defaults' must be a mapping with 'prune' and/or 'ignore'",
    "User": "a user must be a mapping with 'user_id' or 'email', and 'methods'",
}
_MISSING = {
    ("Manifest", "version"): "missing 'version: 1' at the top level",
    ("Manifest", "users"): "missing 'users' (a list of users; write 'users: []' for none)",
    ("User", "methods"): "missing 'methods' (write 'methods: []' to declare that this user has "
    "no managed methods)",
    ("PhoneMethod", "phone_number"): "a phone method needs 'phone_number' (E.164, e.g. "
    f"{fields.PHONE_EXAMPLE}) or a pinned 'id'",
    ("EmailMethod", "email"): "an email method needs 'email' or a pinned 'id'",
    ("TotpMethod", "totp_secret"): f"a totp method needs 'totp_secret' ({SECRET_HELP}) or a "
    "pinned 'id'",
}
_LIST_OF = {
    "users": "users (each item starts with '- ')",
    "methods": "methods",
    "ignore": f"fields ({fields.listing(f.value for f in models.IgnorableField)})",
}


def problems(
    found: Sequence[ErrorDetails],
    key_problems: Sequence[plain.KeyProblem],
    *,
    model: type[schema.Spec],
    data: Any,
    node: yaml.Node,
    source: str,
) -> list[errors.Problem]:
    """Every problem of one mapping of `model` (its `data`, read from `node`)."""
    report = _Report(model=model, data=data, node=node, source=source)
    for problem in key_problems:
        report.key(problem.path, problem.key, problem.node, repeated=problem.key is not None)
    missing: dict[Loc, list[str]] = {}
    for error in found:
        loc = _without_tag(model, error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            report.key(loc[:-1], str(loc[-1]), plain.locate(node, loc, key=True))
        elif kind == "missing":
            missing.setdefault(loc[:-1], []).append(str(loc[-1]))
        elif kind in ("union_tag_not_found", "union_tag_invalid"):
            report.bad_method(loc, error["input"])
        else:
            report.value(loc, error)
    for at, keys in missing.items():
        report.missing(at, keys)
    return report.problems


def _without_tag(model: type[schema.Spec], loc: tuple[str | int, ...]) -> Loc:
    # pydantic puts the tag of the union member after a method's index: ("methods", 0, "phone",..)
    if model is schema.User and len(loc) > 2 and loc[0] == "methods":
        return loc[:2] + loc[3:]
    return loc


class _Report:
    """The problems of one validated mapping, and how to name each mapping inside it."""

    def __init__(
        self, *, model: type[schema.Spec], data: Any, node: yaml.Node, source: str
    ) -> None:
        self.model, self.data, self.node, self.source = model, data, node, source
        self.problems: list[errors.Problem] = []
        self.misspelt: set[Loc] = set()  # mappings with a key problem

    def add(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append(errors.Problem(self.source, mark.line + 1, mark.column + 1, message))

    # -- what a mapping is ---------------------------------------------------------------------

    def model_at(self, loc: Loc) -> type[schema.Spec] | None:
        """The model of the mapping at `loc`; None for a method of no known type."""
        if not loc:
            return self.model
        if self.model is schema.User and len(loc) == 2 and loc[0] == "methods":
            methods = self.data.get("methods") if isinstance(self.data, dict) else None
            index = loc[1]
            if isinstance(methods, list) and isinstance(index, int) and index < len(methods):
                return schema.METHOD_MODELS.get(schema.method_tag(methods[index]) or "")
        return None

    def keys_of(self, loc: Loc) -> tuple[str, tuple[str, ...], dict[str, str]]:
        """How messages name the mapping at `loc`, its keys, and keys that belong elsewhere."""
        model = self.model_at(loc)
        if model is None:
            return "a method", _METHOD_KEYS, {}
        if model in schema.METHOD_MODELS.values():
            # A pinned method is named, and keyed, as a method of its type: `id` or the values.
            kind = str(self.data["methods"][loc[1]]["type"])
            typed = schema.METHOD_MODELS[models.TYPE_ALIASES.get(kind, kind)]
            own = tuple(dict.fromkeys([*_PINNED_KEYS, *typed.model_fields]))
            elsewhere = {k: f"not a field of {typed.what}" for k in _METHOD_KEYS if k not in own}
            return typed.what, own, elsewhere
        allowed = tuple(model.model_fields)
        if model is schema.User:
            elsewhere = {k: _IN_A_USER for k in _METHOD_KEYS if k not in allowed}
            elsewhere.update((k, "a top-level key") for k in schema.Manifest.model_fields)
            return model.what, allowed, elsewhere
        return model.what, allowed, {}

    # -- keys ----------------------------------------------------------------------------------

    def key(self, at: Loc, key: str | None, node: yaml.Node, *, repeated: bool = False) -> None:
        if at and not (self.model is schema.User and len(at) == 2 and at[0] == "methods"):
            return  # a mapping where a value or a list belongs: that is its problem, not its keys
        self.misspelt.add(at)
        what, allowed, elsewhere = self.keys_of(at)
        listed = fields.listing(allowed)
        if key is None:
            self.add(node, f"keys in {what} must be plain names; allowed: {listed}")
        elif repeated and key in allowed:
            first = plain.locate(self.node, (*at, key), key=True).start_mark
            self.add(node, f"duplicate key {key!r} in {what} (first at line {first.line + 1})")
        elif self.model_at(at) is schema.PinnedMethod and key in allowed:
            self.add(
                node,
                f"{key!r} cannot be given beside 'id': a pinned method keeps its live value "
                "(give 'type', 'id' and optionally 'name')",
            )
        elif (snake := _snake_case(key)) != key.lower() and snake in allowed:
            self.add(
                node,
                f"{key!r} is spelled {snake!r} (manifests use the API's snake_case field names)",
            )
        elif key in elsewhere:
            self.add(node, f"{key!r} is {elsewhere[key]}; allowed in {what}: {listed}")
        else:
            self.add(
                node,
                f"unknown key {key!r} in {what}{fields.did_you_mean(key, allowed)}; "
                f"allowed: {listed}",
            )

    def missing(self, at: Loc, keys: list[str]) -> None:
        model = self.model_at(at)
        if model is None:
            return
        mapping = plain.locate(self.node, at)
        if model in schema.METHOD_MODELS.values():
            if at not in self.misspelt:
                worded = _MISSING.get((model.__name__, keys[0])) if len(keys) == 1 else None
                self.add(mapping, worded or _method_needs(model, keys))
            return
        for key in keys:
            self.add(
                mapping, _MISSING.get((model.__name__, key), f"missing {key!r} in {model.what}")
            )

    # -- values --------------------------------------------------------------------------------

    def bad_method(self, loc: Loc, value: Any) -> None:
        """A method that no model takes: not a mapping, or no known `type`. Its keys are checked
        against every method's, so that a typo in `type` does not hide the others."""
        node = plain.locate(self.node, loc)
        if not isinstance(value, dict):
            self.add(node, "a method must be a mapping with 'type' and its fields")
            return
        for key in value:
            if key not in _METHOD_KEYS:
                self.key(loc, key, plain.locate(self.node, (*loc, key), key=True))
        if "type" not in value:
            self.add(node, f"a method needs 'type'; allowed: {fields.listing(TYPES)}")
            return
        kind = value["type"]
        at = plain.locate(self.node, (*loc, "type"))
        if not isinstance(kind, str):
            self.add(at, _not_text("type", kind))
            return
        hint = ""
        if kind.lower() in ("sms", "voice"):
            hint = f" ({kind.lower()} is a phone method's preferred_authentication_method)"
        self.add(
            at,
            f"unknown method type {kind!r}{fields.did_you_mean(kind.lower(), TYPES)}; "
            f"allowed: {fields.listing(TYPES)}{hint}",
        )

    def value(self, loc: Loc, error: ErrorDetails) -> None:
        field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
        message = _WORDING.get(error["type"], _other)(self, field, error)
        at_key = _AT_KEY.get(error["type"])
        node = plain.locate(self.node, (*loc, at_key) if at_key else loc, key=at_key is not None)
        self.add(node, message)


def _snake_case(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", key).lower()


def _method_needs(model: type[schema.Spec], missing: list[str]) -> str:
    required = [
        repr(name)
        for name, info in model.model_fields.items()
        if info.is_required() and name != "type"
    ]
    needs = f"{', '.join(required[:-1])} and {required[-1]}" if len(required) > 1 else required[0]
    return f"{model.what} needs {needs} (missing: {fields.listing(missing)}), or a pinned 'id'"


def _not_text(field: str, value: Any) -> str:
    if value is None:
        return f"{field!r} has no value"
    kind = "a list" if isinstance(value, list) else "a mapping"
    return f"{field!r} must be a single value, not {kind}"


def _choices(error: ErrorDetails) -> list[str]:
    # pydantic lists an enum's values as "'a', 'b' or 'c'"; the values are the format's words.
    return re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))


# -- the table: pydantic error type -> our wording ------------------------------------------------

Wording = Callable[[_Report, str, ErrorDetails], str]


def _text(report: _Report, field: str, error: ErrorDetails) -> str:
    value = error["input"]
    return _not_text(field, value) if not isinstance(value, str) else f"{field!r} must be text"


def _enum(report: _Report, field: str, error: ErrorDetails) -> str:
    value = error["input"]
    if not isinstance(value, str):
        return _not_text(field, value)
    choices = _choices(error)
    close = fields.did_you_mean(value, choices)
    if field == "ignore":
        return f"cannot ignore {value!r}{close}; allowed: {fields.listing(choices)}"
    return f"{field} must be one of {fields.listing(choices)}, not {value!r}{close}"


def _literal(report: _Report, field: str, error: ErrorDetails) -> str:
    if field == "version":
        return f"unsupported version {error['input']!r}; allowed: 1 (the number)"
    return _enum(report, field, error)


def _list(report: _Report, field: str, error: ErrorDetails) -> str:
    return f"{field!r} must be a list of {_LIST_OF.get(field, 'values')}"


def _mapping(report: _Report, field: str, error: ErrorDetails) -> str:
    model = report.model_at(tuple(error["loc"]))
    name = model.__name__ if model is not None else ""
    return _NOT_A_MAPPING.get(name, f"{field!r} must be a mapping")


def _length(report: _Report, field: str, error: ErrorDetails) -> str:
    if field == "name":
        count = len(str(error["input"]))
        return f"'name' must be 1 to {fields.NAME_MAX_CHARS} characters, not {count}"
    if error["type"] == "string_too_short":
        return f"{field!r} must not be empty"
    return f"{field!r} is too long: {error['msg'].lower()}"


def _pattern(report: _Report, field: str, error: ErrorDetails) -> str:
    if error.get("ctx", {}).get("pattern") == schema.NOT_BLANK:
        return f"{field!r} must not be empty"
    return f"{field!r} is invalid: {error['msg'].lower()}"


def _own(report: _Report, field: str, error: ErrorDetails) -> str:
    # Our validators' messages (`fields.FieldError`, `schema`'s custom errors) are worded already.
    cause = error.get("ctx", {}).get("error")
    return str(cause) if cause is not None else error["msg"]


def _other(report: _Report, field: str, error: ErrorDetails) -> str:
    return f"{field!r} is invalid: {error['msg']}"


_WORDING: dict[str, Wording] = {
    "string_type": _text,
    "enum": _enum,
    "literal_error": _literal,
    "list_type": _list,
    "model_type": _mapping,
    "model_attributes_type": _mapping,
    "dict_type": _mapping,
    "string_too_short": _length,
    "string_too_long": _length,
    "string_pattern_mismatch": _pattern,
    "value_error": _own,
    "both_identities": _own,
    "no_identity": _own,
}
# Errors reported at a key of the mapping rather than at the mapping itself.
_AT_KEY = {"both_identities": "email"}
