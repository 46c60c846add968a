"""The `okta` legacy format: JSON Lines, one user per line, as Okta's Users and Factors APIs give.

`{"profile": {"login": ..., "email": ...}, "factors": [{"factorType": "sms", "status": "ACTIVE",
"profile": {"phoneNumber": ...}}, ...]}`. Users are keyed by email (`profile.email`, else a `login`
that is an address). `sms` and `call` become phones (preferred sms / voice), `email` an email
factor.
Okta never exports a seed or a key for its other factors (push, token:software:totp, u2f,
webauthn...), and a factor not yet ACTIVE was never proven by its user: both are counted as
unmigratable, by type, never created. This module must not validate values nor print them.
"""

from __future__ import annotations

import json
from typing import Any

from mfasync.importers import records

# factorType -> (kind, preferred method, profile field holding the value)
_MIGRATABLE: dict[str, tuple[records.Kind, str | None, str]] = {
    "sms": (records.Kind.PHONE, "sms", "phoneNumber"),
    "call": (records.Kind.PHONE, "voice", "phoneNumber"),
    "email": (records.Kind.EMAIL, None, "email"),
}


def parse(text: str) -> records.Parsed:
    """Read Okta JSON Lines; rejections carry the 1-based line (and factor) number."""
    factors: list[records.RawFactor] = []
    rejections: list[records.Rejection] = []
    unmigratable: list[records.Unmigratable] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        where = records.Where(line=number)
        try:
            item = json.loads(raw)
        except json.JSONDecodeError as exc:
            reason = f"not valid JSON ({exc.msg} at column {exc.colno})"
            rejections.append(records.Rejection(where, None, reason))
            continue
        except RecursionError:
            # `[[[[...` nested deeper than the decoder's stack: no Okta export nests so.
            rejections.append(records.Rejection(where, None, "not valid JSON (nested too deeply)"))
            continue
        if not isinstance(item, dict):
            rejections.append(records.Rejection(where, None, "a line must hold one JSON object"))
            continue
        user = _user(item.get("profile"))
        if user is None:
            reason = "missing user: no profile.email (nor an email-like profile.login)"
            rejections.append(records.Rejection(where, None, reason))
            continue
        entries = item.get("factors", [])
        if not isinstance(entries, list):
            rejections.append(records.Rejection(where, str(user), "factors must be a list"))
            continue
        for index, entry in enumerate(entries, start=1):
            at = records.Where(line=number, factor=index)
            outcome = _factor(entry, where=at, user=user)
            if isinstance(outcome, records.RawFactor):
                factors.append(outcome)
            elif isinstance(outcome, records.Unmigratable):
                unmigratable.append(outcome)
            else:
                rejections.append(outcome)
    return records.Parsed(
        factors=tuple(factors), rejections=tuple(rejections), unmigratable=tuple(unmigratable)
    )


def _user(profile: Any) -> records.UserRef | None:
    if not isinstance(profile, dict):
        return None
    email = profile.get("email")
    if isinstance(email, str) and email.strip():
        return records.UserRef(email=email.strip())
    login = profile.get("login")
    if isinstance(login, str) and "@" in login:
        return records.UserRef(email=login.strip())
    return None


def _factor(
    entry: Any, *, where: records.Where, user: records.UserRef
) -> records.RawFactor | records.Unmigratable | records.Rejection:
    shown = str(user)
    if not isinstance(entry, dict) or not isinstance(entry.get("factorType"), str):
        return records.Rejection(where, shown, "a factor must be an object with a factorType")
    factor_type: str = entry["factorType"]
    spec = _MIGRATABLE.get(factor_type)
    if spec is None:
        return records.Unmigratable(where, shown, factor_type)
    status = entry.get("status", "ACTIVE")
    if status != "ACTIVE":
        # Auth0 confirms created methods at once: an unproven enrolment must not become one.
        return records.Unmigratable(where, shown, f"{factor_type} (status {status})")
    kind, preferred, field = spec
    profile = entry.get("profile")
    value = profile.get(field) if isinstance(profile, dict) else None
    if not isinstance(value, str) or not value.strip():
        return records.Rejection(where, shown, f"{factor_type} factor without profile.{field}")
    if isinstance(profile, dict) and profile.get("phoneExtension"):
        reason = f"{factor_type} factor with a phone extension: Auth0 phones cannot dial one"
        return records.Rejection(where, shown, reason)
    return records.RawFactor(where, user, kind, value.strip(), preferred=preferred)
