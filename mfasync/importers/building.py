"""Turn parsed legacy records into desired users and a secrets mapping (pure, deterministic).

Every value is checked with the manifests' rules (`validation`); a bad one becomes a rejection
with its place and reason, never a silent drop. Rows of one user are merged; an email-only row
joins the user whose row gave that email beside a user_id, when exactly one did. TOTP seeds are
moved out of the users into a flat mapping `key -> Base32`, and the users reference them as
`${file:<secrets file>#<key>}`, so the manifests hold no secret. Users are sorted by key.
This module does no I/O and must never put a secret or a full phone number into a message.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from pydantic import SecretStr

from mfasync import models
from mfasync.importers import records, validation

SECRETS_FILE = ".secrets.yaml"
KEY_MAX_CHARS = 80  # keeps secret keys readable; uniqueness is enforced after cutting


@dataclass(frozen=True, slots=True)
class Result:
    """The import, ready to be written. `secrets` pairs are sorted by key; values stay hidden."""

    users: tuple[models.DesiredUser, ...]
    secrets: tuple[tuple[str, SecretStr], ...] = field(repr=False)
    rejections: tuple[records.Rejection, ...]
    unmigratable: tuple[records.Unmigratable, ...]
    duplicates: int  # factors listed twice, identically, and written once


@dataclass(frozen=True, slots=True)
class _Checked:
    where: records.Where
    kind: records.Kind
    value: str = field(repr=False)
    name: str | None
    preferred: models.PreferredMethod | None


def build(
    parsed: records.Parsed,
    *,
    prune: models.Prune = models.Prune.NONE,
    secrets_file: str = SECRETS_FILE,
) -> Result:
    """Validate, merge and key the parsed records. Same input, same result."""
    rejections = list(parsed.rejections)
    aliases = _email_aliases(parsed.factors)
    grouped: dict[str, tuple[records.UserRef, list[_Checked]]] = {}
    duplicates = 0
    for raw in parsed.factors:
        try:
            user = _identity(raw.user, aliases=aliases)
            checked = _check(raw)
        except validation.Invalid as exc:
            rejections.append(records.Rejection(raw.where, str(raw.user), exc.reason))
            continue
        key = user.user_id if user.user_id is not None else f"email:{user.email}"
        _, methods = grouped.setdefault(key, (user, []))
        first = next(
            (m for m in methods if (m.kind, m.value) == (checked.kind, checked.value)), None
        )
        if first is None:
            methods.append(checked)
        elif (first.name, first.preferred) == (checked.name, checked.preferred):
            duplicates += 1  # the same factor twice: written once, counted in the report
        else:
            reason = (
                f"same {checked.kind.value} as {first.where} with a different name or "
                "preferred method: keep one of them"
            )
            rejections.append(records.Rejection(raw.where, key, reason))
    users, secrets = _users(grouped, prune=prune, secrets_file=secrets_file)
    return Result(
        users=users,
        secrets=secrets,
        rejections=tuple(sorted(rejections, key=lambda r: r.where.sort_key)),
        unmigratable=parsed.unmigratable,
        duplicates=duplicates,
    )


def _email_aliases(factors: Iterable[records.RawFactor]) -> dict[str, frozenset[str]]:
    """Normalised email -> the user_ids rows gave beside it."""
    seen: defaultdict[str, set[str]] = defaultdict(set)
    for raw in factors:
        if raw.user.user_id is None or raw.user.email is None:
            continue
        try:
            seen[validation.email(raw.user.email)].add(raw.user.user_id)
        except validation.Invalid:
            continue  # the user_id names the user; a bad extra address does not matter
    return {address: frozenset(ids) for address, ids in seen.items()}


def _identity(user: records.UserRef, *, aliases: dict[str, frozenset[str]]) -> records.UserRef:
    if user.user_id is not None:
        return records.UserRef(user_id=validation.user_id(user.user_id))
    if user.email is None:
        raise validation.Invalid("missing user: no user_id and no email")
    try:
        address = validation.email(user.email)
    except validation.Invalid as exc:
        raise validation.Invalid(f"the user's email is not valid: {exc.reason}") from exc
    ids = aliases.get(address, frozenset())
    if len(ids) == 1:
        return records.UserRef(user_id=next(iter(ids)))
    if len(ids) > 1:
        listed = ", ".join(sorted(ids))
        raise validation.Invalid(f"this email belongs to several user_ids ({listed}): give one")
    return records.UserRef(email=address)


def _check(raw: records.RawFactor) -> _Checked:
    name = validation.name(raw.name) if raw.name is not None else None
    preferred: models.PreferredMethod | None = None
    if raw.kind is records.Kind.PHONE:
        value = validation.phone(raw.value)
        # Spelled out even when it is the default, so that the manifest parses back to it.
        preferred = models.PreferredMethod(raw.preferred or models.PreferredMethod.SMS.value)
    elif raw.kind is records.Kind.EMAIL:
        value = validation.email(raw.value)
    else:
        value = validation.totp(raw.value)
    return _Checked(raw.where, raw.kind, value, name, preferred)


def _users(
    grouped: dict[str, tuple[records.UserRef, list[_Checked]]],
    *,
    prune: models.Prune,
    secrets_file: str,
) -> tuple[tuple[models.DesiredUser, ...], tuple[tuple[str, SecretStr], ...]]:
    users: list[models.DesiredUser] = []
    secrets: dict[str, SecretStr] = {}
    bases: set[str] = set()
    for key in sorted(grouped):
        ref, checked = grouped[key]
        methods: list[models.DesiredMethod] = []
        totp_count = 0
        base = ""
        for item in checked:
            if item.kind is records.Kind.TOTP:
                if not base:
                    # Users are visited in sorted order, so which of two users whose keys sanitise
                    # alike (auth0|Alice, auth0|alice) gets `_2` is stable.
                    base = _unique(secret_key_base(key), taken=bases)
                    bases.add(base)
                totp_count += 1
                secret_key = _unique(_secret_key(base, totp_count), taken=secrets.keys())
                secrets[secret_key] = SecretStr(item.value)
                source = models.SecretSource(reference=f"${{file:{secrets_file}#{secret_key}}}")
                methods.append(
                    models.DesiredMethod(
                        type=models.MethodType.TOTP, name=item.name, totp_secret=source
                    )
                )
            elif item.kind is records.Kind.PHONE:
                methods.append(
                    models.DesiredMethod(
                        type=models.MethodType.PHONE,
                        name=item.name,
                        phone_number=item.value,
                        preferred_authentication_method=item.preferred,
                    )
                )
            else:
                methods.append(
                    models.DesiredMethod(
                        type=models.MethodType.EMAIL, name=item.name, email=item.value
                    )
                )
        users.append(
            models.DesiredUser(
                user_id=ref.user_id, email=ref.email, prune=prune, methods=tuple(methods)
            )
        )
    return tuple(users), tuple(sorted(secrets.items()))


def secret_key_base(user_key: str) -> str:
    """`auth0|Alice.B` -> `auth0_alice_b`: lower case letters, digits and single underscores."""
    base = re.sub(r"[^a-z0-9]+", "_", user_key.lower()).strip("_")
    return base[:KEY_MAX_CHARS].rstrip("_") or "user"


def _secret_key(base: str, ordinal: int) -> str:
    return f"{base}_totp" if ordinal == 1 else f"{base}_totp_{ordinal}"


def _unique(candidate: str, *, taken: Collection[str]) -> str:
    if candidate not in taken:
        return candidate
    number = 2
    while f"{candidate}_{number}" in taken:
        number += 1
    return f"{candidate}_{number}"
