"""A tiny Management API of the test's own on 127.0.0.1: it answers what the test tells it to.

`FakeApi.serve(user_id, Answer(...))` sets the answer to every list request for that user; users
without one get a well-formed single phone. `Answer.cut` sends a Content-Length larger than the
body and closes the connection (a truncated answer). The token endpoint hands out a fixed token.
Runs on its own loop in a daemon thread, so sync tests (hypothesis) can use it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote

from aiohttp import web

GOOD_METHOD = {
    "id": "phone|dev_good",
    "type": "phone",
    "name": "SMS",
    "phone_number": "XXXXXXXX0100",
    "created_at": "2024-01-01T00:00:00.000Z",
}


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = field(default=b"[]", repr=False)  # may be a megabyte: keep reports short
    content_type: str = "application/json"
    cut: bool = False


@dataclass
class FakeApi:
    url: str = ""
    answers: dict[str, Answer] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self, user_id: str, answer: Answer) -> None:
        with self.lock:
            self.answers[user_id] = answer

    def answer_for(self, user_id: str) -> Answer | None:
        with self.lock:
            return self.answers.get(user_id)

    async def token(self, request: web.Request) -> web.Response:
        return web.json_response({"access_token": "fake-token", "expires_in": 3600})

    async def methods(self, request: web.Request) -> web.StreamResponse:
        answer = self.answer_for(unquote(request.match_info["user_id"]))
        if answer is None:
            return web.json_response({"authenticators": [GOOD_METHOD], "total": 1})
        if answer.cut:
            response = web.StreamResponse(
                status=answer.status,
                headers={
                    "Content-Type": answer.content_type,
                    "Content-Length": str(len(answer.body) + 100),
                },
            )
            await response.prepare(request)
            await response.write(answer.body)
            assert request.transport is not None
            request.transport.close()  # fewer bytes than announced: the answer is cut off
            return response
        return web.Response(
            status=answer.status, body=answer.body, headers={"Content-Type": answer.content_type}
        )


@contextmanager
def running() -> Iterator[FakeApi]:
    api = FakeApi()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop = asyncio.Event()

    async def main() -> None:
        app = web.Application(client_max_size=1024**2)
        app.router.add_post("/oauth/token", api.token)
        app.router.add_get("/api/v2/users/{user_id}/authentication-methods", api.methods)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        api.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        ready.set()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    ready.wait(timeout=30)
    try:
        yield api
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
        loop.close()
