"""The state store of one tenant: records, runs, the write journal and the log checkpoint.

`Store.open(location, tenant=...)` connects, migrates the schema (`schema.upgrade`), and finds or
creates the tenant's row with its random fingerprint key. Plain records in, plain records out
(`mfasync.records`); nothing here plans, talks to the Management API or prints. The store is built
in parts: `database` (the connection and its plumbing), `method_records`, `journal`; this module
adds opening, the checkpoint and the lock holder.
"""

from __future__ import annotations

import asyncio
import datetime
import secrets
from typing import Any

import filelock
import sqlalchemy
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from mfasync import errors, records
from mfasync.state import engines, locations
from mfasync.state import tables as t
from mfasync.state.journal import Interrupted, Journal, RunInfo
from mfasync.state.method_records import Observation, Written, observation

KEY_BYTES = 32

__all__ = ["Interrupted", "Observation", "RunInfo", "Store", "Written", "observation"]


class Store(Journal):
    """One tenant's state. Use `await Store.open(...)`, then `await store.close()`."""

    def __repr__(self) -> str:  # never the key, never a password
        return f"Store({self.location.display!r}, tenant={self.domain!r})"

    # -- opening and closing ---------------------------------------------------------------------

    @classmethod
    async def open(cls, location: locations.Location, *, tenant: str, create: bool = True) -> Store:
        """Connect, migrate, and find or create `tenant`'s row. `errors.StateError` if not.

        `create=False` (the `state` commands, which only look): a tenant the state does not hold
        is an error naming the tenants it holds, instead of a new row with a new key.
        """
        engine = engines.create_engine(location)
        try:
            connection = await engine.connect()
        except SQLAlchemyError as exc:
            await engine.dispose()
            raise errors.StateError(
                engines.describe_failure(exc, display=location.display)
            ) from None
        except OSError as exc:
            await engine.dispose()
            raise errors.StateError(f"state {location.display}: {exc.strerror or exc}") from None
        try:
            await _migrate(connection, location)
            tenant_id, key = await _tenant(
                connection, tenant, create=create, display=location.display
            )
            await connection.commit()
        except errors.StateError:
            await connection.close()
            await engine.dispose()
            raise
        except (SQLAlchemyError, OSError) as exc:
            await connection.close()
            await engine.dispose()
            raise errors.StateError(
                engines.describe_failure(exc, display=location.display)
            ) from None
        return cls(
            engine=engine,
            connection=connection,
            location=location,
            tenant_id=tenant_id,
            domain=tenant,
            key=key,
        )

    async def close(self) -> None:
        """Write what is buffered, then disconnect."""
        try:
            await self.flush()
        finally:
            await self._connection.close()
            await self._engine.dispose()

    # -- the log checkpoint ----------------------------------------------------------------------

    async def checkpoint(self) -> records.Checkpoint | None:
        """The tenant's log checkpoint (DESIGN.md section 8), if one was recorded."""
        query = sqlalchemy.select(t.checkpoints).where(t.checkpoints.c.tenant_id == self.tenant_id)
        row = (await self._run(lambda c: c.execute(query))).first()
        if row is None:
            return None
        return records.Checkpoint(
            log_id=row.log_id, taken_at=row.taken_at, last_full_scan_at=row.last_full_scan_at
        )

    async def save_checkpoint(self, checkpoint: records.Checkpoint) -> None:
        """Replace the tenant's log checkpoint."""
        row = {
            "tenant_id": self.tenant_id,
            "log_id": checkpoint.log_id,
            "taken_at": checkpoint.taken_at,
            "last_full_scan_at": checkpoint.last_full_scan_at,
        }
        statement = self._upsert(t.checkpoints, ("tenant_id",))
        await self._transaction(lambda c: c.execute(statement, [row]))

    # -- the lock holder ---------------------------------------------------------------------------

    async def set_lock_holder(
        self, *, run_id: int | None, host: str, pid: int, since: datetime.datetime
    ) -> None:
        """Say who holds the tenant's lock (written by the holder, right after taking it)."""
        row = {
            "tenant_id": self.tenant_id,
            "run_id": run_id,
            "host": host,
            "pid": pid,
            "since": since,
        }
        statement = self._upsert(t.lock_holders, ("tenant_id",))
        await self._transaction(lambda c: c.execute(statement, [row]))

    async def lock_holder(self) -> dict[str, Any] | None:
        """The last holder of the tenant's lock (host, pid, run_id, since), if any."""
        query = sqlalchemy.select(t.lock_holders).where(
            t.lock_holders.c.tenant_id == self.tenant_id
        )
        row = (await self._run(lambda c: c.execute(query))).first()
        return dict(row._mapping) if row is not None else None


MIGRATION_LOCK_KEY = -7_243_001_515_222_870_001  # pg advisory key of "one migrator at a time"
MIGRATION_WAIT_S = 120.0


async def _migrate(connection: AsyncConnection, location: locations.Location) -> None:
    """Bring the schema up to date, one process at a time.

    Two first runs at once would both see an empty database and both create the tables; the
    second would fail. So the migration holds a lock: a transaction-level advisory lock on
    PostgreSQL, an OS file lock beside a SQLite file. The second waits, then finds the schema
    current and does nothing.
    """
    # Alembic is imported only here, when a state is opened: a quarter of a second that
    # `--help`, `validate` and stateless runs need not pay
    from mfasync.state import schema

    def upgrade(sync: sqlalchemy.Connection) -> None:
        schema.upgrade(sync, display=location.display)

    if location.kind is locations.Kind.POSTGRESQL:
        await connection.execute(
            sqlalchemy.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
        )
        await connection.run_sync(upgrade)
        await connection.commit()  # ends the transaction, and with it the advisory lock
        return
    lock = engines.migration_lock(location)
    try:
        await asyncio.to_thread(lock.acquire, timeout=MIGRATION_WAIT_S)
    except filelock.Timeout:
        raise errors.StateError(
            f"state {location.display}: another mfasync has been migrating it for "
            f"{MIGRATION_WAIT_S:g}s"
        ) from None
    try:
        await connection.run_sync(upgrade)
        await connection.commit()
    finally:
        lock.release()


async def _tenant(
    connection: AsyncConnection, domain: str, *, create: bool, display: str
) -> tuple[int, bytes]:
    query = sqlalchemy.select(t.tenants).where(t.tenants.c.domain == domain)
    row = (await connection.execute(query)).first()
    if row is None and not create:
        known = sqlalchemy.select(t.tenants.c.domain).order_by(t.tenants.c.domain).limit(6)
        domains = list((await connection.execute(known)).scalars())
        held = ", ".join(domains[:5]) + (" ..." if len(domains) > 5 else "")
        raise errors.StateError(
            f"the state at {display} holds nothing for {domain} "
            + (f"(it holds {held}; check --domain)" if domains else "(it holds no tenant yet)")
        )
    if row is None:
        # End the read first: on SQLite a transaction that read, then writes after another
        # connection committed (four first runs at once) fails at once with "database is
        # locked", busy timeout or not; a transaction that begins with its write waits its turn.
        await connection.commit()
        key = secrets.token_bytes(KEY_BYTES)
        insert = (
            (postgresql if connection.dialect.name == "postgresql" else sqlite)
            .insert(t.tenants)
            .values(
                domain=domain,
                fingerprint_key=key.hex(),
                created_at=datetime.datetime.now(datetime.UTC),
            )
            .on_conflict_do_nothing(index_elements=["domain"])
        )
        await connection.execute(insert)  # two first runs at once: one row wins, both read it
        row = (await connection.execute(query)).first()
    assert row is not None
    return int(row.tenant_id), bytes.fromhex(row.fingerprint_key)
