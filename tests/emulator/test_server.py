"""Running the server: the thread runner, port clashes, and JSON errors for unknown routes."""

from __future__ import annotations

import aiohttp
import pytest

from mfasync import emulator


def test_thread_runner_serves_and_reports_a_busy_port() -> None:
    with emulator.run_in_thread() as first:
        assert first.url.startswith("http://127.0.0.1:")
        port = int(first.url.rsplit(":", 1)[1])
        with (
            pytest.raises(OSError, match="in use"),
            emulator.run_in_thread(emulator.Config(port=port)),
        ):
            pass


async def test_unknown_route_answers_404_in_the_api_error_format(
    client: aiohttp.ClientSession,
) -> None:
    async with client.get("/api/v2/clients") as response:
        assert response.status == 404
        assert await response.json() == {
            "statusCode": 404,
            "error": "Not Found",
            "message": "Not Found",
        }


async def test_users_by_email_without_email_is_400(client: aiohttp.ClientSession) -> None:
    async with client.get("/api/v2/users-by-email") as response:
        assert response.status == 400
        assert (await response.json())["errorCode"] == "invalid_query_string"


def test_emulator_repr_shows_no_secret() -> None:
    emu = emulator.Emulator(emulator.Config(client_secret="hunter22"))
    assert "hunter22" not in repr(emu)
