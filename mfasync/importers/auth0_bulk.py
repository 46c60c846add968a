"""The `auth0-bulk` legacy format: Auth0's bulk user import JSON (an array of users).

Each user has `user_id` and/or `email` and `mfa_factors`, a list of one-key objects:
`{"totp": {"secret": ...}}`, `{"phone": {"value": ...}}`, `{"email": {"value": ...}}`. A bulk
import `user_id` is prefixed by the connection strategy when Auth0 creates the user
(`abc` -> `auth0|abc` for a database connection), so an id without `|` gets `strategy|` in front.
JSON carries no line numbers through the standard parser: rejections name the 1-based item (and
factor) and the user. This module must not validate values nor put one in a message.
"""

from __future__ import annotations

import json
from typing import Any

from mfasync.importers import records

_KINDS = {"totp": records.Kind.TOTP, "phone": records.Kind.PHONE, "email": records.Kind.EMAIL}
_VALUE_FIELD = {
    records.Kind.TOTP: "secret",
    records.Kind.PHONE: "value",
    records.Kind.EMAIL: "value",
}
DEFAULT_STRATEGY = "auth0"


def parse(text: str, *, strategy: str = DEFAULT_STRATEGY) -> records.Parsed:
    """Read a bulk import file; `strategy` prefixes user_ids that have none."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        # msg/lineno/colno only: the exception's str() would be fine too, but never the document.
        where = records.Where(line=exc.lineno)
        reason = f"not valid JSON ({exc.msg} at column {exc.colno})"
        return records.Parsed(rejections=(records.Rejection(where, None, reason),))
    except RecursionError:
        # `[[[[...` nested deeper than the decoder's stack: no bulk export nests so.
        reason = "not valid JSON (nested too deeply)"
        return records.Parsed(rejections=(records.Rejection(records.Where(line=1), None, reason),))
    if not isinstance(document, list):
        reason = "expected a JSON array of users, as Auth0's bulk user import takes"
        return records.Parsed(rejections=(records.Rejection(records.Where(line=1), None, reason),))
    factors: list[records.RawFactor] = []
    rejections: list[records.Rejection] = []
    for index, item in enumerate(document, start=1):
        _user(item, index=index, strategy=strategy, factors=factors, rejections=rejections)
    return records.Parsed(factors=tuple(factors), rejections=tuple(rejections))


def _user(
    item: Any,
    *,
    index: int,
    strategy: str,
    factors: list[records.RawFactor],
    rejections: list[records.Rejection],
) -> None:
    where = records.Where(item=index)
    if not isinstance(item, dict):
        rejections.append(records.Rejection(where, None, "a user must be a JSON object"))
        return
    user_id = _text(item.get("user_id"))
    email = _text(item.get("email"))
    if user_id is not None and "|" not in user_id:
        user_id = f"{strategy}|{user_id}"
    user = records.UserRef(user_id=user_id, email=email)
    if user_id is None and email is None:
        rejections.append(records.Rejection(where, None, "missing user: no user_id and no email"))
        return
    shown = str(user)
    mfa = item.get("mfa_factors")
    if mfa is None:
        return  # a user without MFA factors: nothing to migrate, nothing wrong
    if not isinstance(mfa, list):
        rejections.append(records.Rejection(where, shown, "mfa_factors must be a list"))
        return
    for number, entry in enumerate(mfa, start=1):
        at = records.Where(item=index, factor=number)
        outcome = _factor(entry, where=at, user=user)
        if isinstance(outcome, records.Rejection):
            rejections.append(outcome)
        else:
            factors.append(outcome)


def _factor(
    entry: Any, *, where: records.Where, user: records.UserRef
) -> records.RawFactor | records.Rejection:
    shown = str(user)
    if not isinstance(entry, dict) or len(entry) != 1:
        reason = 'a factor must be an object with one key: "totp", "phone" or "email"'
        return records.Rejection(where, shown, reason)
    ((key, body),) = entry.items()
    kind = _KINDS.get(key)
    if kind is None:
        reason = f"unknown factor type {key!r}: allowed are totp, phone, email"
        return records.Rejection(where, shown, reason)
    field = _VALUE_FIELD[kind]
    value = _text(body.get(field)) if isinstance(body, dict) else None
    if value is None:
        return records.Rejection(where, shown, f'{key} factor without "{field}"')
    return records.RawFactor(where, user, kind, value)


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
