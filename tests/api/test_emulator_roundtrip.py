"""The client against the local emulator over real sockets (integration, 127.0.0.1 only).

The emulator shares no code with the client, so these tests catch a misunderstanding of the
API on either side. No timed assertions: expiry and rate limits are provoked, not waited for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from mfasync import api, emulator, errors, settings
from tests.api.conftest import RecordingHooks

ALICE = "auth0|alice"
BOB = "auth0|bob"
LIST_ROUTE = "/api/v2/users/{user_id}/authentication-methods"


def _tenant() -> emulator.State:
    tenant = emulator.State(random_seed=7)
    many = [
        {"type": "totp", "name": f"App {n}", "totp_secret": "JBSWY3DPEHPK3PXP"} for n in range(130)
    ]
    tenant.add_user(
        ALICE,
        email="alice@example.com",
        methods=[
            *many,
            {"type": "phone", "name": "SMS", "phone_number": "+14155550123"},
            {"type": "push", "name": "Guardian"},
        ],
    )
    tenant.add_user(BOB, email="bob@example.com", methods=[])
    return tenant


def _connection(emu: emulator.Emulator) -> settings.ConnectionSettings:
    return settings.ConnectionSettings(
        domain=emu.url, client_id=emu.client_id, client_secret=SecretStr(emu.client_secret)
    )


@pytest.fixture
async def emu() -> AsyncIterator[emulator.Emulator]:
    async with emulator.Emulator(emulator.Config(), _tenant()) as running:
        yield running


async def test_full_round_trip_against_the_emulator(emu: emulator.Emulator) -> None:
    async with api.Client(_connection(emu)) as client:
        listed = await client.list_methods(ALICE)
        assert len(listed) == 132
        assert emu.stats.total(method="GET", route=LIST_ROUTE) == 2  # 100 + 32, all pages
        by_type = {m.type for m in listed}
        assert by_type == {"totp", "phone", "push"}
        phone = next(m for m in listed if m.type == "phone")
        assert phone.phone_number == "XXXXXXXX0123"  # masked on read

        created = await client.create_method(
            BOB, {"type": "email", "name": "Mail", "email": "bob@example.com"}
        )
        assert (created.type, created.name) == ("email", "Mail")
        assert created.email != "bob@example.com"  # masked even on the POST answer
        with pytest.raises(errors.ConflictError):
            await client.create_method(BOB, {"type": "email", "email": "bob@example.com"})

        patched = await client.update_method(BOB, created.id, {"name": "Work mail"})
        assert patched.name == "Work mail"
        assert (await client.get_method(BOB, created.id)).name == "Work mail"

        await client.delete_method(BOB, created.id)
        with pytest.raises(errors.NotFoundError):
            await client.get_method(BOB, created.id)
        assert await client.list_methods(BOB) == ()

        replaced = await client.replace_methods(
            BOB,
            [
                {"type": "phone", "phone_number": "+14155550199", "name": "Phone"},
                {"type": "totp", "totp_secret": "JBSWY3DPEHPK3PXP", "name": "App"},
            ],
        )
        assert sorted(m.type for m in replaced) == ["phone", "totp"]
        assert sorted(m.id for m in await client.list_methods(BOB)) == sorted(
            m.id for m in replaced
        )

        await client.delete_all_methods(BOB)
        assert await client.list_methods(BOB) == ()

        assert await client.find_users_by_email("alice@example.com") == (ALICE,)
        assert await client.find_users_by_email("nobody@example.com") == ()

        with pytest.raises(errors.NotFoundError) as caught:
            await client.list_methods("auth0|ghost")
        assert caught.value.error_code == "inexistent_user"
    assert client.request_count == 16


async def test_put_over_a_passkey_user_is_forbidden(emu: emulator.Emulator) -> None:
    emu.state.add_user("auth0|carol", methods=[{"type": "passkey", "name": "Key"}])
    async with api.Client(_connection(emu)) as client:
        with pytest.raises(errors.ForbiddenError, match="passkey"):
            await client.replace_methods("auth0|carol", [{"type": "totp", "totp_secret": "AAAA"}])


async def test_an_ambiguous_post_was_in_fact_committed() -> None:
    faults = emulator.Faults(drop_rate=1.0, seed=1)
    async with (
        emulator.Emulator(emulator.Config(faults=faults), _tenant()) as emu,
        api.Client(_connection(emu)) as client,
    ):
        with pytest.raises(errors.AmbiguousWriteError):
            await client.create_method(BOB, {"type": "email", "email": "bob@example.com"})
        assert [m.type for m in await client.list_methods(BOB)] == ["email"]
        with pytest.raises(errors.TransportError):
            await client.delete_all_methods(BOB)  # dropped after commit, but repeatable


async def test_server_failures_on_reads_are_retryable() -> None:
    faults = emulator.Faults(fail_rate=1.0, seed=1)
    async with (
        emulator.Emulator(emulator.Config(faults=faults), _tenant()) as emu,
        api.Client(_connection(emu)) as client,
    ):
        with pytest.raises(errors.ServerError) as caught:
            await client.list_methods(ALICE)
    assert caught.value.status in (500, 503)


async def test_rate_limit_headers_and_429_reach_the_client(hooks: RecordingHooks) -> None:
    config = emulator.Config(rate_limit=emulator.RateLimit(burst=2, per_s=0.001))
    async with (
        emulator.Emulator(config, _tenant()) as emu,
        api.Client(_connection(emu), hooks=hooks) as client,
    ):
        await client.list_methods(BOB)
        await client.list_methods(BOB)
        assert client.last_rate_limit is not None
        assert (client.last_rate_limit.limit, client.last_rate_limit.remaining) == (2, 0)
        with pytest.raises(errors.RateLimitedError) as caught:
            await client.list_methods(BOB)
    assert caught.value.retry_at_s is not None
    assert caught.value.retry_at_s > 1_600_000_000  # UNIX seconds, not a delay
    assert hooks.events[-1] == "after 429"
    assert emu.stats.rate_limited == 1


async def test_an_access_token_with_too_few_scopes_is_forbidden() -> None:
    config = emulator.Config(static_tokens={"ro-token": ("read:authentication_methods",)})
    async with emulator.Emulator(config, _tenant()) as emu:
        connection = settings.ConnectionSettings(domain=emu.url, access_token=SecretStr("ro-token"))
        async with api.Client(connection) as client:
            assert len(await client.list_methods(ALICE)) == 132
            with pytest.raises(errors.ForbiddenError) as caught:
                await client.delete_all_methods(BOB)
    assert caught.value.error_code == "insufficient_scope"
    assert "ro-token" not in str(caught.value)


async def test_wrong_client_secret_is_an_authentication_error(emu: emulator.Emulator) -> None:
    connection = settings.ConnectionSettings(
        domain=emu.url, client_id=emu.client_id, client_secret=SecretStr("wrong-secret-123")
    )
    async with api.Client(connection) as client:
        with pytest.raises(errors.AuthenticationError) as caught:
            await client.list_methods(ALICE)
    assert "wrong-secret-123" not in str(caught.value)
    assert client.request_count == 0


async def test_a_token_refused_after_a_restart_is_refreshed_once() -> None:
    tenant = _tenant()
    first = emulator.Emulator(emulator.Config(), tenant)
    await first.start()
    try:
        connection = _connection(first)
        port = int(first.url.rsplit(":", 1)[1])
        async with api.Client(connection) as client:
            await client.list_methods(BOB)
            await first.stop()
            # The same tenant comes back on the same port: it no longer knows the cached token.
            config = emulator.Config(port=port, client_secret=first.client_secret)
            async with emulator.Emulator(config, tenant) as second:
                assert await client.list_methods(BOB) == ()
                statuses = {key[2]: n for key, n in second.stats.snapshot().items()}
    finally:
        await first.stop()
    assert statuses == {401: 1, 200: 1}
