"""The manifest format (version 1) as pydantic models, and the JSON Schema generated from them.

These models describe the file a person writes, for editors (yaml-language-server) and for tests
that keep the examples honest. The parser (`parsing`) is what mfasync actually runs: it checks more
than a schema can say (E.164 validity, Base32, duplicates) and reports positions. What this module
must not do: become a second parser, or drift from `parsing` (tests compare both on the examples).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

SCHEMA_FILE = "schema/mfasync-manifest-v1.json"

Name = Annotated[
    str, Field(min_length=1, max_length=20, description="Display name, 1..20 characters.")
]
TotpSecret = Annotated[
    str,
    Field(
        pattern=r"^\s*(\$\{(env|file):[^}]+\}|[oO][tT][pP][aA][uU][tT][hH]://.*"
        r"|[A-Za-z2-7 =]+)\s*$",
        description="Base32, an otpauth://totp/ URI, or a reference: ${env:NAME}, "
        "${file:relative/path} or ${file:relative/path#key}. Prefer a reference: "
        "inline secrets are warned about.",
    ),
]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PinnedMethod(_Spec):
    """Keep an existing live method as it is (matched by id only; its name may be patched)."""

    type: Literal["phone", "email", "totp", "webauthn-roaming", "webauthn_roaming"]
    id: Annotated[
        str,
        Field(
            pattern=r"^(phone|email|totp|webauthn-roaming|webauthn_roaming)\|.+$",
            description="The live method's id, e.g. phone|dev_...; its prefix is the type.",
        ),
    ]
    name: Name | None = None


class PhoneMethod(_Spec):
    """An SMS / voice factor."""

    type: Literal["phone"]
    name: Name | None = None
    phone_number: Annotated[
        str,
        Field(
            pattern=r"^\+[1-9][0-9 ()-]{1,20}$",
            description='E.164, e.g. "+14155550123" (quote it).',
        ),
    ]
    preferred_authentication_method: Literal["sms", "voice"] | None = Field(
        default=None, description="sms (the default) or voice."
    )


class EmailMethod(_Spec):
    """An email factor (Auth0 offers it at login only when the user has no other factor)."""

    type: Literal["email"]
    name: Name | None = None
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class TotpMethod(_Spec):
    """An authenticator app (TOTP: SHA1, 6 digits, 30 seconds)."""

    type: Literal["totp"]
    name: Name | None = None
    totp_secret: TotpSecret


class WebauthnRoamingMethod(_Spec):
    """A security key (WebAuthn roaming authenticator)."""

    type: Literal["webauthn-roaming", "webauthn_roaming"]
    name: Name | None = None
    key_id: Annotated[str, Field(min_length=1)]
    public_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/_-]+={0,2}$", description="base64")]
    relying_party_identifier: Annotated[
        str,
        Field(
            pattern=r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
            r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$",
            description="A hostname, e.g. example.com.",
        ),
    ]


ValueMethod = Annotated[
    PhoneMethod | EmailMethod | TotpMethod | WebauthnRoamingMethod,
    Field(discriminator="type"),
]
Method = PinnedMethod | ValueMethod

IgnorableName = Literal["name", "preferred_authentication_method"]
PruneName = Literal["managed", "none", "owned"]


class Defaults(_Spec):
    """Applies to every user of this file."""

    prune: PruneName | None = Field(
        default=None, description="managed (default): delete undeclared managed methods; none."
    )
    ignore: list[IgnorableName] | None = Field(default=None, description="Fields never compared.")


def _one_identity(schema: dict[str, Any]) -> None:
    schema["oneOf"] = [{"required": ["user_id"]}, {"required": ["email"]}]


class User(_Spec):
    """One user, by user_id or by email (exactly one of them)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_one_identity)

    user_id: Annotated[str, Field(min_length=1, description='e.g. "auth0|64f1c0ffee"')] | None = (
        None
    )
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    prune: PruneName | None = None
    ignore: list[IgnorableName] | None = None
    methods: list[Method] = Field(
        description="The managed methods this user should have; [] for none."
    )


class Manifest(_Spec):
    """An mfasync manifest, format version 1."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="mfasync manifest (version 1)")

    version: Literal[1]
    defaults: Defaults | None = None
    users: list[User]


class _OptionalNotNull(GenerateJsonSchema):
    """Optional keys are left out, never null: the parser refuses a key with no value."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        json_schema = super().default_schema(schema)
        if json_schema.get("default", ...) is None:
            del json_schema["default"]
        return json_schema


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the manifest format, for editors and CI checks."""
    schema = Manifest.model_json_schema(schema_generator=_OptionalNotNull)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
