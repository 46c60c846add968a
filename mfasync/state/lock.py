"""The tenant's run lock: one `apply` at a time per tenant, gone with the process that held it.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a connection of its own, keyed
by the tenant's domain; the server drops it when that connection ends, a killed process included.
SQLite: an OS file lock (the `filelock` package: `flock` on Unix) on `state.db.TENANT.lock` beside
the database; the kernel drops it with the process. Neither can be left stale.

The holder writes who it is into the state (`Store.set_lock_holder`) right after taking the lock, so
that a second apply can name it: "held by run 12 (pid 4242 on ci-7) since 13:02:11Z". Taking the
lock polls until `timeout_s` (0: one try), then raises `errors.LockHeldError`.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import time
from pathlib import Path
from types import TracebackType

import filelock
import sqlalchemy
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from mfasync import errors
from mfasync.state import engines, locations
from mfasync.state.store import Store

POLL_S = 0.25


def advisory_key(domain: str) -> int:
    """A stable signed 64-bit advisory lock key for a tenant (same for every mfasync)."""
    digest = hashlib.sha256(f"mfasync-lock\0{domain}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def file_lock(database: Path, domain: str) -> filelock.BaseFileLock:
    """The OS lock of a tenant beside a SQLite state file (not taken yet).

    One lock file per tenant, since a state file may hold several tenants.
    """
    tenant = hashlib.sha256(domain.encode()).hexdigest()[:12]
    return engines.os_file_lock(database.with_name(f"{database.name}.{tenant}.lock"))


class TenantLock:
    """`async with TenantLock(store, timeout_s=...)`: hold the tenant's lock inside the block."""

    def __init__(self, store: Store, *, timeout_s: float, host: str, pid: int) -> None:
        self._store = store
        self._timeout_s = max(0.0, timeout_s)
        self._host = host
        self._pid = pid
        self._file: filelock.BaseFileLock | None = None
        self._connection: AsyncConnection | None = None

    async def __aenter__(self) -> TenantLock:
        deadline = time.monotonic() + self._timeout_s
        try:
            while not await self._try():
                if time.monotonic() >= deadline:
                    raise errors.LockHeldError(await self._held_message())
                await asyncio.sleep(POLL_S)
        except BaseException:
            await self.release()  # the lock's own connection, when it was not taken
            raise
        await self._store.set_lock_holder(
            run_id=None, host=self._host, pid=self._pid, since=datetime.datetime.now(datetime.UTC)
        )
        return self

    async def name_run(self, run_id: int, *, since: datetime.datetime) -> None:
        """Put the holder's run id into its holder row, once the run has one."""
        await self._store.set_lock_holder(
            run_id=run_id, host=self._host, pid=self._pid, since=since
        )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.release()

    async def release(self) -> None:
        """Let the lock go (idempotent)."""
        if self._file is not None:
            self._file.release()
            self._file = None
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                key = advisory_key(self._store.domain)
                await connection.execute(
                    sqlalchemy.text("SELECT pg_advisory_unlock(:key)"), {"key": key}
                )
            except SQLAlchemyError:
                pass  # closing the connection below drops the lock anyway
            finally:
                await connection.close()

    async def _try(self) -> bool:
        location = self._store.location
        if location.kind is locations.Kind.SQLITE:
            return self._try_file(location)
        return await self._try_advisory()

    def _try_file(self, location: locations.Location) -> bool:
        assert location.sqlite_path is not None
        lock = file_lock(location.sqlite_path, self._store.domain)
        path = lock.lock_file
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            return False
        except OSError as exc:
            raise errors.StateError(
                f"state {location.display}: cannot lock {path}: {exc.strerror}"
            ) from exc
        self._file = lock
        return True

    async def _try_advisory(self) -> bool:
        try:
            if self._connection is None:
                self._connection = await self._store.engine.connect()
            result = await self._connection.execute(
                sqlalchemy.text("SELECT pg_try_advisory_lock(:key)"),
                {"key": advisory_key(self._store.domain)},
            )
            taken = bool(result.scalar())
            await self._connection.commit()  # the lock is the session's, not the transaction's
        except SQLAlchemyError as exc:
            raise errors.StateError(
                engines.describe_failure(exc, display=self._store.location.display)
            ) from None
        return taken

    async def _held_message(self) -> str:
        holder = await self._store.lock_holder()
        waited = f" after waiting {self._timeout_s:g}s" if self._timeout_s else ""
        if holder is None:
            who = "another mfasync apply"
        else:
            run = f"run {holder['run_id']}" if holder["run_id"] is not None else "a run"
            since = holder["since"].astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
            who = f"{run} (pid {holder['pid']} on {holder['host']}, since {since})"
        return (
            f"the tenant {self._store.domain} is locked by {who}{waited}; wait for it to end, "
            "or pass --lock-timeout SECONDS to wait"
        )
