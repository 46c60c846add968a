"""Running the emulator: an async context manager, a thread runner for sync callers, and a
serve-forever coroutine for the `mfasync emulator` command.

The server binds its own socket (port 0 picks a free one), so `url` is known before the first
request. This module must not print or read the environment: the CLI does that.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType

from aiohttp import web

from mfasync.emulator import app, config, state, stats
from mfasync.emulator.context import API_PREFIX, Context


def _bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class Emulator:
    """One running emulated tenant: `async with Emulator(config, state) as emu:`."""

    def __init__(self, config: config.Config | None = None, state: state.State | None = None):
        self.config = config or _default_config()
        self.state = state if state is not None else _default_state()
        self._context = Context.build(self.config, self.state)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def __repr__(self) -> str:
        return f"Emulator(url={self.url!r}, client_id={self.client_id!r})"

    @property
    def client_id(self) -> str:
        return self.config.client_id

    @property
    def client_secret(self) -> str:
        return self.config.client_secret

    @property
    def stats(self) -> stats.Stats:
        return self._context.stats

    @property
    def api_url(self) -> str:
        """`http://127.0.0.1:<port>/api/v2` (base URL for SDKs that take one)."""
        return self.url + API_PREFIX

    @property
    def audience(self) -> str:
        """The client-credentials audience: `http://127.0.0.1:<port>/api/v2/`, or
        `https://{canonical_domain}/api/v2/` for a tenant with a canonical domain."""
        if self.config.canonical_domain is not None:
            return f"https://{self.config.canonical_domain}{API_PREFIX}/"
        return self.url + API_PREFIX + "/"

    def issue_token(self, scopes: Iterable[str] | None = None) -> str:
        """A bearer token made out of band (tests): all configured scopes unless given."""
        granted = tuple(scopes) if scopes is not None else self.config.scopes
        return self._context.tokens.issue(granted)

    async def start(self) -> None:
        sock = _bind(self.config.host, self.config.port)
        host, port = sock.getsockname()[:2]
        scheme = "https" if self.config.tls is not None else "http"
        self.url = f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"
        self._context.base_url = self.url
        runner = web.AppRunner(app.build(self._context), access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.SockSite(runner, sock, ssl_context=self.config.tls).start()
        except BaseException:
            await runner.cleanup()
            sock.close()
            raise
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


def _default_config() -> config.Config:
    return config.Config()


def _default_state() -> state.State:
    return state.State()


@contextlib.contextmanager
def run_in_thread(
    config: config.Config | None = None, state: state.State | None = None
) -> Iterator[Emulator]:
    """Run an emulator on its own event loop in a daemon thread, for sync callers.

    `state` and `stats` are thread-safe, so the caller may inspect them while it runs.
    """
    emulator = Emulator(config, state)
    ready = threading.Event()
    failure: list[BaseException] = []
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def main() -> None:
        try:
            await emulator.start()
        except BaseException as exc:  # noqa: BLE001 (handed to the caller's thread, re-raised there)
            failure.append(exc)
            ready.set()
            return
        ready.set()
        try:
            await stop.wait()
        finally:
            await emulator.stop()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(main())
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="mfasync-emulator", daemon=True)
    thread.start()
    ready.wait()
    if failure:
        thread.join()
        raise failure[0]
    try:
        yield emulator
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join()


async def serve(
    config: config.Config,
    state: state.State,
    *,
    on_ready: Callable[[Emulator], None],
) -> None:
    """Run until cancelled (Ctrl-C under `asyncio.run`); `on_ready` is called once bound."""
    async with Emulator(config, state) as emulator:
        on_ready(emulator)
        await asyncio.Event().wait()
