"""Actions: one request to make for one user, and the wire body of a desired method.

`Action.request_body()` is the ONLY place where a secret value (a TOTP seed) or a full phone number
leaves its `SecretStr` / model: everything else in `plans` carries redactions, references and keyed
fingerprints, never the value. No I/O, no clock; must not import the planner or anything above it.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum

from mfasync import errors, masking, models

REDACTED = "<redacted>"

REASON_VALUE_CHANGED = "value changed since mfasync wrote it"
"""Why a matched method is re-created: its state record holds another value than the manifest's."""

REASON_GONE = "mfasync wrote it, now gone"
"""Why a declared method is created again: the state recorded it, the tenant no longer has it."""


class Op(StrEnum):
    """What an action does to the user's methods."""

    CREATE = "create"
    PATCH = "patch"
    DELETE = "delete"
    REPLACE = "replace"


_HTTP_METHODS: dict[Op, str] = {
    Op.CREATE: "POST",
    Op.PATCH: "PATCH",
    Op.DELETE: "DELETE",
    Op.REPLACE: "PUT",
}


@dataclasses.dataclass(frozen=True, slots=True)
class FieldChange:
    """One patched field. Only `name` and `preferred_authentication_method` are ever patched."""

    field: str
    old: str | None
    new: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class Action:
    """One request to make for one user.

    create: `method` is the desired method to POST. patch: `method_id` and `changes`.
    delete: `method_id`. replace: `methods` is the complete new set for the PUT and `replaced` the
    live methods it overwrites. `display` is the redacted value shown in output.
    """

    op: Op
    type: str
    name: str | None = None
    method_id: str | None = None
    method: models.DesiredMethod | None = None
    changes: tuple[FieldChange, ...] = ()
    methods: tuple[models.DesiredMethod, ...] = ()
    replaced: tuple[models.LiveMethod, ...] = ()
    display: str = ""
    reason: str | None = None  # why, when the action alone does not say (a changed value)

    @property
    def http_method(self) -> str:
        """`POST`, `PATCH`, `DELETE` or `PUT`."""
        return _HTTP_METHODS[self.op]

    def request_body(self) -> dict[str, object] | list[dict[str, object]] | None:
        """The wire body. Reveals secrets: send it, never print it.

        Raises `errors.SecretRefError` when a TOTP seed the request needs is not resolved.
        """
        return self._body(reveal=True)

    def redacted_body(self) -> dict[str, object] | list[dict[str, object]] | None:
        """The wire body's shape with secrets `<redacted>` and phone numbers / emails redacted."""
        return self._body(reveal=False)

    def _body(self, *, reveal: bool) -> dict[str, object] | list[dict[str, object]] | None:
        if self.op is Op.CREATE:
            if self.method is None:
                raise ValueError("a create action needs its method")
            return method_body(self.method, reveal=reveal)
        if self.op is Op.PATCH:
            return {change.field: change.new for change in self.changes}
        if self.op is Op.REPLACE:
            return [method_body(method, reveal=reveal, for_put=True) for method in self.methods]
        return None


def method_body(
    method: models.DesiredMethod, *, reveal: bool, for_put: bool = False
) -> dict[str, object]:
    """The POST body (or PUT item) of a desired method; values redacted unless `reveal`."""
    body: dict[str, object] = {"type": method.type.value}
    if method.name is not None:
        body["name"] = method.name
    kind = method.type
    if kind is models.MethodType.PHONE:
        number = _required(method.phone_number, method, "phone_number")
        body["phone_number"] = number if reveal else masking.redact_phone(number)
        if method.preferred_authentication_method is not None:
            body["preferred_authentication_method"] = method.preferred_authentication_method.value
    elif kind is models.MethodType.EMAIL:
        address = _required(method.email, method, "email")
        body["email"] = address if reveal else masking.redact_email(address)
    elif kind is models.MethodType.TOTP:
        body["totp_secret"] = secret_value(method) if reveal else REDACTED
    elif for_put:
        raise ValueError(f"a {kind.value} method cannot be written by a replace (PUT)")
    else:
        body["key_id"] = _required(method.key_id, method, "key_id")
        public_key = _required(method.public_key, method, "public_key")
        body["public_key"] = public_key if reveal else REDACTED
        body["relying_party_identifier"] = _required(
            method.relying_party_identifier, method, "relying_party_identifier"
        )
    return body


def secret_value(method: models.DesiredMethod) -> str:
    """The resolved TOTP seed of `method`, or `errors.SecretRefError` naming the reference."""
    problem = secret_problem(method)
    if problem is not None:
        raise errors.SecretRefError(problem)
    source = method.totp_secret
    assert source is not None  # secret_problem() returned None: both are known
    assert source.value is not None
    return source.value.get_secret_value()


def secret_problem(method: models.DesiredMethod) -> str | None:
    """Why the TOTP seed of `method` is not usable, or None. Names the reference, never a value."""
    label = _method_label(method.type.value, method.name)
    source = method.totp_secret
    if source is None:
        return f"{label}: no totp_secret declared"
    if source.value is None:
        reason = source.problem or "not resolved"
        return f"{label}: secret {source.display} cannot be resolved: {reason}"
    return None


def _required(value: str | None, method: models.DesiredMethod, field: str) -> str:
    if value is None:
        label = _method_label(method.type.value, method.name)
        raise ValueError(f"{label} has no {field}")
    return value


def _method_label(kind: str, name: str | None) -> str:
    return f'{kind} "{name}"' if name is not None else kind
