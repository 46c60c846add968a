"""Displays: the redacted forms of values and user keys that output may show.

Masked phone numbers (last four digits), masked emails, key-id prefixes and `email:` user keys with
the address masked. Nothing here reveals a value; renderers, guards and reports use these only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from mfasync import masking, models

_KEY_ID_SHOWN = 8
_NAMES_SHOWN = 5
EMAIL_KEY_PREFIX = "email:"


def desired_display(method: models.DesiredMethod) -> str:
    """The redacted value of a desired method for output: `(...0123)`, masked email, key prefix."""
    if method.id is not None:
        return f"({method.id})"
    return _value_display(
        method.type.value,
        phone_number=method.phone_number,
        email=method.email,
        key_id=method.key_id,
    )


def live_display(method: models.LiveMethod) -> str:
    """The redacted value of a live method for output (its masked value, redacted again)."""
    return _value_display(
        method.type, phone_number=method.phone_number, email=method.email, key_id=method.key_id
    )


def _value_display(
    kind: str, *, phone_number: str | None, email: str | None, key_id: str | None
) -> str:
    if kind == models.MethodType.PHONE and phone_number:
        return f"({masking.redact_phone(phone_number)})"
    if kind == models.MethodType.EMAIL and email:
        return f"({masking.redact_email(email)})"
    if kind == models.MethodType.WEBAUTHN_ROAMING and key_id:
        shown = key_id[:_KEY_ID_SHOWN] + ("..." if len(key_id) > _KEY_ID_SHOWN else "")
        return f"(key {shown})"
    return ""


def display_key(key: str) -> str:
    """A user key fit for output: `email:` keys have their address masked."""
    if key.startswith(EMAIL_KEY_PREFIX):
        return EMAIL_KEY_PREFIX + masking.redact_email(key[len(EMAIL_KEY_PREFIX) :])
    return key


def heading(key: str, user_id: str | None = None, source: str | None = None) -> str:
    """A user as every message names it: its masked key, then the resolved user id and the
    manifest `file:line` when they add something (two `email:****@corp********` users differ)."""
    extra = [part for part in (user_id if user_id != key else None, source) if part]
    shown = display_key(key)
    return f"{shown} ({', '.join(extra)})" if extra else shown


def place(source: models.SourceLocation | None) -> str | None:
    """`file:line` of a manifest entry, as messages name it (no column: an entry is a line)."""
    return None if source is None else f"{source.file}:{source.line}"


def declared_at(user: models.DesiredUser) -> str | None:
    """`place` of a user's manifest entry, for users declared by `email:` (a user id alone
    tells a user apart; a masked address does not)."""
    return None if user.user_id is not None else place(user.source)


def count(number: int, noun: str) -> str:
    """`1 user`, `3 users`."""
    return f"{number} {noun}" + ("" if number == 1 else "s")


def names(keys: Sequence[str]) -> str:
    """The first few keys for output (masked), and how many more."""
    shown = ", ".join(display_key(key) for key in keys[:_NAMES_SHOWN])
    more = len(keys) - _NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def quoted(value: str | None) -> str:
    """A name for output: JSON-quoted, or `(none)`."""
    return "(none)" if value is None else json.dumps(value, ensure_ascii=False)
