"""The yardstick of the scale benchmark: a minimal aiohttp client that lists every user's methods.

`python -m bench.baseline URL USERS CONCURRENCY` (token in BENCH_EMULATOR_TOKEN). CONCURRENCY
workers share one session and one iterator over the bulk users' ids; each sends the same request
mfasync's first page is (`page=0&per_page=100&include_totals=true`), reads the body and decodes
the JSON. No paging, no retries, no pacing, no planning: the most requests per second a Python
client can reach against this server at this concurrency. Prints one JSON line with the result.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import urllib.parse

import aiohttp

from bench import server


async def read_all(url: str, users: int, concurrency: int, token: str) -> dict[str, float]:
    ids = iter(range(users))
    errors = 0
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    params = {"page": "0", "per_page": "100", "include_totals": "true"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal errors
            for index in ids:
                user = urllib.parse.quote(server.USER_ID_FORMAT.format(index=index), safe="")
                path = f"{url}/api/v2/users/{user}/authentication-methods"
                async with session.get(path, params=params) as response:
                    json.loads(await response.read())
                    errors += response.status != 200

        start = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for _ in range(concurrency):
                group.create_task(worker())
        seconds = time.perf_counter() - start
    return {"requests": users, "seconds": seconds, "errors": errors}


def main() -> None:
    url, users, concurrency = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    token = os.environ[server.TOKEN_ENV]
    print(json.dumps(asyncio.run(read_all(url, users, concurrency, token))))


if __name__ == "__main__":
    main()
