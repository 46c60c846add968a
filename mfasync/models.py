"""Domain values shared by every layer: method types, desired and live methods, users, policy.

All models are frozen. Their `repr` never shows a full phone number, an email address or a secret:
those fields are shown redacted, so a value that ends up in a log line or a traceback leaks nothing.
This module does no I/O and knows nothing about YAML, HTTP or the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class MethodType(StrEnum):
    """The method types mfasync manages (creates, patches, deletes)."""

    PHONE = "phone"
    EMAIL = "email"
    TOTP = "totp"
    WEBAUTHN_ROAMING = "webauthn-roaming"


MANAGED_TYPES: frozenset[str] = frozenset(t.value for t in MethodType)
"""Live types mfasync may touch. Every other live type, known or not, is never modified."""

PUT_WRITABLE_TYPES: frozenset[str] = frozenset({"phone", "email", "totp"})
"""Types a replace-all PUT can (re)create. A PUT destroys every other type."""

KNOWN_UNMANAGED_TYPES: frozenset[str] = frozenset(
    {
        "push",
        "guardian",
        "recovery-code",
        "webauthn-platform",
        "passkey",
        "password",
        "email-verification",
    }
)
"""Types the API is known to list that mfasync never touches (unknown future types neither)."""

TYPE_ALIASES: dict[str, str] = {"webauthn_roaming": "webauthn-roaming"}
"""Spellings accepted on input (the guide's underscore is a documentation error)."""


class PreferredMethod(StrEnum):
    """How a phone factor delivers codes: sms (the default) or voice."""

    SMS = "sms"
    VOICE = "voice"


class Prune(StrEnum):
    """What to do with live managed methods that match no declared method: managed (the default)
    deletes them, owned deletes only those that mfasync created or adopted (its state says so),
    none keeps them."""

    MANAGED = "managed"  # delete them
    OWNED = "owned"  # delete those the state says mfasync created or adopted; keep the others
    NONE = "none"  # keep them


class IgnorableField(StrEnum):
    """Fields a manifest may exclude from comparison."""

    NAME = "name"
    PREFERRED_AUTHENTICATION_METHOD = "preferred_authentication_method"


_REDACTED_FIELDS = frozenset({"phone_number", "email", "totp_secret", "public_key"})


def redact_for_repr(field_name: str, value: object) -> object:
    """The repr-safe form of a field value: personal data and secrets are never shown whole."""
    if value is None or field_name not in _REDACTED_FIELDS:
        return value
    if field_name == "phone_number" and isinstance(value, str):
        return "…" + value[-4:] if len(value) > 4 else "…"
    return "<redacted>"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, redact_for_repr(name or "", value)

    # pydantic has no Field(compare=False) (it lands in json_schema_extra): `source` says where a
    # value was declared, not what it is, so equality and hashing leave it out here.
    def _compared(self) -> tuple[object, ...]:
        return tuple(v for k, v in self.__dict__.items() if k != "source")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _Frozen)
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash((type(self), self._compared()))

    @classmethod
    def construct_shared(cls, fields_set: set[str], /, **values: Any) -> Self:
        """Like `model_construct` (trusted values, no validation), in less memory, for bulk loads.

        `fields_set` becomes the instance's `model_fields_set` as is, so a caller building many
        instances shares one set between them: the models are frozen, so pydantic never adds to
        it (a `model_copy` gets its own copy). Fields are set one at a time, in declaration order,
        so that CPython gives the instance dict the class's shared key table (PEP 412): about half
        the size of the dict `model_construct` assigns whole.
        """
        defaults = _DEFAULTS.get(cls)
        if defaults is None:
            defaults = _DEFAULTS[cls] = _defaults_of(cls)
        instance = cls.__new__(cls)
        used = 0
        for name, default, factory in defaults:
            if name in values:
                value = values[name]
                used += 1
            else:
                value = default if factory is None else factory()
            object.__setattr__(instance, name, value)
        if used != len(values):
            unknown = sorted(set(values) - set(cls.__pydantic_fields__))
            raise TypeError(f"{cls.__name__} has no field {', '.join(unknown)}")
        object.__setattr__(instance, "__pydantic_fields_set__", fields_set)
        object.__setattr__(instance, "__pydantic_extra__", None)
        object.__setattr__(instance, "__pydantic_private__", None)
        return instance


# Each model's fields in declaration order, with the default (frozen models' defaults are
# immutable: one object serves every instance) or the default factory. Found once per class:
# `construct_shared` runs for every value of a large manifest, and pydantic's `get_default` cost
# more than the rest of it.
_Defaults = tuple[tuple[str, Any, Callable[[], Any] | None], ...]
_DEFAULTS: dict[type[BaseModel], _Defaults] = {}


def _defaults_of(cls: type[BaseModel]) -> _Defaults:
    return tuple(
        (name, None, lambda info=info: info.get_default(call_default_factory=True))
        if info.default_factory is not None
        else (name, info.get_default(), None)
        for name, info in cls.__pydantic_fields__.items()
    )


class SourceLocation(_Frozen):
    """Where something was declared: `file:line:column` (1-based)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class SecretSource(_Frozen):
    """A TOTP seed as declared: a reference (`${env:X}`, `${file:p#k}`) or an inline value.

    `value` holds the normalised Base32 seed once known (inline, or after resolution);
    `problem` says why a reference could not be resolved. The value is never written anywhere:
    plans and reports carry the reference and a fingerprint only.
    """

    reference: str | None = None
    value: SecretStr | None = None
    problem: str | None = None
    base_dir: str | None = None  # folder the manifest lives in: where ${file:...} paths start

    @property
    def display(self) -> str:
        """What output may say about this secret."""
        return self.reference if self.reference is not None else "(inline secret)"


class DesiredMethod(_Frozen):
    """One method a manifest declares. Values are normalised (E.164, Base32, lower-case type)."""

    type: MethodType
    id: str | None = None  # pinned: "keep this live method", matched by id only
    name: str | None = None
    phone_number: str | None = None
    preferred_authentication_method: PreferredMethod | None = None
    email: str | None = None
    totp_secret: SecretSource | None = None
    key_id: str | None = None
    public_key: str | None = None
    relying_party_identifier: str | None = None
    source: SourceLocation | None = Field(default=None, exclude=True)  # not compared: _Frozen

    @property
    def pinned(self) -> bool:
        return self.id is not None


class LiveMethod(BaseModel):
    """One method as the Management API lists it. Values of phone/email are masked by the API.

    `type` is a plain string: unknown future types must pass through untouched.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    type: str
    name: str | None = None
    confirmed: bool | None = None
    created_at: str | None = None
    phone_number: str | None = None
    email: str | None = None
    preferred_authentication_method: str | None = None
    key_id: str | None = None
    public_key: str | None = None
    relying_party_identifier: str | None = None
    link_id: str | None = None
    # Passed through from the OpenAPI spec's listed method; the planner does not read them.
    enrolled_at: str | None = None
    last_auth_at: str | None = None
    #: The ids of the method's sub-authenticators (`authentication_methods`: a phone's
    #: `sms|dev_...` / `voice|dev_...`): parts of this method, not methods of their own.
    sub_method_ids: tuple[str, ...] = ()
    #: True for a listed entry whose id is another entry's sub-authenticator: never planned
    #: for deletion (deleting the method it belongs to removes it).
    sub_method: bool = False

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, redact_for_repr(name or "", value)

    @property
    def managed(self) -> bool:
        return self.type in MANAGED_TYPES and not self.sub_method


class DesiredUser(_Frozen):
    """A user as the manifests declare it: identified by `user_id` or by `email`."""

    user_id: str | None = None
    email: str | None = None
    prune: Prune = Prune.MANAGED
    ignore: frozenset[IgnorableField] = frozenset()
    methods: tuple[DesiredMethod, ...] = ()
    source: SourceLocation | None = Field(default=None, exclude=True)  # not compared: _Frozen

    @property
    def key(self) -> str:
        """The user's identity as the manifests state it: its user_id, or `email:<address>`."""
        if self.user_id is not None:
            return self.user_id
        return f"email:{self.email}"

    @property
    def declared_empty(self) -> bool:
        """`methods: []`: the manifest asks for no managed methods at all."""
        return not self.methods


class Policy(_Frozen):
    """Run-wide planning choices (per-user prune / ignore live on DesiredUser)."""

    reseed_totp: frozenset[str] = frozenset()  # user keys whose totp methods are re-created
    allow_replace: bool = True  # may the planner choose a full replace (PUT) when it saves requests


class RateLimit(_Frozen):
    """The x-ratelimit-* headers of one response. `reset_at_s` is UNIX time in seconds."""

    limit: int | None = None
    remaining: int | None = None
    reset_at_s: float | None = None
