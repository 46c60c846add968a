"""What the executor needs from the Management API: two small protocols and the dry-run backend.

`executing` depends on these protocols, never on `mfasync.api`: the CLI plugs in the real client
(which satisfies both), tests plug in the emulator or an in-memory fake, and `drift` receives a
`ReadBackend` only, so it cannot write by construction. `DryRunBackend` reads through its inner
backend and records every write instead of sending it. Nothing here retries or paces requests.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from urllib.parse import quote

from mfasync import models

API_PREFIX = "/api/v2"


@runtime_checkable
class ReadBackend(Protocol):
    """Reads only: list a user's methods (every page) and resolve an email to user ids."""

    async def list_methods(self, user_id: str) -> tuple[models.LiveMethod, ...]: ...

    async def find_users_by_email(self, email: str) -> tuple[str, ...]: ...


@runtime_checkable
class Backend(ReadBackend, Protocol):
    """Reads and writes, with the signatures of `api.Client`."""

    async def create_method(
        self, user_id: str, body: Mapping[str, object]
    ) -> models.LiveMethod: ...

    async def replace_methods(
        self, user_id: str, bodies: Sequence[Mapping[str, object]]
    ) -> tuple[models.LiveMethod, ...]: ...

    async def update_method(
        self, user_id: str, method_id: str, body: Mapping[str, object]
    ) -> models.LiveMethod: ...

    async def delete_method(self, user_id: str, method_id: str) -> None: ...


def methods_path(user_id: str, method_id: str | None = None) -> str:
    """The request path as the client sends it (ids URL-encoded), for dry-run output and reports."""
    path = f"{API_PREFIX}/users/{quote(user_id, safe='')}/authentication-methods"
    return path if method_id is None else f"{path}/{quote(method_id, safe='')}"


RedactedBody = dict[str, object] | list[dict[str, object]] | None


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A write the dry run would have sent. `body` is redacted: no secret, no full phone number."""

    method: str
    path: str
    body: RedactedBody

    def describe(self) -> str:
        return f"{self.method} {self.path}"


class DryRunBackend:
    """Reads pass through to `inner`; writes are recorded, never sent.

    The executor hands every write the *redacted* body when it runs against a dry-run backend
    (`redacts_bodies`), so a secret never even reaches this object. Writes answer with plausible
    live methods (ids prefixed `dry-run|`) so the executor's code path stays the real one.
    """

    redacts_bodies = True

    def __init__(self, inner: ReadBackend) -> None:
        self._inner = inner
        self._ids = itertools.count(1)
        self.requests: list[RecordedRequest] = []

    async def list_methods(self, user_id: str) -> tuple[models.LiveMethod, ...]:
        return await self._inner.list_methods(user_id)

    async def find_users_by_email(self, email: str) -> tuple[str, ...]:
        return await self._inner.find_users_by_email(email)

    def _fake(self, body: Mapping[str, object]) -> models.LiveMethod:
        kind = str(body.get("type", "unknown"))
        name = body.get("name")
        return models.LiveMethod(
            id=f"dry-run|{kind}_{next(self._ids)}",
            type=kind,
            name=name if isinstance(name, str) else None,
        )

    async def create_method(self, user_id: str, body: Mapping[str, object]) -> models.LiveMethod:
        self.requests.append(RecordedRequest("POST", methods_path(user_id), dict(body)))
        return self._fake(body)

    async def replace_methods(
        self, user_id: str, bodies: Sequence[Mapping[str, object]]
    ) -> tuple[models.LiveMethod, ...]:
        recorded = [dict(body) for body in bodies]
        self.requests.append(RecordedRequest("PUT", methods_path(user_id), recorded))
        return tuple(self._fake(body) for body in bodies)

    async def update_method(
        self, user_id: str, method_id: str, body: Mapping[str, object]
    ) -> models.LiveMethod:
        self.requests.append(RecordedRequest("PATCH", methods_path(user_id, method_id), dict(body)))
        name = body.get("name")
        return models.LiveMethod(
            id=method_id,
            type=method_id.split("|", 1)[0],
            name=name if isinstance(name, str) else None,
        )

    async def delete_method(self, user_id: str, method_id: str) -> None:
        self.requests.append(RecordedRequest("DELETE", methods_path(user_id, method_id), None))
