"""The `otpauth` legacy format: text lines `<user_id or email> <otpauth URI>`.

Blank lines and lines starting with `#` are skipped. A first token with `@` and no `|` is an email,
anything else a user_id. This module must not validate the URI (building does, with the manifests'
rules) nor put any part of a line in a message: the URI holds the secret.
"""

from __future__ import annotations

from mfasync.importers import records

_EXPECTED = "expected '<user_id or email> <otpauth URI>'"


def parse(text: str) -> records.Parsed:
    """Read otpauth lines; rejections carry their 1-based line number."""
    factors: list[records.RawFactor] = []
    rejections: list[records.Rejection] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = records.Where(line=number)
        parts = line.split(None, 1)
        if parts[0].lower().startswith("otpauth:"):
            rejections.append(records.Rejection(where, None, f"missing user: {_EXPECTED}"))
            continue
        if len(parts) != 2:
            # The lone token is not shown as the user: it may well be a pasted seed.
            rejections.append(records.Rejection(where, None, f"missing URI: {_EXPECTED}"))
            continue
        token, uri = parts[0], parts[1].strip()
        is_email = "@" in token and "|" not in token
        user = records.UserRef(email=token) if is_email else records.UserRef(user_id=token)
        if not uri.lower().startswith("otpauth:"):
            reason = f"the second field is not an otpauth:// URI: {_EXPECTED}"
            rejections.append(records.Rejection(where, str(user), reason))
            continue
        factors.append(records.RawFactor(where, user, records.Kind.TOTP, uri))
    return records.Parsed(factors=tuple(factors), rejections=tuple(rejections))
