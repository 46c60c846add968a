"""Checks and normal forms of single manifest values (phone, email, names, keys, hostnames, seeds).

Each checker returns the normal form or raises `FieldError` with a message fit for a manifest
problem. Messages never repeat a phone number (personal data) nor a secret. No YAML here: the
format models (`schema`) run these on plain strings, and the importers reuse them, so these rules
are shared by every way a manifest is read.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import re
from collections.abc import Iterable

from mfasync import errors, models, secretrefs
from mfasync.manifests import phones

NAME_MAX_CHARS = 20
PHONE_EXAMPLE = phones.EXAMPLE
_HOSTNAME_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")


class FieldError(ValueError):
    """A value is not allowed; the message says what is wrong and what is allowed."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` when one choice is close to `word`, else an empty string."""
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close and len(word) >= 3:
        # difflib misses a shortened name (`phone` for `phone_number`): try prefixes too.
        close = [c for c in options if c.startswith(word) or word.startswith(c)][:1]
    return f" (did you mean {close[0]!r}?)" if close else ""


def listing(choices: Iterable[str]) -> str:
    return ", ".join(choices)


def name(text: str) -> str:
    if not 1 <= len(text) <= NAME_MAX_CHARS:
        raise FieldError(f"'name' must be 1 to {NAME_MAX_CHARS} characters, not {len(text)}")
    return text


def phone_number(text: str) -> str:
    """The E.164 form (`+14155550123`) of a possible international number (spaces and dashes
    allowed). A possible number the metadata does not know is accepted: see `phones.doubt`."""
    try:
        return phones.parse(text)
    except phones.NotANumber as exc:
        raise FieldError(str(exc)) from exc


def email(text: str, *, field: str = "email") -> str:
    """The address as email-validator normalises it (the domain lower-cased)."""
    # Imported when an address is first checked, not with the manifests: email-validator
    # compiles its regular expressions on import (about 15 ms of every start-up).
    import email_validator

    try:
        checked = email_validator.validate_email(text, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise FieldError(f"{field!r} is not a valid email address: {exc}") from exc
    return str(checked.normalized)


def public_key(text: str) -> str:
    """A base64 (standard or URL-safe, padding optional) public key, kept as written."""
    compact = text.strip()
    if not _BASE64.fullmatch(compact):
        raise FieldError("'public_key' must be base64 (A-Z, a-z, 0-9, '+', '/', '-', '_', '=')")
    padded = compact.rstrip("=")
    padded += "=" * (-len(padded) % 4)
    try:
        base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FieldError("'public_key' is not valid base64 (truncated?)") from exc
    return compact


def hostname(text: str) -> str:
    """A DNS hostname such as `example.com` (the WebAuthn relying party id), lower-cased."""
    host = text.strip().lower()
    labels = host.split(".")
    if len(host) > 253 or not all(_HOSTNAME_LABEL.fullmatch(label) for label in labels):
        raise FieldError(
            "'relying_party_identifier' must be a hostname such as example.com "
            "(no scheme, port or path)"
        )
    return host


def totp_secret(text: str) -> str:
    """A secret reference in its canonical spelling, or an inline seed as un-padded Base32.

    The two never look alike (Base32 has no `${`), so `secretrefs.is_reference` tells them apart
    again after validation.
    """
    try:
        if secretrefs.is_reference(text):
            return str(secretrefs.parse_reference(text))
        return secretrefs.normalize_totp_secret(text)
    except errors.SecretRefError as exc:
        raise FieldError(f"'totp_secret' is invalid: {exc}") from None


def pinned_id(text: str, *, method_type: str) -> str:
    """A live method id whose prefix is the method's type (`phone|dev_...`), kept as written."""
    canonical = models.TYPE_ALIASES.get(method_type, method_type)
    prefix, bar, rest = text.partition("|")
    if not bar or not rest.strip():
        raise FieldError(f"'id' must be a live method id such as '{canonical}|dev_...'")
    if models.TYPE_ALIASES.get(prefix, prefix) != canonical:
        raise FieldError(
            f"id prefix {prefix!r} does not match type {canonical!r}; a pinned {canonical} method "
            f"has an id like '{canonical}|dev_...'"
        )
    return text
