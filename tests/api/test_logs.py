"""Log pages in checkpoint mode: from/take, the Link header's next from, [] at the end."""

from __future__ import annotations

import pytest
from aioresponses import aioresponses

from mfasync import api, errors, settings
from mfasync.api import logs
from tests.api.conftest import API, RecordingHooks


def _event(log_id: str) -> dict[str, object]:
    return {"log_id": log_id, "type": "s", "user_id": "auth0|a", "details": {}}


async def test_log_page_sends_from_and_take_and_reads_the_link_next_from(
    mocked: aioresponses, static_connection: settings.ConnectionSettings, hooks: RecordingHooks
) -> None:
    next_url = f"{API}/logs?from=9002&take=100"
    mocked.get(
        f"{API}/logs?from=9000&take=100",
        payload=[_event("9001"), _event("9002")],
        headers={"Link": f'<{next_url}>; rel="next"'},
    )
    async with api.Client(static_connection, hooks=hooks) as client:
        page = await client.log_page("9000")
    assert [event["log_id"] for event in page.events] == ["9001", "9002"]
    assert page.next_from == "9002"
    assert hooks.events == ["before", "after 200"]  # the governor paces log pages too
    sent = [(method, url.raw_path, dict(url.query)) for (method, url) in mocked.requests]
    assert sent == [("GET", "/api/v2/logs", {"from": "9000", "take": "100"})]


async def test_an_empty_page_is_the_end(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(f"{API}/logs?from=9&take=100", payload=[])
    async with api.Client(static_connection) as client:
        page = await client.log_page("9", take=500)  # take is capped at 100
    assert page.events == ()
    assert page.next_from is None


async def test_missing_read_logs_is_a_forbidden_error(
    mocked: aioresponses, static_connection: settings.ConnectionSettings
) -> None:
    mocked.get(
        f"{API}/logs?from=9&take=100",
        status=403,
        payload={"statusCode": 403, "error": "Forbidden", "message": "Insufficient scope"},
    )
    async with api.Client(static_connection) as client:
        with pytest.raises(errors.ApiError):
            await client.log_page("9")


def test_next_from_picks_the_next_relation_among_several() -> None:
    link = (
        '<https://t/api/v2/logs?from=1&take=5>; rel="prev", '
        '<https://t/api/v2/logs?take=5&from=77>; rel="next"'
    )
    assert logs.next_from(link) == "77"
    assert logs.next_from(None) is None
    assert logs.next_from('<https://t/api/v2/logs?from=1>; rel="prev"') is None


def test_an_event_without_log_id_is_malformed() -> None:
    with pytest.raises(errors.MalformedResponseError):
        logs.log_page([{"type": "s"}], link=None, where="GET /logs")
    with pytest.raises(errors.MalformedResponseError):
        logs.log_page({"logs": []}, link=None, where="GET /logs")
