"""Decoding what the Management API sends: rate-limit headers, JSON bodies, methods, error details.

Tolerant where the real service varies (camelCase keys, a bare array instead of the
`include_totals` object, a missing `total`, unknown types, extra fields), strict where a wrong
shape would mislead the planner: such an answer is a `MalformedResponseError`. Messages never echo
a field value (masked numbers, emails or key material): only field names and error kinds.
This module does no I/O.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import pydantic

from mfasync import errors, models

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


_RATE_LIMIT_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
_NO_RATE_LIMIT = models.RateLimit()


def rate_limit(headers: Mapping[str, str]) -> models.RateLimit:
    """The `x-ratelimit-*` headers of a response; missing or garbage values become None."""
    if not any(name in headers for name in _RATE_LIMIT_HEADERS):
        # A tenant (or emulator) without rate-limit headers: one shared empty value (frozen)
        # rather than a new model per response.
        return _NO_RATE_LIMIT
    return models.RateLimit(
        limit=_count(headers.get("x-ratelimit-limit")),
        remaining=_count(headers.get("x-ratelimit-remaining")),
        reset_at_s=_seconds(headers.get("x-ratelimit-reset")),
    )


def retry_after_s(headers: Mapping[str, str], *, now_s: float) -> float | None:
    """`Retry-After` as a delay in seconds (delta-seconds or an HTTP date), or None."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    delay = _seconds(raw)
    if delay is not None:
        return delay
    try:
        moment = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # RFC 9110 dates are GMT; a naive one cannot be placed
        return None
    return max(0.0, moment.timestamp() - now_s)


def _seconds(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _count(raw: str | None) -> int | None:
    value = _seconds(raw)
    return int(value) if value is not None and value.is_integer() else None


class NotJson(ValueError):
    """The body is not a JSON document (HTML page, truncated, not UTF-8)."""


def decode_json(body: bytes) -> object:
    """The JSON document in `body`; raises `NotJson` (never with the body in the message)."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotJson("not a JSON document") from exc
    except RecursionError:
        # Deeply nested arrays (`[[[[...`) exhaust the decoder's stack; no API answer nests so.
        raise NotJson("a JSON document nested too deeply") from None


def body_excerpt(body: bytes) -> str:
    """A short, printable excerpt of a foreign body for a message."""
    return errors.excerpt(body.decode("utf-8", errors="replace"))


@dataclass(frozen=True, slots=True)
class ErrorDetails:
    """What an error answer says: the API's `message` (or the body's excerpt) and `errorCode`."""

    message: str
    error_code: str | None


def error_details(body: bytes, *, reason: str) -> ErrorDetails:
    """Read an error body: the API's JSON, an OAuth error, or any other text (cut to 256)."""
    try:
        payload = decode_json(body)
    except NotJson:
        text = body_excerpt(body)
        return ErrorDetails(message=text or reason or "no details", error_code=None)
    if not isinstance(payload, dict):
        return ErrorDetails(message=body_excerpt(body) or reason, error_code=None)
    code = payload.get("errorCode")
    error_code = code if isinstance(code, str) and code else None
    attributes = payload.get("attributes")
    candidates = (
        payload.get("message"),
        payload.get("error_description"),
        attributes.get("error") if isinstance(attributes, dict) else None,
        payload.get("error"),
    )
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return ErrorDetails(message=errors.excerpt(candidate), error_code=error_code)
    return ErrorDetails(message=body_excerpt(body) or reason or "no details", error_code=error_code)


def _snake_keys(item: Mapping[str, object]) -> dict[str, object]:
    """camelCase keys (`keyId`, `phoneNumber`...) to snake_case; a snake_case key present wins."""
    result = dict(item)
    if all(key.islower() for key in item):
        # No upper-case letter anywhere (the API's usual snake_case): the regex would change
        # nothing, and it costs more than validating the method.
        return result
    for key, value in item.items():
        snake = _CAMEL_BOUNDARY.sub("_", key).lower()
        if snake != key and snake not in item:
            result[snake] = value
    return result


def live_method(payload: object, *, where: str) -> models.LiveMethod:
    """One method object of an answer, or `MalformedResponseError` naming the bad fields only."""
    if not isinstance(payload, dict):
        raise errors.MalformedResponseError(
            f"{where}: expected a method object, got {type(payload).__name__}"
        )
    fields = _snake_keys(payload)
    method_type = fields.get("type")
    if isinstance(method_type, str):
        fields["type"] = models.TYPE_ALIASES.get(method_type, method_type)
    fields["sub_method_ids"] = _sub_method_ids(fields.pop("authentication_methods", None))
    fields.pop("sub_method", None)  # ours to decide (`mark_sub_methods`), never the answer's
    for stamp in ("enrolled_at", "last_auth_at"):
        if not isinstance(fields.get(stamp), str):
            fields.pop(stamp, None)  # informative only: a strange value is dropped, not fatal
    try:
        return models.LiveMethod.model_validate(fields)
    except pydantic.ValidationError as exc:
        # Never exc's text: pydantic repeats the input values (masked numbers, key material).
        problems = ", ".join(
            f"{'.'.join(str(part) for part in error['loc'])} {error['type']}"
            for error in exc.errors()
        )
        raise errors.MalformedResponseError(f"{where}: invalid method ({problems})") from None


def _sub_method_ids(raw: object) -> tuple[str, ...]:
    """The ids in a method's `authentication_methods` (anything malformed there is skipped)."""
    if not isinstance(raw, list):
        return ()
    return tuple(
        item["id"] for item in raw if isinstance(item, dict) and isinstance(item.get("id"), str)
    )


def mark_sub_methods(methods: tuple[models.LiveMethod, ...]) -> tuple[models.LiveMethod, ...]:
    """Entries that are another entry's sub-authenticator (`sms|dev_...` listed beside its
    phone) marked `sub_method`, so that nothing plans to delete them as methods."""
    owned = {sub_id: method.id for method in methods for sub_id in method.sub_method_ids}
    if not owned:
        return methods
    return tuple(
        method.model_copy(update={"sub_method": True})
        if owned.get(method.id, method.id) != method.id
        else method
        for method in methods
    )


@dataclass(frozen=True, slots=True)
class MethodPage:
    """One page of a list answer: its methods, and `total` when the API gave one."""

    methods: tuple[models.LiveMethod, ...]
    total: int | None


def method_page(payload: object, *, where: str) -> MethodPage:
    """A list answer: `{"authenticators": [...], "total": n}` (total optional) or a bare array."""
    total: int | None = None
    items: object = payload
    if isinstance(payload, dict):
        items = payload.get("authenticators")
        raw_total = payload.get("total")
        if isinstance(raw_total, int) and not isinstance(raw_total, bool) and raw_total >= 0:
            total = raw_total
    if not isinstance(items, list):
        raise errors.MalformedResponseError(
            f"{where}: expected a list of methods or an object with 'authenticators'"
        )
    return MethodPage(methods=tuple(live_method(item, where=where) for item in items), total=total)


def user_ids(payload: object, *, where: str) -> tuple[str, ...]:
    """The `user_id`s of a users-by-email answer (an array of users), sorted and distinct."""
    if not isinstance(payload, list):
        raise errors.MalformedResponseError(f"{where}: expected an array of users")
    found: set[str] = set()
    for user in payload:
        user_id = user.get("user_id") if isinstance(user, dict) else None
        if not isinstance(user_id, str) or not user_id:
            raise errors.MalformedResponseError(f"{where}: a user without a 'user_id'")
        found.add(user_id)
    return tuple(sorted(found))
