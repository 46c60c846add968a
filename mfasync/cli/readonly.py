"""A backend that can only read: what `drift` and `export` are given instead of the API client.

`ReadOnlyBackend` keeps the client's two read methods (bound) and nothing else: it has no write
method and no reference to the client object under a public name, so no code holding it can
create, patch, replace or delete a method, even by mistake. It satisfies
`executing.ReadBackend` and deliberately not `executing.Backend`. It must not grow a write method.
"""

from __future__ import annotations

from mfasync import executing, models


class ReadOnlyBackend:
    """Reads through `source` (any `executing.ReadBackend`, e.g. an `api.Client`); never writes."""

    __slots__ = ("_find", "_list")  # no __dict__: nothing can be attached later either

    def __init__(self, source: executing.ReadBackend) -> None:
        self._list = source.list_methods
        self._find = source.find_users_by_email

    def __repr__(self) -> str:
        return "<mfasync ReadOnlyBackend>"

    async def list_methods(self, user_id: str) -> tuple[models.LiveMethod, ...]:
        return await self._list(user_id)

    async def find_users_by_email(self, email: str) -> tuple[str, ...]:
        return await self._find(email)
