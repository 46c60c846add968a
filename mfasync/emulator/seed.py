"""Filling a `State`: from a YAML or JSON file, from a Python mapping, or in bulk for benchmarks.

Seed format (values unmasked, any method type, `id` and `link_id` allowed; the whole format, with
an example of every key, is `docs/emulator.md`):

    users:
      - user_id: "auth0|alice"
        email: alice@example.com
        methods:
          - {type: phone, name: SMS, phone_number: "+14155550123"}
          - {type: push, name: Guardian}

`SEED_KEYS` and `USER_KEYS` are the only keys of the document and of a user: any other is refused
(a misspelt `methds:` would otherwise seed a user with no methods). A method is open: `type` is
required, and every key is stored and shown on reads as given (masked, or never for
`totp_secret`), so that a seed can build what the API would refuse; `METHOD_KEYS` are the keys the
emulator gives a meaning to. Seeding bypasses validation and entity limits on purpose: it builds
tenants the API could not (push, recovery-code, passkeys...). Problems raise `ValueError` naming
the place. This module must not start a server.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from mfasync.emulator import state as state_module

#: The keys of a seed document.
SEED_KEYS: tuple[str, ...] = ("users",)
#: The keys of one user of a seed.
USER_KEYS: tuple[str, ...] = ("user_id", "email", "methods")
#: The method keys the emulator gives a meaning to (any other is stored and shown as given).
METHOD_KEYS: Mapping[str, str] = {
    "type": "required: phone, email, totp, webauthn-roaming, passkey, push, ... (any string)",
    "id": "default: TYPE|dev_ + 16 seeded characters",
    "created_at": "default: the time of seeding",
    "name": "the display name",
    "confirmed": "shown as given (methods created through the API get true)",
    "link_id": "deleting one method deletes the methods linked to it",
    "phone_number": "E.164; masked on reads; a POST of the same number is a 409",
    "preferred_authentication_method": "sms or voice (phone)",
    "authentication_methods": "a phone's sub-authenticators, [{id, type: sms|voice}]",
    "email": "masked on reads; a POST of the same address is a 409",
    "totp_secret": "Base32; never shown; a POST of the same secret is a 409",
    "key_id": "webauthn-roaming and passkey; a POST of the same key is a 409",
    "public_key": "webauthn-roaming and passkey",
    "relying_party_identifier": "webauthn-roaming and passkey",
}

DEFAULT_BULK_METHODS: tuple[Mapping[str, Any], ...] = (
    {"type": "phone", "name": "SMS", "phone_number": "+1415{index:07d}"},
)


def _refuse_unknown(data: Mapping[str, Any], allowed: tuple[str, ...], *, where: str) -> None:
    unknown = sorted(str(key) for key in data if key not in allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r}; the keys are {', '.join(allowed)}")


def seed_mapping(
    tenant: state_module.State, data: Mapping[str, Any], *, source: str = "seed"
) -> state_module.State:
    """Add the users of `{"users": [...]}` to `tenant`; returns it."""
    if not isinstance(data, Mapping) or not isinstance(data.get("users", []), list):
        raise ValueError(f"{source}: expected a mapping with a 'users' list")
    _refuse_unknown(data, SEED_KEYS, where=source)
    for position, user in enumerate(data.get("users") or []):
        where = f"{source}: users[{position}]"
        if not isinstance(user, Mapping) or not isinstance(user.get("user_id"), str):
            raise ValueError(f"{where}: each user needs a string user_id")
        _refuse_unknown(user, USER_KEYS, where=where)
        email = user.get("email")
        if email is not None and not isinstance(email, str):
            raise ValueError(f"{where}: email must be a string")
        methods = user.get("methods") or []
        if not isinstance(methods, list) or not all(
            isinstance(m, Mapping) and isinstance(m.get("type"), str) for m in methods
        ):
            raise ValueError(f"{where}: methods must be a list of mappings, each with a type")
        try:
            tenant.add_user(user["user_id"], email=email, methods=methods)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    return tenant


def load_seed_file(
    path: str | pathlib.Path, *, tenant: state_module.State | None = None
) -> state_module.State:
    """Read a `.json` file as JSON, anything else as YAML, into `tenant` (a new State if None)."""
    file = pathlib.Path(path)
    text = file.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ValueError(f"{file}: not valid {file.suffix.lstrip('.') or 'YAML'}: {exc}") from None
    target = tenant if tenant is not None else state_module.State()
    return seed_mapping(target, data or {}, source=str(file))


def _expand(template: Mapping[str, Any], index: int) -> dict[str, Any]:
    return {
        key: value.format(index=index) if isinstance(value, str) else value
        for key, value in template.items()
    }


def add_bulk_users(
    tenant: state_module.State,
    count: int,
    *,
    user_id_format: str = "auth0|bulk{index:06d}",
    email_format: str | None = "bulk{index:06d}@example.com",
    methods: Iterable[Mapping[str, Any]] = DEFAULT_BULK_METHODS,
    start: int = 0,
) -> list[str]:
    """Add `count` users fast (100,000 in about a second); returns their ids in order.

    Every string in `user_id_format`, `email_format` and the method templates is formatted with
    `index` (`start`, `start + 1`, ...), so numbers and addresses differ between users.
    """
    templates = tuple(methods)
    user_ids = []
    for index in range(start, start + count):
        user_id = user_id_format.format(index=index)
        tenant.add_user(
            user_id,
            email=email_format.format(index=index) if email_format else None,
            methods=[_expand(template, index) for template in templates],
        )
        user_ids.append(user_id)
    return user_ids
