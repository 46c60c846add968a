"""Bearer tokens: client-credentials tokens with a lifetime, and static tokens from the config.

Tokens are random (`secrets`), never derived from the seeded generator, and never logged. This
module must not know about HTTP: it answers "which scopes does this token carry" or raises the
API's 401 problem.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping

from mfasync.emulator import problems


class TokenStore:
    """Issued tokens with their expiry (monotonic clock), plus never-expiring static ones."""

    def __init__(
        self,
        *,
        ttl_s: float,
        static: Mapping[str, tuple[str, ...]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl_s = ttl_s
        self._static = dict(static)
        self._clock = clock
        self._issued: dict[str, tuple[float, tuple[str, ...]]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenStore(issued={len(self._issued)}, static={len(self._static)})"

    @property
    def ttl_s(self) -> float:
        return self._ttl_s

    def issue(self, scopes: tuple[str, ...]) -> str:
        """A new token carrying `scopes`, valid for `ttl_s` seconds."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = self._clock()
            # Forget expired tokens as we go, so a long benchmark does not grow the table.
            self._issued = {t: v for t, v in self._issued.items() if v[0] > now}
            self._issued[token] = (now + self._ttl_s, scopes)
        return token

    def scopes_of(self, token: str) -> tuple[str, ...]:
        """The token's scopes; 401 for an unknown or expired token."""
        if token in self._static:
            return self._static[token]
        with self._lock:
            entry = self._issued.get(token)
        if entry is None:
            raise problems.unauthorized("Invalid token")
        expires_at, scopes = entry
        if self._clock() >= expires_at:
            raise problems.unauthorized("Expired token received for JSON Web Token validation")
        return scopes
