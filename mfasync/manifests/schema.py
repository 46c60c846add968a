"""The manifest format (version 1) as pydantic models: what validates a manifest, and its schema.

This is the one description of the file. `parsing` validates each user's plain data with `User`
(the top level with `Manifest`, `defaults` with `Defaults`), `messages` words the errors and
`building` turns the validated models into domain values; `json_schema()` is generated from the
same models for editors. Checks beyond a schema (E.164, email syntax, Base32 and otpauth, secret
references, hostnames, pinned ids) are validators here that run the `fields` rules; a pattern
that only approximates such a rule is given to the JSON Schema alone (`json_schema_extra`), so
that the rule, not the pattern, decides. Enumerations are the domain's own (`models.Prune`...):
a new value is added there once.

What it must not do: read YAML, know positions, word messages or build domain models. An
optional key is `| MISSING`, never `| None`: a key written with no value is refused.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Self, get_args

from pydantic import (
    MISSING,
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from mfasync import models
from mfasync.manifests import fields

SCHEMA_FILE = "schema/mfasync-manifest-v1.json"
NOT_BLANK = r"\S"  # a pattern (pydantic searches it): at least one character that is not a space
_EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=fields.NAME_MAX_CHARS,
        description=f"Display name, 1..{fields.NAME_MAX_CHARS} characters.",
    ),
]
UserId = Annotated[
    str, Field(pattern=NOT_BLANK, min_length=1, description='e.g. "auth0|64f1c0ffee"')
]
Email = Annotated[
    str, AfterValidator(fields.email), Field(json_schema_extra={"pattern": _EMAIL_SHAPE})
]
TotpSecret = Annotated[
    str,
    AfterValidator(fields.totp_secret),
    Field(
        json_schema_extra={
            "pattern": r"^\s*(\$\{(env|file):[^}]+\}|[oO][tT][pP][aA][uU][tT][hH]://.*"
            r"|[A-Za-z2-7 =]+)\s*$"
        },
        description="Base32, an otpauth://totp/ URI, or a reference: ${env:NAME}, "
        "${file:relative/path} or ${file:relative/path#key}. Prefer a reference: "
        "inline secrets are warned about.",
    ),
]


class Spec(BaseModel):
    """A mapping of the format: unknown keys are refused. `what` names it in messages."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    what: ClassVar[str]


class PinnedMethod(Spec):
    """Keep an existing live method as it is (matched by id only; its name may be patched)."""

    what: ClassVar[str] = "a pinned method"  # messages name it as a method of its type
    type: Literal["phone", "email", "totp", "webauthn-roaming", "webauthn_roaming"]
    id: Annotated[
        str,
        Field(
            json_schema_extra={
                "pattern": r"^(phone|email|totp|webauthn-roaming|webauthn_roaming)\|.+$"
            },
            description="The live method's id, e.g. phone|dev_...; its prefix is the type.",
        ),
    ]
    name: Name | MISSING = MISSING

    @field_validator("id")
    @classmethod
    def _id_of_this_type(cls, value: str, info: ValidationInfo) -> str:
        # `type` is declared first, so it is validated (the discriminator has checked it) here.
        return fields.pinned_id(value, method_type=info.data.get("type", ""))


class PhoneMethod(Spec):
    """An SMS / voice factor."""

    what: ClassVar[str] = "a phone method"
    type: Literal["phone"]
    name: Name | MISSING = MISSING
    phone_number: Annotated[
        str,
        AfterValidator(fields.phone_number),
        Field(
            json_schema_extra={"pattern": r"^\+[1-9][0-9 ()-]{1,20}$"},
            description='E.164, e.g. "+14155550123" (quote it).',
        ),
    ]
    preferred_authentication_method: models.PreferredMethod | MISSING = MISSING


class EmailMethod(Spec):
    """An email factor (Auth0 offers it at login only when the user has no other factor)."""

    what: ClassVar[str] = "an email method"
    type: Literal["email"]
    name: Name | MISSING = MISSING
    email: Email


class TotpMethod(Spec):
    """An authenticator app (TOTP: SHA1, 6 digits, 30 seconds)."""

    what: ClassVar[str] = "a totp method"
    type: Literal["totp"]
    name: Name | MISSING = MISSING
    totp_secret: TotpSecret


class WebauthnRoamingMethod(Spec):
    """A security key (WebAuthn roaming authenticator)."""

    what: ClassVar[str] = "a webauthn-roaming method"
    type: Literal["webauthn-roaming", "webauthn_roaming"]
    name: Name | MISSING = MISSING
    key_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    public_key: Annotated[
        str,
        AfterValidator(fields.public_key),
        Field(json_schema_extra={"pattern": r"^[A-Za-z0-9+/_-]+={0,2}$"}, description="base64"),
    ]
    relying_party_identifier: Annotated[
        str,
        AfterValidator(fields.hostname),
        Field(
            json_schema_extra={
                "pattern": r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
            },
            description="A hostname, e.g. example.com.",
        ),
    ]


def method_tag(value: Any) -> str | None:
    """Which model validates a method: `pinned` when it has an `id`, else its type's model.

    None (no mapping, no `type`) and an unknown type make pydantic's union_tag_* errors, which
    `messages` words from the input.
    """
    if not isinstance(value, dict):
        return None
    kind = value.get("type")
    if not isinstance(kind, str):
        return None
    kind = models.TYPE_ALIASES.get(kind, kind)
    if kind in models.MANAGED_TYPES and "id" in value:
        return "pinned"
    return kind


Method = Annotated[
    Annotated[PhoneMethod, Tag("phone")]
    | Annotated[EmailMethod, Tag("email")]
    | Annotated[TotpMethod, Tag("totp")]
    | Annotated[WebauthnRoamingMethod, Tag("webauthn-roaming")]
    | Annotated[PinnedMethod, Tag("pinned")],
    Discriminator(method_tag),
]
AnyMethod = PhoneMethod | EmailMethod | TotpMethod | WebauthnRoamingMethod | PinnedMethod
# The union above, as a table: tag -> model (the tags of `method_tag`).
METHOD_MODELS: dict[str, type[Spec]] = {
    meta.tag: model
    for model, meta in (get_args(choice) for choice in get_args(get_args(Method)[0]))
}


def _one_identity(schema: dict[str, Any]) -> None:
    schema["oneOf"] = [{"required": ["user_id"]}, {"required": ["email"]}]


class Defaults(Spec):
    """Applies to every user of this file."""

    what: ClassVar[str] = "defaults"
    prune: models.Prune | MISSING = MISSING
    ignore: list[models.IgnorableField] | MISSING = Field(
        default=MISSING, description="Fields never compared."
    )


class User(Spec):
    """One user, by user_id or by email (exactly one of them)."""

    model_config = ConfigDict(json_schema_extra=_one_identity)
    what: ClassVar[str] = "a user"
    user_id: UserId | MISSING = MISSING
    email: Email | MISSING = MISSING
    prune: models.Prune | MISSING = MISSING
    ignore: list[models.IgnorableField] | MISSING = MISSING
    methods: list[Method] = Field(
        description="The managed methods this user should have; [] for none."
    )

    @model_validator(mode="after")
    def _one_identity(self) -> Self:
        error = identity_error(user_id=self.user_id is not MISSING, email=self.email is not MISSING)
        if error is not None:
            raise error
        return self


def identity_error(*, user_id: bool, email: bool) -> PydanticCustomError | None:
    """The error of a user that gives both `user_id` and `email`, or neither; else None."""
    if user_id and email:
        return PydanticCustomError("both_identities", "a user has 'user_id' or 'email', not both")
    if not user_id and not email:
        return PydanticCustomError("no_identity", "a user needs 'user_id' or 'email'")
    return None


class Manifest(Spec):
    """An mfasync manifest, format version 1."""

    model_config = ConfigDict(title="mfasync manifest (version 1)")
    what: ClassVar[str] = "the top level"
    version: Literal[1]
    defaults: Defaults | MISSING = MISSING
    users: list[User]


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the manifest format, for editors and CI checks."""
    schema = Manifest.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
