"""Fingerprints: digests that let mfasync recognise a value or a plan without holding it.

- `Fingerprinter`: keyed fingerprints (HMAC-SHA256 under the tenant's random state key) of declared
  values, for the state's method records and a saved plan's value fingerprints. Without a key
  (`--state none`) there are none at all: an unkeyed hash of a phone number is brute-forced back
  to the number in well under a second, so it is never written anywhere.
- `live_fingerprint`: what the planner reads of a user's listing (masked values only).
- `action_digest`: a user's actions, with their values' keyed fingerprints when there is a key.

The digests are compared, never reversed; nothing here is ever shown as a value.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from mfasync import masking, models
from mfasync.plans.displays import EMAIL_KEY_PREFIX

if TYPE_CHECKING:
    from mfasync.plans.actions import Action

_DIGEST_HEX = 32
_KEY_ID_HEX = 16
#: Without a state, a saved plan stores an `email:` user by the id it resolved to.
EMAIL_OF_PREFIX = "email-of:"
EMAIL_UNRESOLVED = "email-unresolved"
_KEYED_EMAIL_KEY_PREFIX = "email-hmac:"


@dataclasses.dataclass(frozen=True, slots=True)
class Fingerprinter:
    """Keyed fingerprints of declared values. `key=None` (no state): no fingerprints at all.

    Each fingerprint is the full HMAC-SHA256 hex of a domain-separated message, so a state record
    and a saved plan's field fingerprint of the same value differ, and so do two tenants' (each has
    its own random key).
    """

    key: bytes | None = dataclasses.field(default=None, repr=False)

    @property
    def enabled(self) -> bool:
        return self.key is not None

    @property
    def key_id(self) -> str | None:
        """A short public name of the key: a plan saved under one state is checked with it."""
        return self._mac("key-id")[:_KEY_ID_HEX] if self.key is not None else None

    def method(self, method: models.DesiredMethod) -> str | None:
        """The record fingerprint of a desired method's value (None: no key, or no known value)."""
        return self._of_value(method_value(method))

    def body(self, body: Mapping[str, object]) -> str | None:
        """The record fingerprint of what a POST / PUT item carries: equals `method()` for it."""
        return self._of_value(body_value(body))

    def field(self, user_key: str, value: str) -> str | None:
        """A saved plan's fingerprint of one field value of one user."""
        return self._mac("plan-field", user_key, value) if self.key is not None else None

    def desired_user(self, user: models.DesiredUser) -> str | None:
        """A fingerprint of a user's whole desired entry (values keyed): did the entry change?"""
        if self.key is None:
            return None
        entry = {
            "key": user.key,
            "prune": user.prune.value,
            "ignore": sorted(field.value for field in user.ignore),
            "declared_empty": user.declared_empty,
            "methods": [
                _method_digest_item(method, user_key=user.key, fingerprinter=self)
                for method in user.methods
            ],
        }
        return self._mac("desired-user", _DIGEST_ENCODER.encode(entry))

    def _of_value(self, value: str | None) -> str | None:
        if self.key is None or value is None:
            return None
        return self._mac("method-value", value)

    def _mac(self, *parts: str) -> str:
        assert self.key is not None
        message = "\0".join(("mfasync/v2", *parts)).encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()


NO_KEY = Fingerprinter()
"""The fingerprinter of a stateless run: it fingerprints nothing."""


def method_value(method: models.DesiredMethod) -> str | None:
    """The value that identifies a desired method, as one string (None: not known)."""
    seed = (
        method.totp_secret.value.get_secret_value()
        if method.totp_secret is not None and method.totp_secret.value is not None
        else None
    )
    return _identity(
        method.type.value,
        phone_number=method.phone_number,
        email=method.email,
        totp_secret=seed,
        key_id=method.key_id,
        public_key=method.public_key,
    )


def body_value(body: Mapping[str, object]) -> str | None:
    """`method_value` of what a request body carries."""

    def text(field: str) -> str | None:
        value = body.get(field)
        return value if isinstance(value, str) else None

    return _identity(
        text("type") or "",
        phone_number=text("phone_number"),
        email=text("email"),
        totp_secret=text("totp_secret"),
        key_id=text("key_id"),
        public_key=text("public_key"),
    )


def _identity(
    kind: str,
    *,
    phone_number: str | None,
    email: str | None,
    totp_secret: str | None,
    key_id: str | None,
    public_key: str | None,
) -> str | None:
    if kind == models.MethodType.PHONE:
        value = phone_number
    elif kind == models.MethodType.EMAIL:
        value = email.lower() if email is not None else None  # addresses compare without case
    elif kind == models.MethodType.TOTP:
        value = totp_secret
    elif kind == models.MethodType.WEBAUTHN_ROAMING:
        value = f"{key_id}\0{public_key}" if key_id is not None and public_key is not None else None
    else:
        value = None
    return f"{kind}\0{value}" if value is not None else None


def live_fingerprint(live: Sequence[models.LiveMethod]) -> str:
    """A fingerprint of a user's live methods, stable under reordering.

    Covers id, type, name, the masked values, the preferred method and key_id: what the planner
    looks at, so an unchanged fingerprint means an unchanged plan input. Phone numbers and
    addresses go in masked as a masked tenant shows them, even from a tenant that reads them in
    full: this digest is a plain SHA-256 in a plan file, and a full number is guessable.
    """
    entries = [
        [
            method.id,
            method.type,
            method.name,
            None if method.phone_number is None else masking.redact_phone(method.phone_number),
            None if method.email is None else masking.redact_email(method.email),
            method.preferred_authentication_method,
            method.key_id,
        ]
        for method in live
    ]
    # Sorted by each entry's JSON text, not the tuples: two entries that tie on id and type (a
    # malformed listing) may hold None beside a string, which tuples cannot compare.
    entries.sort(key=_DIGEST_ENCODER.encode)
    return digest(entries)


def saved_user_key(
    key: str, fingerprinter: Fingerprinter = NO_KEY, *, user_id: str | None = None
) -> str:
    """How a user key is stored in a saved plan: an `email:` key never in clear, never hashed bare.

    With a state, the HMAC of the address under the state's key. Without one there is no key, and
    a bare hash of an address is no secret (anyone can hash a guess): the entry is stored by the
    user id the address resolved to (`email-of:ID`, `user_id`), and `apply --plan` resolves the
    manifests' addresses again to find it. An address that resolved to nobody is stored as
    `email-unresolved` (its saved error is all apply needs).
    """
    if not key.startswith(EMAIL_KEY_PREFIX):
        return key
    # case-folded first: emails compare case-insensitively, so a manifest that changes an
    # address's case between `plan --out` and `apply --plan` still finds its user
    key = EMAIL_KEY_PREFIX + key[len(EMAIL_KEY_PREFIX) :].casefold()
    keyed = fingerprinter.field("", key)
    if keyed is not None:
        return _KEYED_EMAIL_KEY_PREFIX + keyed[:_DIGEST_HEX]
    return EMAIL_OF_PREFIX + user_id if user_id is not None else EMAIL_UNRESOLVED


#: One encoder for every digest: `json.dumps` with these options builds a new encoder per call,
#: a third of a digest's cost, once per planned user. Same options, so the same text.
_DIGEST_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def digest(document: object) -> str:
    """A short SHA-256 of a JSON-able document, its keys sorted."""
    text = _DIGEST_ENCODER.encode(document)
    return hashlib.sha256(text.encode()).hexdigest()[:_DIGEST_HEX]


#: `UserPlan.action_digest` of a user with no actions (most users): the digest of `[]`.
_NO_ACTIONS_DIGEST = digest([])


def method_fingerprints(
    method: models.DesiredMethod, *, user_key: str, fingerprinter: Fingerprinter
) -> dict[str, str]:
    """Keyed fingerprints of a desired method's values (none without a key)."""
    if not fingerprinter.enabled:
        return {}
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
        field: fingerprint
        for field, value in sorted(values.items())
        if value is not None and (fingerprint := fingerprinter.field(user_key, value)) is not None
    }


def _method_digest_item(
    method: models.DesiredMethod, *, user_key: str, fingerprinter: Fingerprinter
) -> dict[str, object]:
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
        "values": method_fingerprints(method, user_key=user_key, fingerprinter=fingerprinter),
    }


def _action_digest_item(
    action: Action, *, user_key: str, fingerprinter: Fingerprinter
) -> dict[str, object]:
    return {
        "op": action.op.value,
        "type": action.type,
        "name": action.name,
        "method_id": action.method_id,
        "changes": [[c.field, c.old, c.new] for c in action.changes],
        "method": (
            _method_digest_item(action.method, user_key=user_key, fingerprinter=fingerprinter)
            if action.method is not None
            else None
        ),
        "methods": [
            _method_digest_item(m, user_key=user_key, fingerprinter=fingerprinter)
            for m in action.methods
        ],
        "replaced": sorted(method.id for method in action.replaced),
    }


def action_digest(
    actions: Sequence[Action], *, user_key: str, fingerprinter: Fingerprinter = NO_KEY
) -> str:
    """A digest of a user's actions (for saved-plan checks), with keyed value fingerprints.

    Without a key the values are left out: a manifest value changed between `plan --out` and
    `apply --plan` is then seen only where it changes what the plan shows (a masked phone, a name).
    """
    if not actions:
        return _NO_ACTIONS_DIGEST
    return digest(
        [
            _action_digest_item(action, user_key=user_key, fingerprinter=fingerprinter)
            for action in actions
        ]
    )
