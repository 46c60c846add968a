"""A small emulated tenant and a CLI runner for the drift, export and demo tests (fake data)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from click.testing import CliRunner

from mfasync import emulator
from mfasync.cli import main

CLIENT_SECRET = "emulator-secret-DO-NOT-LEAK"
ALICE_PHONE = "+14155550123"
ALICE_EMAIL = "alice.smith@example.com"
BOB_SEED = "JBSWY3DPEHPK3PXP"

SEED: Mapping[str, Any] = {
    "users": [
        {
            "user_id": "auth0|alice",
            "email": ALICE_EMAIL,
            "methods": [
                {"type": "phone", "name": "SMS", "phone_number": ALICE_PHONE, "id": "phone|dev_a1"},
                {"type": "email", "name": "Mail", "email": ALICE_EMAIL, "id": "email|dev_a2"},
                {"type": "push", "name": "Guardian", "id": "push|dev_a3"},
            ],
        },
        {
            "user_id": "auth0|bob",
            "email": "bob@example.com",
            "methods": [
                {"type": "totp", "name": "App", "totp_secret": BOB_SEED, "id": "totp|dev_b1"},
                {"type": "passkey", "name": "Laptop", "id": "passkey|dev_b2"},
            ],
        },
        {"user_id": "auth0|carol", "email": "carol@example.com", "methods": []},
    ]
}


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str


def running() -> Iterator[emulator.Emulator]:
    """The seeded tenant in an emulator thread (the CLI runs its own event loop)."""
    tenant = emulator.seed_mapping(emulator.State(random_seed=3), SEED)
    config = emulator.Config(client_secret=CLIENT_SECRET)
    with emulator.run_in_thread(config, tenant) as emu:
        yield emu


def invoke(emu: emulator.Emulator, *args: str) -> Run:
    """`mfasync ARGS` through the real group, with AUTH0_* pointing at `emu`."""
    env = {
        "AUTH0_DOMAIN": emu.url,
        "AUTH0_CLIENT_ID": emu.client_id,
        "AUTH0_CLIENT_SECRET": CLIENT_SECRET,
        "AUTH0_ACCESS_TOKEN": None,
    }
    result = CliRunner().invoke(main.cli, list(args), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def writes(emu: emulator.Emulator) -> int:
    """Write requests the Management API received (the token request is not one)."""
    return sum(
        count
        for (verb, route, _status), count in emu.stats.snapshot().items()
        if verb in ("POST", "PUT", "PATCH", "DELETE") and route.startswith("/api/v2/")
    )
