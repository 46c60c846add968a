"""What a legacy-export parser hands on: raw factors, rejections and unmigratable factors.

Parsers only read their format: they say which user a factor belongs to, what kind it is and what
value the export gave, with where it came from (line, or item and factor index for JSON arrays).
They validate nothing about the values: `building` checks every value with the manifests' rules,
so the four formats cannot drift apart. Nothing here does I/O, and no value held here is ever put
into a message: rejections carry a reason written without the secret or the full phone number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """The factor kinds a legacy export can carry into a manifest."""

    PHONE = "phone"
    EMAIL = "email"
    TOTP = "totp"


@dataclass(frozen=True, slots=True)
class Where:
    """Where something came from: a 1-based line, or a 1-based item (and factor) of a JSON array."""

    line: int | None = None
    item: int | None = None
    factor: int | None = None

    def __str__(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.item is not None:
            parts.append(f"item {self.item}")
        if self.factor is not None:
            parts.append(f"factor {self.factor}")
        return ", ".join(parts) or "input"

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.line or 0, self.item or 0, self.factor or 0)


@dataclass(frozen=True, slots=True)
class UserRef:
    """The user a legacy record names, as the export spells it (not yet validated)."""

    user_id: str | None = None
    email: str | None = None

    def __str__(self) -> str:
        return self.user_id or self.email or "(no user)"


@dataclass(frozen=True, slots=True)
class RawFactor:
    """One factor as the export gives it. `value` is unchecked, maybe a secret: never print it."""

    where: Where
    user: UserRef
    kind: Kind
    value: str = field(repr=False)
    name: str | None = None
    preferred: str | None = None  # "sms" | "voice" for phones, when the format says so


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row or factor that cannot be migrated as given; `reason` holds no secret or full phone."""

    where: Where
    user: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Unmigratable:
    """A factor of a type no export gives the secret of (push, a vendor's TOTP, WebAuthn...)."""

    where: Where
    user: str
    factor_type: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """Everything one parser found, in input order."""

    factors: tuple[RawFactor, ...] = ()
    rejections: tuple[Rejection, ...] = ()
    unmigratable: tuple[Unmigratable, ...] = ()
