"""Value checks for imported factors: the manifests' own rules, reused, not re-implemented.

Phones, addresses and names go through `manifests.fields` (E.164 via phonenumbers, email-validator
without DNS, 1..20 characters), TOTP seeds through `secretrefs.normalize_totp_secret`: an import
accepts exactly what a manifest accepts. Each check returns the normal form or raises `Invalid`,
whose reason never holds a secret or a full phone number (a phone shows its last four characters).
"""

from __future__ import annotations

from mfasync import errors, models, secretrefs
from mfasync.manifests import fields


class Invalid(ValueError):
    """A value that the manifests would refuse; `reason` is safe to print."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def phone(text: str) -> str:
    """The E.164 form of a phone number written with its country code."""
    try:
        return fields.phone_number(text)
    except fields.FieldError as exc:
        shown = models.redact_for_repr("phone_number", text.strip())
        raise Invalid(f"phone {shown}: {exc}") from exc


def email(text: str) -> str:
    """The normalised address, as email-validator gives it (no deliverability check)."""
    try:
        return fields.email(text)
    except fields.FieldError as exc:
        raise Invalid(str(exc)) from exc


def totp(text: str) -> str:
    """The un-padded upper-case Base32 seed of a Base32 text or an otpauth URI."""
    try:
        return secretrefs.normalize_totp_secret(text)
    except errors.SecretRefError as exc:
        raise Invalid(str(exc)) from exc


def name(text: str) -> str:
    """A method name the API accepts: 1..20 characters."""
    try:
        return fields.name(text)
    except fields.FieldError as exc:
        raise Invalid(str(exc)) from exc


def user_id(text: str) -> str:
    """A user_id: one non-empty line."""
    if not text.strip() or any(ch in text for ch in "\r\n\t") or text != text.strip():
        raise Invalid("invalid user_id: it must be one non-empty line without surrounding spaces")
    return text
