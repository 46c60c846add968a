"""How the emulated API masks values on reads. Pure functions; the client side has its own.

Phone: every character but the last four becomes `X` (`+44207183875044` -> `XXXXXXXXXXX5044`);
a number of four characters or fewer is left as it is (there is nothing left to hide behind).

Email: the local part and the domain are masked separately by the same rule: at most the first
four characters stay visible, and never so many that fewer than four remain hidden; the hidden
characters become `*`, and a part shorter than four characters becomes exactly `****` so that its
length does not show. So `chuck334@example.com` -> `chuc****@exam*******` and `foo@example.com` ->
`****@exam*******`. A masked part keeps the original's length whenever that is four or more, and
its visible characters are always a prefix of the original.

This module must not decide WHEN to mask (that is the response rendering's job).
"""

from __future__ import annotations

_SHOWN = 4
_HIDDEN_AT_LEAST = 4


def mask_phone(number: str) -> str:
    """`+44207183875044` -> `XXXXXXXXXXX5044`."""
    hidden = max(0, len(number) - _SHOWN)
    return "X" * hidden + number[hidden:]


def mask_email_part(part: str) -> str:
    """One side of an address: `chuck334` -> `chuc****`, `foo` -> `****`."""
    shown = min(_SHOWN, max(0, len(part) - _HIDDEN_AT_LEAST))
    return part[:shown] + "*" * max(_HIDDEN_AT_LEAST, len(part) - shown)


def mask_email(address: str) -> str:
    """`chuck334@example.com` -> `chuc****@exam*******` (the last `@` splits the parts)."""
    local, at, domain = address.rpartition("@")
    if not at:
        return mask_email_part(address)
    return f"{mask_email_part(local)}@{mask_email_part(domain)}"
