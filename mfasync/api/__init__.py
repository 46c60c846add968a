"""The async Management API client (the only home of aiohttp on the client side).

Public API: `base_url(domain)`, `Client(connection, *, http, hooks)` and the `RequestHooks`
protocol the executor's rate governor implements. Modules: `urls` (base URL rules, encoded
paths), `wire` (decoding headers and bodies), `failures` (outcome -> error tree), `tokens`
(access tokens), `client` (the endpoints). Nothing here retries (the executor decides), and
nothing here imports the executor.
"""

from __future__ import annotations

from mfasync.api.client import Client, RequestHooks
from mfasync.api.urls import base_url

__all__ = ["Client", "RequestHooks", "base_url"]
