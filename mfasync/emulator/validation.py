"""Request-body validation for POST, PUT and PATCH, as the API's JSON schemas do it.

Returns the accepted fields (a new dict) or raises `problems.Problem` (400). Pure: it must not
look at the stored state (conflicts, limits and unknown users are the state's business).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from mfasync.emulator import problems

#: Types POST accepts. `webauthn_roaming` (underscore) is NOT one of them: the guide's spelling
#: is a documentation error and the API answers 400.
CREATABLE_TYPES = ("email", "passkey", "phone", "totp", "webauthn-roaming")
#: Types a PUT item may have.
REPLACEABLE_TYPES = ("email", "phone", "totp")
PREFERRED_METHODS = ("sms", "voice")
CREDENTIAL_DEVICE_TYPES = ("multi_device", "single_device")

_TOTP_SECRET = re.compile(r"^[A-Z2-7]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")

Check = Callable[[str, Any], None]


def _string(name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise problems.bad_request(f"Payload validation error: '{name}' must be a string.")


def _sized(low: int, high: int) -> Check:
    def check(name: str, value: Any) -> None:
        _string(name, value)
        if not low <= len(value) <= high:
            raise problems.bad_request(
                f"Payload validation error: '{name}' must be {low} to {high} characters long."
            )

    return check


def _one_of(choices: tuple[str, ...]) -> Check:
    def check(name: str, value: Any) -> None:
        if value not in choices:
            raise problems.bad_request(
                f"Payload validation error: '{name}' must be one of {', '.join(choices)}."
            )

    return check


def _matching(pattern: re.Pattern[str], what: str) -> Check:
    def check(name: str, value: Any) -> None:
        _string(name, value)
        if not pattern.match(value):
            raise problems.bad_request(f"Payload validation error: '{name}' must be {what}.")

    return check


def _boolean(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise problems.bad_request(f"Payload validation error: '{name}' must be a boolean.")


def _strings(name: str, value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise problems.bad_request(f"Payload validation error: '{name}' must be a string array.")


_NAME = _sized(1, 20)
_PHONE = _sized(2, 30)
_NON_EMPTY = _sized(1, 1024)

_FIELD_CHECKS: Mapping[str, Check] = {
    "aaguid": _string,
    "credential_backed_up": _boolean,
    "credential_device_type": _one_of(CREDENTIAL_DEVICE_TYPES),
    "email": _matching(_EMAIL, "an email address"),
    "identity_user_id": _string,
    "key_id": _NON_EMPTY,
    "name": _NAME,
    "phone_number": _PHONE,
    "preferred_authentication_method": _one_of(PREFERRED_METHODS),
    "public_key": _NON_EMPTY,
    "relying_party_identifier": _NON_EMPTY,
    "totp_secret": _matching(_TOTP_SECRET, "un-padded Base32 (A-Z, 2-7)"),
    "transports": _strings,
    "user_agent": _string,
    "user_handle": _string,
}

#: Per type: (required fields, optional fields). A field of another type is rejected, which is
#: what `additionalProperties: false` amounts to once the schema is split by type.
_POST_FIELDS: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    "email": (frozenset({"email"}), frozenset({"name"})),
    "passkey": (
        frozenset({"key_id", "public_key"}),
        frozenset(
            {
                "aaguid",
                "credential_backed_up",
                "credential_device_type",
                "identity_user_id",
                "name",
                "relying_party_identifier",
                "transports",
                "user_agent",
                "user_handle",
            }
        ),
    ),
    "phone": (frozenset({"phone_number"}), frozenset({"name", "preferred_authentication_method"})),
    "totp": (frozenset({"totp_secret"}), frozenset({"name"})),
    "webauthn-roaming": (
        frozenset({"key_id", "public_key"}),
        frozenset({"aaguid", "name", "relying_party_identifier"}),
    ),
}
_PATCH_FIELDS = frozenset({"name", "preferred_authentication_method"})


def _object(body: Any, *, what: str) -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise problems.bad_request(f"Payload validation error: {what} must be an object.")
    return body


def _typed(body: Mapping[str, Any], *, allowed_types: tuple[str, ...]) -> dict[str, Any]:
    kind = body.get("type")
    if kind is None:
        raise problems.bad_request("Payload validation error: Missing required property: type.")
    _one_of(allowed_types)("type", kind)
    required, optional = _POST_FIELDS[kind]
    extra = sorted(set(body) - required - optional - {"type"})
    if extra:
        raise problems.bad_request(
            f"Payload validation error: 'Additional properties not allowed: {', '.join(extra)}'."
        )
    missing = sorted(required - set(body))
    if missing:
        raise problems.bad_request(
            f"Payload validation error: Missing required property: {', '.join(missing)}."
        )
    for name, value in body.items():
        if name != "type":
            _FIELD_CHECKS[name](name, value)
    return dict(body)


def create_body(body: Any) -> dict[str, Any]:
    """A POST body: one object, `type` in `CREATABLE_TYPES`, only that type's fields."""
    return _typed(_object(body, what="the body"), allowed_types=CREATABLE_TYPES)


def replace_body(body: Any) -> list[dict[str, Any]]:
    """A PUT body: an array of phone/email/totp items (an empty array empties the user)."""
    if not isinstance(body, list):
        raise problems.bad_request("Payload validation error: the body must be an array.")
    return [
        _typed(_object(item, what="each item"), allowed_types=REPLACEABLE_TYPES) for item in body
    ]


def update_body(body: Any) -> dict[str, Any]:
    """A PATCH body: only `name` and `preferred_authentication_method`."""
    fields = _object(body, what="the body")
    extra = sorted(set(fields) - _PATCH_FIELDS)
    if extra:
        raise problems.bad_request(
            f"Payload validation error: 'Additional properties not allowed: {', '.join(extra)}'."
        )
    for name, value in fields.items():
        _FIELD_CHECKS[name](name, value)
    return dict(fields)
