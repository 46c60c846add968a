"""Filling a `State`: from a YAML or JSON file, from a Python mapping, or in bulk for benchmarks.

Seed format (values unmasked, any method type, `id` and `link_id` allowed):

    users:
      - user_id: "auth0|alice"
        email: alice@example.com
        methods:
          - {type: phone, name: SMS, phone_number: "+14155550123"}
          - {type: push, name: Guardian}

Seeding bypasses validation and entity limits on purpose: it builds tenants the API could not
(push, recovery-code, passkeys...). Problems raise `ValueError` naming the place. This module
must not start a server.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from mfasync.emulator import state as state_module

DEFAULT_BULK_METHODS: tuple[Mapping[str, Any], ...] = (
    {"type": "phone", "name": "SMS", "phone_number": "+1415{index:07d}"},
)


def seed_mapping(
    tenant: state_module.State, data: Mapping[str, Any], *, source: str = "seed"
) -> state_module.State:
    """Add the users of `{"users": [...]}` to `tenant`; returns it."""
    if not isinstance(data, Mapping) or not isinstance(data.get("users", []), list):
        raise ValueError(f"{source}: expected a mapping with a 'users' list")
    for position, user in enumerate(data.get("users") or []):
        where = f"{source}: users[{position}]"
        if not isinstance(user, Mapping) or not isinstance(user.get("user_id"), str):
            raise ValueError(f"{where}: each user needs a string user_id")
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
