"""Fingerprints: short digests that let a saved plan be checked without holding a value.

A live fingerprint covers what the planner reads of a user's listing; an action digest covers the
actions with their values' fingerprints; a value fingerprint is a salted SHA-256 of one value. The
digests are compared, never reversed; nothing here is ever shown as a value.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mfasync import models

if TYPE_CHECKING:
    from mfasync.plans.actions import Action

_FINGERPRINT_HEX = 16  # 64 bits: collisions are irrelevant at a few methods per user
_DIGEST_HEX = 32
_SAVED_EMAIL_KEY_PREFIX = "email-sha256:"
_EMAIL_KEY_PREFIX = "email:"


def value_fingerprint(user_key: str, value: str) -> str:
    """A salted SHA-256 of a value (secret, phone number, email), short hex.

    The salt (the user key) makes equal values of different users look unrelated. It does not make a
    phone number unguessable by brute force: a plan file stays a mode-0600 file.
    """
    material = f"mfasync/v1\0{user_key}\0{value}".encode()
    return hashlib.sha256(material).hexdigest()[:_FINGERPRINT_HEX]


def live_fingerprint(live: Sequence[models.LiveMethod]) -> str:
    """A fingerprint of a user's live methods, stable under reordering.

    Covers id, type, name, the masked values, the preferred method and key_id: what the planner
    looks at, so an unchanged fingerprint means an unchanged plan input.
    """
    entries = [
        [
            method.id,
            method.type,
            method.name,
            method.phone_number,
            method.email,
            method.preferred_authentication_method,
            method.key_id,
        ]
        for method in live
    ]
    # Sorted by each entry's JSON text, not the tuples: two entries that tie on id and type (a
    # malformed listing) may hold None beside a string, which tuples cannot compare.
    entries.sort(key=_DIGEST_ENCODER.encode)
    return digest(entries)


def saved_user_key(key: str) -> str:
    """How a user key is stored in a saved plan: `email:` keys fingerprinted, never in clear."""
    if key.startswith(_EMAIL_KEY_PREFIX):
        return _SAVED_EMAIL_KEY_PREFIX + value_fingerprint("", key)
    return key


#: One encoder for every digest: `json.dumps` with these options builds a new encoder per call,
#: a third of a digest's cost, once per planned user. Same options, so the same text.
_DIGEST_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def digest(document: object) -> str:
    """A short SHA-256 of a JSON-able document, its keys sorted."""
    text = _DIGEST_ENCODER.encode(document)
    return hashlib.sha256(text.encode()).hexdigest()[:_DIGEST_HEX]


#: `UserPlan.action_digest` of a user with no actions (most users): the digest of `[]`.
_NO_ACTIONS_DIGEST = digest([])


def method_fingerprints(method: models.DesiredMethod, *, user_key: str) -> dict[str, str | None]:
    """Fingerprints of a desired method's values (what identifies what would be written)."""
    values: dict[str, str | None] = {
        "phone_number": method.phone_number,
        "email": method.email,
        "key_id": method.key_id,
        "public_key": method.public_key,
        "totp_secret": (
            method.totp_secret.value.get_secret_value()
            if method.totp_secret is not None and method.totp_secret.value is not None
            else None
        ),
    }
    return {
        field: value_fingerprint(user_key, value)
        for field, value in sorted(values.items())
        if value is not None
    }


def _method_digest_item(method: models.DesiredMethod, *, user_key: str) -> dict[str, object]:
    return {
        "type": method.type.value,
        "id": method.id,
        "name": method.name,
        "preferred_authentication_method": (
            method.preferred_authentication_method.value
            if method.preferred_authentication_method is not None
            else None
        ),
        "relying_party_identifier": method.relying_party_identifier,
        "values": method_fingerprints(method, user_key=user_key),
    }


def _action_digest_item(action: Action, *, user_key: str) -> dict[str, object]:
    return {
        "op": action.op.value,
        "type": action.type,
        "name": action.name,
        "method_id": action.method_id,
        "changes": [[c.field, c.old, c.new] for c in action.changes],
        "method": (
            _method_digest_item(action.method, user_key=user_key)
            if action.method is not None
            else None
        ),
        "methods": [_method_digest_item(m, user_key=user_key) for m in action.methods],
        "replaced": sorted(method.id for method in action.replaced),
    }


def action_digest(actions: Sequence[Action], *, user_key: str) -> str:
    """A fingerprint over a user's actions, value fingerprints included (for saved-plan checks)."""
    if not actions:
        return _NO_ACTIONS_DIGEST
    return digest([_action_digest_item(action, user_key=user_key) for action in actions])
