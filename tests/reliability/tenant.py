"""A seeded tenant and its manifests for the reliability tests (fake data only).

`build(count, seed)` gives an emulator seed (users with live methods) and the manifest YAML plus
the `.secrets.yaml` that declare what each user should end with: migrations (one PUT), number
changes (create then delete), renames, creates beside a push factor that must survive, prunes,
unchanged users and security keys. `expected(...)` says what the tenant must hold afterwards, and
`duplicates(...)` finds a method held twice.
"""

from __future__ import annotations

import base64
import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mfasync import emulator

MANAGED = ("phone", "email", "totp", "webauthn-roaming")
SECRETS_FILE = ".secrets.yaml"


def totp_seed(index: int, salt: str = "") -> str:
    """A distinct, valid un-padded Base32 seed per user (fake, derived from the index)."""
    digest = hashlib.sha256(f"mfasync-reliability-{salt}{index}".encode()).digest()[:10]
    return base64.b32encode(digest).decode().rstrip("=")


def phone(index: int, area: str = "415") -> str:
    # Other area codes shift the number too: reads show only the last four digits, so a number
    # change that kept them would be invisible (the documented limit of masked matching).
    shift = 0 if area == "415" else 5000
    return f"+1{area}55{index + shift:05d}"


@dataclass
class Tenant:
    """The seed, the declared users, and the secrets behind their `${file:...}` references."""

    seed_users: list[dict[str, Any]] = field(default_factory=list)
    declared: list[dict[str, Any]] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)

    def state(self, *, random_seed: int = 1) -> emulator.State:
        state = emulator.State(random_seed=random_seed)
        emulator.seed_mapping(state, {"users": self.seed_users})
        state.reset_history()  # the record starts from the seeded tenant
        return state

    def write_manifests(self, folder: Path, *, per_file: int = 100) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for start in range(0, len(self.declared), per_file):
            document = {"version": 1, "users": self.declared[start : start + per_file]}
            path = folder / f"users-{start // per_file:04d}.yaml"
            path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        (folder / SECRETS_FILE).write_text(yaml.safe_dump(self.secrets), encoding="utf-8")
        return folder

    def user_ids(self) -> list[str]:
        return [user["user_id"] for user in self.seed_users]


def _key_id(index: int) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(f"key{index}".encode()).digest()).decode()


def build(count: int, *, seed: int = 0) -> Tenant:
    """`count` users of ten kinds, shuffled by `seed` so that kinds interleave differently."""
    rng = random.Random(seed)
    kinds = [index % 10 for index in range(count)]
    rng.shuffle(kinds)
    tenant = Tenant()
    for index, kind in enumerate(kinds):
        user_id = f"auth0|rel{index:04d}"
        seed_key = f"u{index:04d}"
        secret = totp_seed(index, salt=str(seed))
        number = phone(index)
        totp = {
            "type": "totp",
            "name": "Authenticator",
            "totp_secret": f"${{file:{SECRETS_FILE}#{seed_key}}}",
        }
        live: list[dict[str, Any]]
        methods: list[dict[str, Any]]
        if kind == 0:  # migration: nothing live -> one PUT
            live = []
            methods = [{"type": "phone", "name": "Work phone", "phone_number": number}, totp]
        elif kind == 1:  # number change beside a recovery code: create, then delete
            live = [
                {"type": "phone", "name": "Mobile", "phone_number": phone(index, "650")},
                {"type": "recovery-code"},
            ]
            methods = [{"type": "phone", "name": "Mobile", "phone_number": number}]
        elif kind == 2:  # rename and add an email
            live = [{"type": "phone", "name": "SMS", "phone_number": number}]
            methods = [
                {"type": "phone", "name": "Work phone", "phone_number": number},
                {"type": "email", "name": "Mail", "email": f"rel{index}@example.com"},
            ]
        elif kind == 3:  # push must survive: creates only
            live = [{"type": "push", "name": "Guardian"}]
            methods = [{"type": "phone", "name": "Work phone", "phone_number": number}, totp]
        elif kind == 4:  # prune an email beside a recovery code
            live = [
                {"type": "phone", "name": "SMS", "phone_number": number},
                {"type": "email", "name": "Old mail", "email": f"old{index}@example.com"},
                {"type": "recovery-code"},
            ]
            methods = [{"type": "phone", "name": "SMS", "phone_number": number}]
        elif kind == 5:  # unchanged
            live = [{"type": "phone", "name": "SMS", "phone_number": number}]
            methods = [{"type": "phone", "name": "SMS", "phone_number": number}]
        elif kind == 6:  # migration with email and phone
            live = []
            methods = [
                {"type": "email", "name": "Mail", "email": f"rel{index}@example.com"},
                {"type": "phone", "name": "Home", "phone_number": number},
            ]
        elif kind == 7:  # add a totp beside a push and a phone
            live = [
                {"type": "push", "name": "Guardian"},
                {"type": "phone", "name": "SMS", "phone_number": number},
            ]
            methods = [{"type": "phone", "name": "SMS", "phone_number": number}, totp]
        elif kind == 8:  # unchanged totp (matched by name; the secret cannot be read back)
            live = [{"type": "totp", "name": "Authenticator", "totp_secret": secret}]
            methods = [totp]
        else:  # a security key beside a phone
            live = [{"type": "phone", "name": "SMS", "phone_number": number}]
            methods = [
                {"type": "phone", "name": "SMS", "phone_number": number},
                {
                    "type": "webauthn-roaming",
                    "name": "YubiKey",
                    "key_id": _key_id(index),
                    "public_key": base64.b64encode(f"pk{index}".encode()).decode(),
                    "relying_party_identifier": "example.com",
                },
            ]
        tenant.seed_users.append(
            {"user_id": user_id, "email": f"rel{index}@example.com", "methods": live}
        )
        tenant.declared.append({"user_id": user_id, "methods": methods})
        if any(method["type"] == "totp" for method in methods):
            tenant.secrets[seed_key] = secret
    return tenant


def _value(method: dict[str, Any], secrets: dict[str, str]) -> str | None:
    for name in ("phone_number", "email", "key_id"):
        if name in method:
            return str(method[name])
    secret = method.get("totp_secret")
    if isinstance(secret, str) and secret.startswith("${file:"):
        return secrets[secret.rsplit("#", 1)[1].rstrip("}")]
    return secret


def fingerprint(
    methods: list[dict[str, Any]], secrets: dict[str, str]
) -> list[tuple[str, str, str]]:
    """(type, value, name) of each method, sorted: comparable between declared and live."""
    return sorted((str(m["type"]), str(_value(m, secrets)), str(m.get("name"))) for m in methods)


def expected(tenant: Tenant) -> dict[str, list[tuple[str, str, str]]]:
    """What each user must hold: the declared managed methods plus the unmanaged live ones."""
    result = {}
    for seeded, declared in zip(tenant.seed_users, tenant.declared, strict=True):
        kept = [m for m in seeded["methods"] if m["type"] not in MANAGED]
        result[seeded["user_id"]] = fingerprint(declared["methods"] + kept, tenant.secrets)
    return result


def actual(state: emulator.State, user_ids: list[str]) -> dict[str, list[tuple[str, str, str]]]:
    return {user_id: fingerprint(state.methods_of(user_id), {}) for user_id in user_ids}


def duplicates(state: emulator.State, user_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Users holding one managed (type, value) more than once."""
    found = {}
    for user_id in user_ids:
        counts = Counter(
            (str(m["type"]), str(_value(m, {})))
            for m in state.methods_of(user_id)
            if m["type"] in MANAGED
        )
        twice = sorted(key for key, count in counts.items() if count > 1)
        if twice:
            found[user_id] = twice
    return found
