"""What each endpoint shows of a stored method: the reference's masking rules, in one place.

| answer            | phone_number | email  | totp_secret |
|-------------------|--------------|--------|-------------|
| GET (list, one)   | masked       | masked | never       |
| POST (201)        | as sent      | masked | never       |
| PATCH (200)       | masked       | masked | never       |
| PUT (200, array)  | as sent      | as sent| never       |

The reference masks the email on GET, POST and PATCH and the phone on GET. For POST the phone is
echoed as sent (the caller just sent it; the reference masks only the email there). For PATCH the
phone is masked: a PATCH never carries the number, so echoing it would turn PATCH into a way of
reading full numbers that GET hides. Clients must not rely on either; a masked value is only
"these visible characters at these positions".

With `masked=False` (a tenant with the flag that turns obfuscation off,
`disable_management_api_sms_obfuscation`) every answer shows phone numbers and emails in full;
the TOTP secret is never shown either way.

Pure functions on copies; this module must not touch the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mfasync.emulator import masking

_NEVER_SHOWN = frozenset({"totp_secret"})


def _shown(method: Mapping[str, Any], *, phone: bool, email: bool) -> dict[str, Any]:
    out = {key: value for key, value in method.items() if key not in _NEVER_SHOWN}
    if phone and isinstance(out.get("phone_number"), str):
        out["phone_number"] = masking.mask_phone(out["phone_number"])
    if email and isinstance(out.get("email"), str):
        out["email"] = masking.mask_email(out["email"])
    return out


def listed(method: Mapping[str, Any], *, masked: bool = True) -> dict[str, Any]:
    """GET list and GET one."""
    return _shown(method, phone=masked, email=masked)


def created(method: Mapping[str, Any], *, masked: bool = True) -> dict[str, Any]:
    """POST's 201 answer."""
    return _shown(method, phone=False, email=masked)


def patched(method: Mapping[str, Any], *, masked: bool = True) -> dict[str, Any]:
    """PATCH's 200 answer."""
    return _shown(method, phone=masked, email=masked)


def replaced(method: Mapping[str, Any]) -> dict[str, Any]:
    """One item of PUT's 200 array."""
    return _shown(method, phone=False, email=False)
