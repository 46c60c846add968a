"""Tenant logs through real HTTP: sapi events of writes, checkpoint paging, scope, retention,
visibility delay, simulated Universal Login events and bulk noise (reference, "Tenant logs")."""

from __future__ import annotations

import datetime
import re
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
import yarl
from click.testing import CliRunner
from pydantic import SecretStr

from mfasync import api, changefeed, emulator, errors, settings
from mfasync.cli import main
from tests.emulator.conftest import SEED, path

LOG_ID = re.compile(r"^900\d{53}$")
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class FakeClock:
    """The tenant's clock, moved by hand: retention and delay without waiting."""

    def __init__(self) -> None:
        self.now = datetime.datetime(2026, 12, 1, 10, 15, tzinfo=datetime.UTC)

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += datetime.timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tenant(clock: FakeClock) -> emulator.State:
    return emulator.seed_mapping(emulator.State(random_seed=7, clock=clock), SEED)


async def _logs(client: aiohttp.ClientSession, **query: str) -> list[dict[str, Any]]:
    async with client.get("/api/v2/logs", params=query or {"take": "100"}) as response:
        assert response.status == 200, await response.text()
        body: list[dict[str, Any]] = await response.json()
        return body


def _connection(emu: emulator.Emulator) -> settings.ConnectionSettings:
    return settings.ConnectionSettings(
        domain=emu.url, client_id=emu.client_id, client_secret=SecretStr(emu.client_secret)
    )


async def _admin(
    emu: emulator.Emulator, route: str, body: dict[str, Any], *, status: int = 200
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {emu.issue_token(())}"}
    async with (
        aiohttp.ClientSession(base_url=emu.url, headers=headers) as session,
        session.post(f"/admin/{route}", json=body) as response,
    ):
        assert response.status == status, await response.text()
        answer: dict[str, Any] = await response.json()
        return answer


async def test_every_successful_write_is_a_sapi_event_with_the_encoded_path_and_status(
    emu: emulator.Emulator, client: aiohttp.ClientSession
) -> None:
    alice_totp = next(m["id"] for m in emu.state.methods_of("auth0|alice") if m["type"] == "totp")
    async with client.post(path("auth0|dave"), json={"type": "totp", "totp_secret": "ABC"}) as r:
        assert r.status == 201
        created = (await r.json())["id"]
    async with client.patch(path("auth0|dave", created), json={"name": "App"}) as r:
        assert r.status == 200
    async with client.put(path("auth0|bob"), json=[{"type": "email", "email": "b@x.io"}]) as r:
        assert r.status == 200
    # Sent with a raw `|`: the log still shows the encoded form, as the service does.
    raw = yarl.URL(f"/api/v2/users/auth0|alice/authentication-methods/{alice_totp}", encoded=True)
    async with client.delete(raw) as r:
        assert r.status == 204
    async with client.delete(path("auth0|dave")) as r:
        assert r.status == 204
    # Refused writes and reads are not logged.
    async with client.post(path("auth0|nobody"), json={"type": "totp", "totp_secret": "A"}) as r:
        assert r.status == 404
    async with client.get(path("auth0|alice")) as r:
        assert r.status == 200

    sapi = [event for event in await _logs(client) if event["type"] == "sapi"]
    shown = [
        (
            event["details"]["request"]["method"],
            event["details"]["request"]["path"],
            event["details"]["response"]["statusCode"],
        )
        for event in sapi
    ]
    encoded_totp = alice_totp.replace("|", "%7C")
    assert shown == [
        ("post", "/api/v2/users/auth0%7Cdave/authentication-methods", 201),
        (
            "patch",
            f"/api/v2/users/auth0%7Cdave/authentication-methods/{created.replace('|', '%7C')}",
            200,
        ),
        ("put", "/api/v2/users/auth0%7Cbob/authentication-methods", 200),
        ("delete", f"/api/v2/users/auth0%7Calice/authentication-methods/{encoded_totp}", 204),
        ("delete", "/api/v2/users/auth0%7Cdave/authentication-methods", 204),
    ]
    for event in sapi:
        assert LOG_ID.match(event["log_id"])
        assert DATE.match(event["date"])
        assert event["user_id"] == ""  # the caller, not the target
        assert event["client_id"] == emu.client_id
        assert event["client_name"]
        assert event["ip"] == "127.0.0.1"
        assert event["description"]
        assert event["details"]["request"]["channel"] == "api"
        assert "ABC" not in repr(event)  # no request body, no secret
    assert [e["log_id"] for e in sapi] == sorted(e["log_id"] for e in sapi)
    # What the change feed makes of them: exactly the targets.
    changes = changefeed.read_events(sapi, method_owners={})
    assert changes.user_ids == {"auth0|alice", "auth0|bob", "auth0|dave"}
    assert not changes.full_scan


async def test_the_client_pages_with_the_link_header_to_an_empty_page(
    emu: emulator.Emulator,
) -> None:
    emulator.add_login_noise(emu.state, 250)
    seen: list[str] = []
    async with api.Client(_connection(emu)) as client:
        checkpoint = "0"  # below every id: from the oldest retained event
        while True:
            page = await client.log_page(checkpoint)
            if not page.events:
                break
            seen.extend(str(event["log_id"]) for event in page.events)
            assert page.next_from == seen[-1]
            checkpoint = page.next_from
        # The service's empty page: `[]`, and a next link to the very URL just asked for.
        assert page.next_from == checkpoint
    # The 250 logins, then the client's token exchange (seccft).
    assert len(seen) == 251
    assert seen == sorted(seen)
    assert len(set(seen)) == 251
    assert emu.stats.total(route="/api/v2/logs") == 4  # 100 + 100 + 51, then []


async def test_checkpoint_mode_answers_newer_events_in_order_with_a_next_link(
    emu: emulator.Emulator, client: aiohttp.ClientSession
) -> None:
    first, last = emulator.add_login_noise(emu.state, 5)
    async with client.get("/api/v2/logs", params={"from": first, "take": "3"}) as response:
        events = await response.json()
        link = response.headers["Link"]
    ids = [event["log_id"] for event in events]
    assert len(ids) == 3
    assert ids[0] > first
    assert all(event["type"] == "s" and event["user_id"].startswith("auth0|") for event in events)
    assert re.fullmatch(
        rf'<http://127\.0\.0\.1:\d+/api/v2/logs\?from={ids[-1]}&take=3>; rel="next"', link
    )
    async with client.get("/api/v2/logs", params={"from": last, "take": "3"}) as response:
        assert await response.json() == []
        assert f"from={last}" in response.headers["Link"]
    # Every other parameter is ignored in that mode.
    other = await _logs(client, **{"from": first, "take": "3", "q": "type:f", "page": "7"})
    assert [event["log_id"] for event in other] == ids


async def test_take_above_100_is_refused_as_the_service_does(
    client: aiohttp.ClientSession,
) -> None:
    async with client.get("/api/v2/logs", params={"from": "0", "take": "101"}) as response:
        assert response.status == 400
        body = await response.json()
    assert body["statusCode"] == 400
    assert body["errorCode"] == "invalid_query_string"
    assert "take" in body["message"]
    async with client.get("/api/v2/logs", params={"from": "0", "take": "100"}) as response:
        assert response.status == 200


async def test_reading_logs_needs_the_read_logs_scope(emu: emulator.Emulator) -> None:
    token = emu.issue_token(["read:authentication_methods", "read:users"])
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession(base_url=emu.url, headers=headers) as session,
        session.get("/api/v2/logs", params={"from": "0", "take": "10"}) as response,
    ):
        assert response.status == 403
        assert await response.json() == {
            "statusCode": 403,
            "error": "Forbidden",
            "message": "Insufficient scope, expected any of: read:logs",
            "errorCode": "insufficient_scope",
        }


async def test_a_tenant_configured_without_read_logs_refuses_the_client(
    tenant: emulator.State,
) -> None:
    scopes = tuple(s for s in emulator.ALL_SCOPES if s != "read:logs")
    emu = emulator.Emulator(emulator.Config(scopes=scopes), tenant)
    async with emu, api.Client(_connection(emu)) as client:
        with pytest.raises(errors.ForbiddenError):
            await client.log_page("0")


async def test_events_older_than_the_retention_window_are_gone(
    tenant: emulator.State, clock: FakeClock
) -> None:
    config = emulator.Config(log_retention_s=3600.0)
    old = emulator.record_event(tenant, "sui", description="Bulk import")
    clock.advance(3000)
    kept = emulator.record_event(tenant, "s", user_id="auth0|alice")
    async with emulator.Emulator(config, tenant) as emu:
        headers = {"Authorization": f"Bearer {emu.issue_token()}"}
        async with aiohttp.ClientSession(base_url=emu.url, headers=headers) as client:
            assert [e["log_id"] for e in await _logs(client)] == [old, kept]
            clock.advance(601)  # `old` is now 3601 s old
            assert [e["log_id"] for e in await _logs(client)] == [kept]
            # From an expired checkpoint: the retained events newer than it.
            assert [e["log_id"] for e in await _logs(client, **{"from": old, "take": "10"})] == [
                kept
            ]
            async with client.get(f"/api/v2/logs/{old}") as response:
                assert response.status == 404
    assert tenant.logs.count() == 1  # dropped from memory too


async def test_an_event_shows_only_after_the_visibility_delay(
    tenant: emulator.State, clock: FakeClock
) -> None:
    config = emulator.Config(log_delay_s=5.0)
    async with emulator.Emulator(config, tenant) as emu:
        headers = {"Authorization": f"Bearer {emu.issue_token()}"}
        async with aiohttp.ClientSession(base_url=emu.url, headers=headers) as client:
            checkpoint = emulator.record_event(tenant, "s", user_id="auth0|alice")
            clock.advance(5)
            assert [e["log_id"] for e in await _logs(client)] == [checkpoint]
            async with client.delete(path("auth0|alice")) as response:
                assert response.status == 204
            page = await _logs(client, **{"from": checkpoint, "take": "10"})
            assert page == []  # committed, not logged visibly yet
            clock.advance(4.999)
            assert await _logs(client, **{"from": checkpoint, "take": "10"}) == []
            clock.advance(0.001)
            later = await _logs(client, **{"from": checkpoint, "take": "10"})
    assert [(e["type"], e["details"]["request"]["method"]) for e in later] == [("sapi", "delete")]
    assert later[0]["log_id"] > checkpoint  # the delay never makes a checkpoint skip an event


def test_log_ids_grow_and_sort_even_when_the_clock_steps_back(clock: FakeClock) -> None:
    tenant = emulator.State(clock=clock)
    first = emulator.record_event(tenant, "s")
    clock.advance(-30)
    second = emulator.record_event(tenant, "s")
    clock.advance(3600)
    third, fourth = emulator.add_login_noise(tenant, 2, user_ids=["auth0|x"])
    ids = [first, second, third, fourth]
    assert ids == sorted(ids)
    assert len(set(ids)) == 4
    assert all(LOG_ID.match(log_id) for log_id in ids)
    assert first.startswith("90020261201101500000")  # 900, then the time, to the millisecond
    events = tenant.logs.events()
    assert [e["date"] for e in events] == [
        "2026-12-01T10:15:00.000Z",
        "2026-12-01T10:15:00.000Z",  # held at the latest time seen
        "2026-12-01T11:14:30.000Z",
        "2026-12-01T11:14:30.000Z",
    ]


async def test_admin_enrollment_adds_the_method_and_logs_the_user(
    emu: emulator.Emulator, client: aiohttp.ClientSession
) -> None:
    answer = await _admin(
        emu,
        "enrollments",
        {"user_id": "auth0|dave", "method": {"type": "push", "name": "Phone"}},
        status=201,
    )
    assert [m["id"] for m in emu.state.methods_of("auth0|dave")] == [answer["method"]["id"]]
    async with client.get(path("auth0|dave")) as response:
        assert [m["type"] for m in await response.json()] == ["push"]
    (event,) = [e for e in await _logs(client) if e["type"] == "gd_enrollment_complete"]
    assert event["log_id"] == answer["log_id"]
    assert event["user_id"] == "auth0|dave"
    assert event["user_name"] == "dave@example.com"
    await _admin(
        emu, "enrollments", {"user_id": "auth0|nobody", "method": {"type": "totp"}}, status=404
    )


async def test_admin_unenrollment_really_removes_the_method_and_its_linked_one(
    emu: emulator.Emulator, client: aiohttp.ClientSession
) -> None:
    answer = await _admin(
        emu, "unenrollments", {"user_id": "auth0|bob", "method_id": "push|dev_bobpush"}
    )
    assert answer["removed"] == ["push|dev_bobpush", "totp|dev_bobotp"]
    assert {m["type"] for m in emu.state.methods_of("auth0|bob")} == {"recovery-code", "phone"}
    (event,) = [e for e in await _logs(client) if e["type"] == "gd_unenroll"]
    assert (event["log_id"], event["user_id"]) == (answer["log_id"], "auth0|bob")
    await _admin(emu, "unenrollments", {"user_id": "auth0|bob", "method_id": "nope"}, status=404)


async def test_admin_user_deletion_deletes_the_user_and_logs_sdu(
    emu: emulator.Emulator, client: aiohttp.ClientSession
) -> None:
    answer = await _admin(emu, "user-deletions", {"user_id": "auth0|carol"})
    assert not emu.state.has_user("auth0|carol")
    async with client.get(path("auth0|carol")) as response:
        assert response.status == 404
    async with client.get("/api/v2/users-by-email", params={"email": "carol@example.com"}) as r:
        assert await r.json() == []
    events = await _logs(client)
    (event,) = [e for e in events if e["type"] == "sdu"]
    assert (event["log_id"], event["user_id"]) == (answer["log_id"], "auth0|carol")
    changes = changefeed.read_events(events, method_owners={})
    assert changes.user_ids == {"auth0|carol"}


async def test_admin_endpoints_need_a_token_and_a_valid_body(emu: emulator.Emulator) -> None:
    async with (
        aiohttp.ClientSession(base_url=emu.url) as session,
        session.post("/admin/user-deletions", json={"user_id": "auth0|alice"}) as response,
    ):
        assert response.status == 401
    assert emu.state.has_user("auth0|alice")
    await _admin(emu, "login-noise", {"count": 0}, status=400)
    await _admin(emu, "log-events", {"type": ""}, status=400)
    answer = await _admin(emu, "log-events", {"type": "sui", "description": "import"}, status=201)
    assert emu.state.logs.events()[-1]["log_id"] == answer["log_id"]


async def test_bulk_login_noise_is_cheap_and_pages_like_any_event(
    emu: emulator.Emulator, client: aiohttp.ClientSession
) -> None:
    tracemalloc.start()
    try:
        answer = await _admin(emu, "login-noise", {"count": 200_000})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000  # a run, not 200,000 dicts (those would take hundreds of MB)
    assert emu.state.logs.count() == 200_000
    first, last = answer["first_log_id"], answer["last_log_id"]
    page = await _logs(client, **{"from": first, "take": "100"})
    ids = [event["log_id"] for event in page]
    assert len(ids) == 100
    assert ids == sorted(ids)
    assert ids[0] > first
    assert {event["user_id"] for event in page} == {
        "auth0|alice",
        "auth0|bob",
        "auth0|carol",
        "auth0|dave",
    }
    penultimate = (await _logs(client, **{"from": ids[-1], "take": "100"}))[-1]["log_id"]
    assert first < penultimate < last
    hundred_before = last[:-6] + f"{int(last[-6:]) - 100:06d}"  # same time, sequence - 100
    tail = await _logs(client, **{"from": hundred_before, "take": "100"})
    assert len(tail) == 100
    assert tail[-1]["log_id"] == last
    assert await _logs(client, **{"from": last, "take": "100"}) == []


async def test_search_mode_pages_through_the_first_thousand_results(
    emu: emulator.Emulator, client: aiohttp.ClientSession
) -> None:
    first, last = emulator.add_login_noise(emu.state, 1500)
    async with client.get(
        "/api/v2/logs", params={"per_page": "2", "include_totals": "true", "sort": "date:-1"}
    ) as response:
        body = await response.json()
    assert body["logs"][0]["log_id"] == last
    assert (body["start"], body["limit"], body["length"], body["total"]) == (0, 2, 2, 1500)
    oldest = await _logs(client, per_page="1")
    assert oldest[0]["log_id"] == first
    async with client.get("/api/v2/logs", params={"page": "10", "per_page": "100"}) as response:
        assert response.status == 400
        assert "1000" in (await response.json())["message"]


@pytest.fixture
def running(clock: FakeClock) -> Iterator[emulator.Emulator]:
    tenant = emulator.seed_mapping(emulator.State(random_seed=11, clock=clock), SEED)
    with emulator.run_in_thread(emulator.Config(), tenant) as emu:
        yield emu


def test_the_official_sdk_lists_and_gets_log_events(running: emulator.Emulator) -> None:
    from auth0.management import Auth0

    sdk = Auth0(base_url=running.api_url, token=running.issue_token(), max_retries=0)
    sdk.users.authentication_methods.delete_all("auth0|alice")
    _, enrolled = emulator.simulate_enrollment(running.state, "auth0|dave", {"type": "totp"})
    listed = list(sdk.logs.list(per_page=10))
    assert [log.type for log in listed] == ["sapi", "gd_enrollment_complete"]
    assert listed[0].user_id == ""
    fetched = sdk.logs.get(enrolled)
    assert (fetched.type, fetched.user_id) == ("gd_enrollment_complete", "auth0|dave")


async def test_the_python_api_changes_the_tenant_like_the_admin_endpoints(
    tenant: emulator.State,
) -> None:
    stored, enrolled = emulator.simulate_enrollment(
        tenant, "auth0|dave", {"type": "webauthn-platform", "name": "Laptop"}
    )
    removed, unenrolled = emulator.simulate_unenrollment(tenant, "auth0|dave", stored["id"])
    deleted = emulator.simulate_user_deletion(tenant, "auth0|alice")
    assert removed == [stored["id"]]
    assert tenant.methods_of("auth0|dave") == []
    assert not tenant.has_user("auth0|alice")
    events = tenant.logs.events()
    assert [(e["log_id"], e["type"], e["user_id"]) for e in events] == [
        (enrolled, "gd_enrollment_complete", "auth0|dave"),
        (unenrolled, "gd_unenroll", "auth0|dave"),
        (deleted, "sdu", "auth0|alice"),
    ]
    assert tenant.logs.last_log_id() == deleted


@pytest.fixture
async def emu(tenant: emulator.State) -> AsyncIterator[emulator.Emulator]:
    async with emulator.Emulator(emulator.Config(client_secret="test-secret"), tenant) as running:
        yield running


def test_the_emulator_command_passes_the_log_windows_to_the_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configs: list[emulator.Config] = []

    async def serve(config: emulator.Config, *_: object, **__: object) -> None:
        configs.append(config)

    monkeypatch.setattr(emulator, "serve", serve)
    flags = ["emulator", "--port", "0", "--log-retention-days", "0.5", "--log-delay", "3"]
    result = CliRunner().invoke(main.cli, flags)
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main.cli, ["emulator", "--port", "0"])
    assert result.exit_code == 0, result.output
    assert [(c.log_retention_s, c.log_delay_s) for c in configs] == [
        (43200.0, 3.0),
        (2 * 86400.0, 0.0),
    ]
    refused = CliRunner().invoke(main.cli, ["emulator", "--log-retention-days", "0"])
    assert refused.exit_code == 2
