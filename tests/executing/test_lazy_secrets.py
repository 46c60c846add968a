"""Seeds are looked up only for users whose plan may need one; in-sync users never read them."""

from __future__ import annotations

from pydantic import SecretStr

from mfasync import executing, models, plans, settings


class _Backend:
    """A read backend serving fixed live methods (the protocol's two reads, nothing else)."""

    def __init__(self, live: dict[str, tuple[models.LiveMethod, ...]]) -> None:
        self._live = live

    async def list_methods(self, user_id: str) -> tuple[models.LiveMethod, ...]:
        return self._live[user_id]

    async def find_users_by_email(self, email: str) -> tuple[str, ...]:
        return ()


class _CountingResolver:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def resolve_user(self, user: models.DesiredUser) -> models.DesiredUser:
        self.asked.append(user.key)
        methods = tuple(
            method.model_copy(
                update={
                    "totp_secret": models.SecretSource(
                        reference="${env:X}", value=SecretStr("JBSWY3DPEHPK3PXP")
                    )
                }
            )
            if method.totp_secret is not None
            else method
            for method in user.methods
        )
        return user.model_copy(update={"methods": methods})


def _user(user_id: str) -> models.DesiredUser:
    totp = models.DesiredMethod(
        type=models.MethodType.TOTP,
        name="App",
        totp_secret=models.SecretSource(reference="${env:X}"),
    )
    return models.DesiredUser(user_id=user_id, methods=(totp,))


async def test_an_in_sync_user_is_planned_without_reading_its_seed() -> None:
    live_totp = models.LiveMethod(id="totp|dev_1", type="totp", name="App")
    backend = _Backend({"auth0|synced": (live_totp,), "auth0|new": ()})
    resolver = _CountingResolver()
    plan = await executing.plan_users(
        [_user("auth0|synced"), _user("auth0|new")],
        backend=backend,
        policy=models.Policy(),
        settings=settings.RunSettings(),
        resolver=resolver,
    )
    assert resolver.asked == ["auth0|new"]
    by_key = {user.key: user for user in plan.users}
    assert by_key["auth0|synced"].actions == ()
    assert by_key["auth0|synced"].error is None
    assert [action.op for action in by_key["auth0|new"].actions] == [plans.Op.CREATE]
    assert by_key["auth0|new"].error is None  # planned with the resolved seed
