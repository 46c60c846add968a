"""An emulator in its own process, for the scale benchmark: `python -m bench.server USERS`.

The machine has two cores; with the server in a separate process, client and server each get one
instead of sharing one event loop, so a client's request rate measures the client. Seeds USERS
bulk users (one phone each: `USER_ID_FORMAT`, `PHONE_FORMAT`), accepts the bearer token found in the
environment variable BENCH_EMULATOR_TOKEN (made up by the harness for this run, never printed),
and prints `READY <url>` on stdout once bound.

Commands on stdin, one per line, each answered by one JSON line on stdout:
- `stats`: API requests by kind, and the times of the first and last API request seen since the
  last reset (sampled every 5 ms), so a client's requests per second are measured by the server;
- `reset`: clear the counters;
- end of input: stop.
This module must not print the token.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time

from mfasync import emulator

TOKEN_ENV = "BENCH_EMULATOR_TOKEN"  # the variable's name, not a secret
SAMPLE_EVERY_S = 0.005
USER_ID_FORMAT = "auth0|bulk{index:06d}"
#: Valid North American numbers (415-20x-xxxx) for up to 1,000,000 users: manifests must pass the
#: phone-number check, and the emulator's default bulk numbers do not.
PHONE_FORMAT = "+14152{index:06d}"
PHONE_NAME = "SMS"


class Window:
    """When the request counter first and last moved since the last reset."""

    def __init__(self, stats: emulator.Stats) -> None:
        self._stats = stats
        self._seen = 0
        self.first_s: float | None = None
        self.last_s: float | None = None

    def sample(self) -> None:
        total = self._stats.total()
        if total != self._seen:
            now = time.monotonic()
            if self._seen == 0 and self.first_s is None:
                # The first request arrived within the last sample interval.
                self.first_s = now - SAMPLE_EVERY_S / 2
            self.last_s = now
            self._seen = total

    def reset(self) -> None:
        self._stats.reset()
        self._seen = 0
        self.first_s = self.last_s = None


def _report(stats: emulator.Stats, window: Window) -> str:
    by_kind: dict[str, int] = {}
    for (method, route, status), count in stats.snapshot().items():
        key = f"{method} {route} {status}"
        by_kind[key] = by_kind.get(key, 0) + count
    span = (window.last_s - window.first_s) if window.first_s and window.last_s else 0.0
    return json.dumps({"requests": stats.total(), "span_s": span, "by_kind": by_kind})


async def serve(users: int) -> None:
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        raise SystemExit(f"set {TOKEN_ENV}")
    tenant = emulator.State(random_seed=1)
    emulator.add_bulk_users(
        tenant,
        users,
        user_id_format=USER_ID_FORMAT,
        methods=[{"type": "phone", "name": PHONE_NAME, "phone_number": PHONE_FORMAT}],
    )
    config = emulator.Config(static_tokens={token: emulator.ALL_SCOPES})
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    async with emulator.Emulator(config, tenant) as emu:
        window = Window(emu.stats)

        def control() -> None:
            # stdin is read on a thread so the event loop keeps serving; stats are thread-safe.
            for line in sys.stdin:
                command = line.strip()
                if command == "stats":
                    window.sample()
                    print(_report(emu.stats, window), flush=True)
                elif command == "reset":
                    window.reset()
                    print(json.dumps({"reset": True}), flush=True)
            loop.call_soon_threadsafe(done.set)

        print(f"READY {emu.url}", flush=True)
        threading.Thread(target=control, daemon=True).start()
        while not done.is_set():
            window.sample()
            await asyncio.sleep(SAMPLE_EVERY_S)


def main() -> None:
    asyncio.run(serve(int(sys.argv[1])))


if __name__ == "__main__":
    main()
