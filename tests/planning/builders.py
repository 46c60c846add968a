"""Small builders of desired and live methods for the planner tests (pure, no I/O)."""

from __future__ import annotations

from pydantic import SecretStr

from mfasync import models

SEED = "JBSWY3DPEHPK3PXP"
OTHER_SEED = "KRSXG5CTMVRXEZLU"


def phone(
    number: str, name: str | None = None, preferred: str | None = "sms"
) -> models.DesiredMethod:
    return models.DesiredMethod(
        type=models.MethodType.PHONE,
        name=name,
        phone_number=number,
        preferred_authentication_method=(
            models.PreferredMethod(preferred) if preferred is not None else None
        ),
    )


def email(address: str, name: str | None = None) -> models.DesiredMethod:
    return models.DesiredMethod(type=models.MethodType.EMAIL, name=name, email=address)


def totp(
    name: str | None = None,
    *,
    seed: str | None = SEED,
    reference: str | None = "${env:TOTP_SEED}",
    problem: str | None = None,
) -> models.DesiredMethod:
    source = models.SecretSource(
        reference=reference,
        value=SecretStr(seed) if seed is not None else None,
        problem=problem,
    )
    return models.DesiredMethod(type=models.MethodType.TOTP, name=name, totp_secret=source)


def key(key_id: str, name: str | None = None) -> models.DesiredMethod:
    return models.DesiredMethod(
        type=models.MethodType.WEBAUTHN_ROAMING,
        name=name,
        key_id=key_id,
        public_key="cHVibGljLWtleQ==",
        relying_party_identifier="example.com",
    )


def pinned(method_id: str, kind: str, name: str | None = None) -> models.DesiredMethod:
    return models.DesiredMethod(type=models.MethodType(kind), id=method_id, name=name)


def live(method_id: str, kind: str, name: str | None = None, **fields: str) -> models.LiveMethod:
    return models.LiveMethod(id=method_id, type=kind, name=name, **fields)


def live_phone(
    method_id: str, masked: str, name: str | None = None, preferred: str | None = "sms"
) -> models.LiveMethod:
    extra = {"preferred_authentication_method": preferred} if preferred is not None else {}
    return live(method_id, "phone", name, phone_number=masked, **extra)


def live_email(method_id: str, masked: str, name: str | None = None) -> models.LiveMethod:
    return live(method_id, "email", name, email=masked)


def user(
    *methods: models.DesiredMethod,
    user_id: str = "auth0|alice",
    prune: str = "managed",
    ignore: tuple[str, ...] = (),
) -> models.DesiredUser:
    return models.DesiredUser(
        user_id=user_id,
        prune=models.Prune(prune),
        ignore=frozenset(models.IgnorableField(field) for field in ignore),
        methods=methods,
    )
