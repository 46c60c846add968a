"""Mask compatibility (for matching) and redaction (for output) of phone numbers and emails.

The Management API never gives phone numbers and emails back on reads: `+44207183875044` is listed
as `XXXXXXXXXXX5044`, `chuck334@example.com` as `chuc****@exam*******`. The exact masking rule is
not documented, so a masked value is read as "these visible characters at these positions", never
as a value: the planner asks whether a desired value *could be* the masked one.

Redaction is the other direction: what output (plans, logs, reports) may show of a value.

This module is pure string work: no I/O, no imports from the rest of mfasync, and it never returns
a full phone number or a clear email address from a redaction function.
"""

from __future__ import annotations

MASK_CHARACTERS = frozenset("X*")
"""Characters the API puts in place of hidden ones (`X` in phone numbers, `*` in emails)."""

_EMAIL_MASK_CHARACTERS = frozenset("*")
_SHOWN_PREFIX_MAX = 4  # the API shows at most the first four characters of each email part
_PHONE_SHOWN_SUFFIX = 4  # output shows the last four digits of a phone number, never more


def phone_compatible(masked: str, e164: str) -> bool:
    """Whether the live (usually masked) number `masked` may be the desired number `e164`.

    Same length, and every visible character (not `X` or `*`) equal to the desired one at its
    position. An unmasked live value has only visible characters, so it matches by equality.
    """
    if masked == e164:
        return True
    if len(masked) != len(e164):
        return False
    # The API's usual shape: a run of mask characters, then the visible end (`XXXXXXXX0123`).
    # Then the answer is whether the number ends with that visible part (same length: same
    # positions), without a step per character; any other shape is compared position by position.
    visible = masked.lstrip("X*")
    if "X" not in visible and "*" not in visible:
        return not visible or e164.endswith(visible)
    return all(m in MASK_CHARACTERS or m == d for m, d in zip(masked, e164, strict=True))


def email_compatible(masked: str, address: str) -> bool:
    """Whether the live (usually masked) email `masked` may be the desired `address`.

    Local part and domain are compared separately: every visible character must equal the desired
    one at its position, and the lengths must agree as the mask shows them. The API hides a short
    local part behind a fixed run of stars (`foo@...` -> `****@...`), so a part made only of stars
    says nothing about its length and matches any length. Case is ignored (Auth0 stores addresses
    lower-cased; a manifest may not).
    """
    masked_local, masked_domain = _split_email(masked.lower())
    local, domain = _split_email(address.lower())
    if masked_domain is None or domain is None:
        return masked.lower() == address.lower()
    return _part_compatible(masked_local, local) and _part_compatible(masked_domain, domain)


def redact_phone(number: str) -> str:
    """`+14155550123` -> `...0123`: the last four characters only (masked input works too).

    A value of four characters or fewer is not shown at all: its last four would be all of it.
    """
    if len(number) <= _PHONE_SHOWN_SUFFIX:
        return "..."
    return "..." + number[-_PHONE_SHOWN_SUFFIX:]


def redact_email(address: str) -> str:
    """A masked form like the API's: `chuck334@example.com` -> `chuc****@exam*******`.

    Each part shows at most its first four characters and never more than half of itself; a short
    local part becomes `****` (hiding its length). Already-masked input stays masked.
    """
    local, domain = _split_email(address)
    masked_local = _mask_part(local, fixed_when_short=True)
    if domain is None:
        return masked_local
    return masked_local + "@" + _mask_part(domain, fixed_when_short=False)


def _split_email(address: str) -> tuple[str, str | None]:
    # rpartition: a quoted local part may contain "@", the domain never does
    local, at, domain = address.rpartition("@")
    if not at:
        return address, None
    return local, domain


def _part_compatible(masked: str, value: str) -> bool:
    if masked and all(c in _EMAIL_MASK_CHARACTERS for c in masked):
        return True  # fully hidden: a fixed run of stars, no length information
    if len(masked) != len(value):
        return False
    return all(m in _EMAIL_MASK_CHARACTERS or m == v for m, v in zip(masked, value, strict=True))


def _mask_part(part: str, *, fixed_when_short: bool) -> str:
    if fixed_when_short and len(part) <= _SHOWN_PREFIX_MAX:
        return "*" * _SHOWN_PREFIX_MAX
    shown = min(_SHOWN_PREFIX_MAX, len(part) // 2)
    return part[:shown] + "*" * (len(part) - shown)
