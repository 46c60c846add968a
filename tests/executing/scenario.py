"""A small tenant and its manifests for the executor's integration tests (fake data only)."""

from __future__ import annotations

from typing import Any

from mfasync import emulator, models

# Example Base32 seeds, obviously fake; each user gets its own so the emulator's totp 409 rule
# (same secret twice) never fires across users.
SEEDS = [f"JBSWY3DPEHPK3PX{letter}" for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
ENVIRON = {f"TOTP_{index}": seed for index, seed in enumerate(SEEDS)}


def phone(number: str, name: str | None = None) -> models.DesiredMethod:
    return models.DesiredMethod(
        type=models.MethodType.PHONE,
        name=name,
        phone_number=number,
        preferred_authentication_method=models.PreferredMethod.SMS,
    )


def totp(index: int, name: str = "Authenticator") -> models.DesiredMethod:
    return models.DesiredMethod(
        type=models.MethodType.TOTP,
        name=name,
        totp_secret=models.SecretSource(reference=f"${{env:TOTP_{index}}}"),
    )


def build(users: int = 24) -> tuple[list[dict[str, Any]], list[models.DesiredUser]]:
    """Seed users and desired users: migrations (PUT), number changes, renames, push keepers."""
    seed: list[dict[str, Any]] = []
    desired: list[models.DesiredUser] = []
    for index in range(users):
        user_id = f"auth0|user{index:03d}"
        number = f"+1415555{index:04d}"
        kind = index % 4
        methods: tuple[models.DesiredMethod, ...]
        if kind == 0:  # migration: nothing live, phone + totp wanted -> one PUT
            live: list[dict[str, Any]] = []
            methods = (phone(number, "Work phone"), totp(index))
        elif kind == 1:  # number change: create the new phone, then delete the old one
            live = [
                {"type": "phone", "name": "Old", "phone_number": f"+16505559{index:03d}"},
                {"type": "recovery-code"},  # rules out a PUT
            ]
            methods = (phone(number, "Old"),)
        elif kind == 2:  # rename: patch
            live = [{"type": "phone", "name": "SMS", "phone_number": number}]
            methods = (phone(number, "Work phone"),)
        else:  # push must survive: creates only, never a PUT
            live = [{"type": "push", "name": "Guardian"}]
            methods = (phone(number, "Work phone"), totp(index))
        seed.append({"user_id": user_id, "email": f"user{index}@example.com", "methods": live})
        desired.append(models.DesiredUser(user_id=user_id, methods=methods))
    return seed, desired


def make_state(seed: list[dict[str, Any]]) -> emulator.State:
    state = emulator.State(random_seed=1)
    emulator.seed_mapping(state, {"users": seed})
    state.reset_history()
    return state


def duplicates(state: emulator.State, user_id: str) -> list[tuple[str, str]]:
    """(type, value) pairs a user holds more than once."""
    seen: dict[tuple[str, str], int] = {}
    for method in state.methods_of(user_id):
        value = str(
            method.get("phone_number")
            or method.get("email")
            or method.get("totp_secret")
            or method.get("key_id")
            or method.get("id")
        )
        key = (str(method["type"]), value)
        seen[key] = seen.get(key, 0) + 1
    return sorted(key for key, count in seen.items() if count > 1)
