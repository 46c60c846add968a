"""The state store of one tenant: records, runs, the write journal and the log checkpoint.

`Store.open(location, tenant=...)` connects, migrates the schema (`schema.upgrade`), and finds or
creates the tenant's row with its random fingerprint key. Plain records in, plain records out
(`mfasync.records`); nothing here plans, talks to the Management API or prints.

Reads: every method record of the tenant is loaded once, on first use, into a per-user cache that
the planner reads without awaiting (a 100,000-user plan cannot afford one query per user). Writes:
what a listing saw is buffered and written in batches (`observe`, `flush`); a journal intent is
committed before the request it announces (`intend`). An outcome and the records it changes
(`settle`) are deferred to the next transaction, usually the next intent's, so a write costs one
commit, not two: an outcome lost with a killed process leaves an intent without an answer, which
the next apply re-reads anyway. One connection, used by one task at a time (an asyncio lock):
SQLite has one writer anyway, and the tenant's rate limit, not the database, bounds every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import json
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from mfasync import errors, models, plans, records
from mfasync.state import engines, locations, schema
from mfasync.state import tables as t

T = TypeVar("T")

OBSERVATION_BATCH = 2000  # users per batch of listing records
DEFERRED_BATCH = 64  # settled outcomes kept before they are written without waiting for an intent

#: RETURNING makes SQLAlchemy send a batch of rows as multi-row INSERTs ("insertmanyvalues");
#: without it psycopg sends one INSERT per row, a third of the speed of SQLite on these rows.
_INSERT_METHODS = sqlalchemy.insert(t.methods).returning(t.methods.c.method_id)
_INSERT_JOURNAL = sqlalchemy.insert(t.journal).returning(
    t.journal.c.entry_id, sort_by_parameter_order=True
)
_WIPE_USER = sqlalchemy.delete(t.methods).where(
    t.methods.c.tenant_id == sqlalchemy.bindparam("wipe_tenant"),
    t.methods.c.user_id == sqlalchemy.bindparam("wipe_user"),
)
_DELETE_METHOD = sqlalchemy.delete(t.methods).where(
    t.methods.c.tenant_id == sqlalchemy.bindparam("gone_tenant"),
    t.methods.c.user_id == sqlalchemy.bindparam("gone_user"),
    t.methods.c.method_id == sqlalchemy.bindparam("gone_method"),
)
_SETTLE_JOURNAL = (
    sqlalchemy.update(t.journal)
    .where(t.journal.c.entry_id == sqlalchemy.bindparam("settled_entry"))
    .values(
        outcome=sqlalchemy.bindparam("settled_outcome"),
        status=sqlalchemy.bindparam("settled_status"),
        answered_at=sqlalchemy.bindparam("settled_at"),
        new_method_ids=sqlalchemy.bindparam("settled_ids"),
    )
)
KEY_BYTES = 32


@dataclasses.dataclass(frozen=True, slots=True)
class Observation:
    """What one listing of one user showed, for the records (see `Store.observe`)."""

    user_id: str
    live: tuple[tuple[str, str], ...]  # (method id, type) of every live method
    adoptions: Mapping[str, str]  # method id -> fingerprint of the declared value it matched
    desired_fingerprint: str | None
    in_sync: bool
    at: datetime.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class RunInfo:
    """Who and where a run is, for the runs table and the lock holder."""

    command: str
    host: str
    os_user: str
    pid: int
    ci_job: str | None
    started_at: datetime.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class Interrupted:
    """An apply that ended without saying so (killed), and its writes that had no answer."""

    run: records.RunRecord
    unanswered: tuple[records.JournalEntry, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Written:
    """What a settled write changed in the records (all for one user)."""

    created: tuple[tuple[str, str, str | None], ...] = ()  # (method id, type, fingerprint)
    deleted: tuple[str, ...] = ()  # method ids
    replaced: bool = False  # a PUT: every earlier record of the user is gone


class Store:
    """One tenant's state. Use `await Store.open(...)`, then `await store.close()`."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        connection: AsyncConnection,
        location: locations.Location,
        tenant_id: int,
        domain: str,
        key: bytes,
    ) -> None:
        self._engine = engine
        self._connection = connection
        self.location = location
        self.tenant_id = tenant_id
        self.domain = domain
        self.fingerprinter = plans.Fingerprinter(key)
        self._lock = asyncio.Lock()
        self._cache: dict[str, dict[str, records.MethodRecord]] | None = None
        self._pending: list[Observation] = []
        # writes that may wait for the next transaction (settled outcomes and their records), in
        # order: (statement, parameters); runs of one statement go out as one executemany
        self._deferred: list[tuple[Any, dict[str, object]]] = []
        self._upsert_methods = self._upsert(t.methods, ("tenant_id", "user_id", "method_id"))
        self._upsert_users = self._upsert(t.users, ("tenant_id", "user_id")).returning(
            t.users.c.user_id  # see _INSERT_METHODS
        )
        self._intents: list[tuple[dict[str, object], asyncio.Future[int]]] = []
        self._intent_writer: asyncio.Future[None] | None = None

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
            await connection.run_sync(lambda sync: schema.upgrade(sync, display=location.display))
            await connection.commit()
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

    @property
    def engine(self) -> AsyncEngine:
        """For the lock (PostgreSQL takes its advisory lock on a connection of its own)."""
        return self._engine

    # -- method and user records -----------------------------------------------------------------

    async def load(self) -> None:
        """Read every method record of the tenant into the cache (once)."""
        if self._cache is not None:
            return
        cache: dict[str, dict[str, records.MethodRecord]] = {}
        query = sqlalchemy.select(t.methods).where(t.methods.c.tenant_id == self.tenant_id)
        rows = await self._run(lambda c: c.execute(query))
        for row in rows:
            record = _method_record(row)
            cache.setdefault(record.user_id, {})[record.method_id] = record
        self._cache = cache

    def records_of(self, user_id: str) -> Mapping[str, records.MethodRecord]:
        """The user's method records by method id (after `load`)."""
        if self._cache is None:
            raise RuntimeError("Store.load() first")
        return self._cache.get(user_id, {})

    async def method_records(self, user_id: str | None = None) -> list[records.MethodRecord]:
        """Method records, of one user or all, sorted by user and method id (for `state list`)."""
        query = sqlalchemy.select(t.methods).where(t.methods.c.tenant_id == self.tenant_id)
        if user_id is not None:
            query = query.where(t.methods.c.user_id == user_id)
        query = query.order_by(t.methods.c.user_id, t.methods.c.method_id)
        rows = await self._run(lambda c: c.execute(query))
        return [_method_record(row) for row in rows]

    async def user_records(self, user_id: str | None = None) -> dict[str, records.UserRecord]:
        """User records by user id (all of the tenant, or one)."""
        query = sqlalchemy.select(t.users).where(t.users.c.tenant_id == self.tenant_id)
        if user_id is not None:
            query = query.where(t.users.c.user_id == user_id)
        rows = await self._run(lambda c: c.execute(query))
        return {
            row.user_id: records.UserRecord(
                user_id=row.user_id,
                desired_fingerprint=row.desired_fingerprint,
                last_listed_at=row.last_listed_at,
                in_sync=bool(row.in_sync),
            )
            for row in rows
        }

    async def observe(self, observation: Observation) -> None:
        """Record what a listing saw: the tenant wins over the records.

        Methods no longer listed lose their record; listed ones get `last_seen`; a new one is
        `adopted` (with the declared value's fingerprint) when it matched a declared method, else
        `seen`; a `seen` one that now matches becomes `adopted`. Buffered: written by batches.
        """
        await self.load()
        assert self._cache is not None
        existing = self._cache.get(observation.user_id, {})
        updated: dict[str, records.MethodRecord] = {}
        for method_id, kind in observation.live:
            record = existing.get(method_id)
            fingerprint = observation.adoptions.get(method_id)
            if record is None:
                origin = records.MethodOrigin.ADOPTED if fingerprint else records.MethodOrigin.SEEN
                record = records.MethodRecord(
                    user_id=observation.user_id,
                    method_id=method_id,
                    type=kind,
                    origin=origin,
                    fingerprint=fingerprint,
                    first_seen=observation.at,
                    last_seen=observation.at,
                )
            elif record.origin is records.MethodOrigin.SEEN and fingerprint:
                record = dataclasses.replace(
                    record,
                    origin=records.MethodOrigin.ADOPTED,
                    fingerprint=fingerprint,
                    last_seen=observation.at,
                )
            else:
                record = dataclasses.replace(record, last_seen=observation.at)
            updated[method_id] = record
        if updated:
            self._cache[observation.user_id] = updated
        else:
            self._cache.pop(observation.user_id, None)
        self._pending.append(observation)
        if len(self._pending) >= OBSERVATION_BATCH:
            await self.flush()

    async def flush(self) -> None:
        """Write the buffered observations and deferred outcomes (one transaction)."""
        if not self._pending or self._cache is None:
            if self._deferred:
                await self._transaction(_nothing)
            return
        batch, self._pending = self._pending, []
        cache = self._cache
        user_ids = [observation.user_id for observation in batch]
        method_rows = [
            _method_row(self.tenant_id, record)
            for user_id in dict.fromkeys(user_ids)
            for record in cache.get(user_id, {}).values()
        ]
        user_rows = [
            {
                "tenant_id": self.tenant_id,
                "user_id": observation.user_id,
                "desired_fingerprint": observation.desired_fingerprint,
                "last_listed_at": observation.at,
                "in_sync": observation.in_sync,
            }
            for observation in {o.user_id: o for o in batch}.values()
        ]

        async def write(connection: AsyncConnection) -> None:
            for chunk in _chunks(user_ids, 500):
                await connection.execute(
                    sqlalchemy.delete(t.methods).where(
                        t.methods.c.tenant_id == self.tenant_id, t.methods.c.user_id.in_(chunk)
                    )
                )
            if connection.dialect.name == "postgresql":
                # COPY: PostgreSQL's bulk path, several times the rows/s of multi-row INSERTs
                for chunk in _chunks(user_ids, 500):
                    await connection.execute(
                        sqlalchemy.delete(t.users).where(
                            t.users.c.tenant_id == self.tenant_id, t.users.c.user_id.in_(chunk)
                        )
                    )
                await _copy_rows(connection, t.methods, method_rows)
                await _copy_rows(connection, t.users, user_rows)
                return
            if method_rows:
                await connection.execute(_INSERT_METHODS, method_rows)
            await connection.execute(self._upsert_users, user_rows)

        await self._transaction(write)

    async def forget(self, user_id: str) -> int:
        """Drop a user's method and user records; returns how many method records went."""
        await self.flush()

        async def write(connection: AsyncConnection) -> int:
            result = await connection.execute(
                sqlalchemy.delete(t.methods).where(
                    t.methods.c.tenant_id == self.tenant_id, t.methods.c.user_id == user_id
                )
            )
            await connection.execute(
                sqlalchemy.delete(t.users).where(
                    t.users.c.tenant_id == self.tenant_id, t.users.c.user_id == user_id
                )
            )
            return int(result.rowcount or 0)

        removed = await self._transaction(write)
        if self._cache is not None:
            self._cache.pop(user_id, None)
        return removed

    # -- runs and the journal --------------------------------------------------------------------

    async def begin_run(self, info: RunInfo) -> int:
        """A new run row; its id."""
        values = {
            "tenant_id": self.tenant_id,
            "command": info.command,
            "started_at": info.started_at,
            "host": info.host,
            "os_user": info.os_user,
            "ci_job": info.ci_job,
            "pid": info.pid,
            "counts": "{}",
        }

        async def write(connection: AsyncConnection) -> int:
            result = await connection.execute(sqlalchemy.insert(t.runs).values(**values))
            return _new_id(result)

        return await self._transaction(write)

    async def end_run(
        self, run_id: int, *, counts: Mapping[str, int], outcome: str, at: datetime.datetime
    ) -> None:
        """Close a run with its counts and outcome (`ok`, `failed`)."""
        await self.flush()
        statement = (
            sqlalchemy.update(t.runs)
            .where(t.runs.c.run_id == run_id)
            .values(ended_at=at, outcome=outcome, counts=json.dumps(dict(counts), sort_keys=True))
        )
        await self._transaction(lambda c: c.execute(statement))

    async def intend(
        self,
        run_id: int,
        *,
        user_id: str,
        op: str,
        method_type: str | None,
        method_id: str | None,
        at: datetime.datetime,
    ) -> int:
        """Journal a write before it is sent (committed when this returns); the entry id.

        Group commit: intents that arrive while one is being written go out together in the
        next transaction, so concurrent writers share commits instead of queueing for one each.
        """
        values: dict[str, object] = {
            "run_id": run_id,
            "tenant_id": self.tenant_id,
            "user_id": user_id,
            "op": op,
            "method_type": method_type,
            "method_id": method_id,
            "intended_at": at,
            "new_method_ids": "[]",
        }

        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._intents.append((values, future))
        if self._intent_writer is None or self._intent_writer.done():
            self._intent_writer = asyncio.ensure_future(self._write_intents())
        return await future

    async def _write_intents(self) -> None:
        while self._intents:
            batch, self._intents = self._intents, []

            async def write(connection: AsyncConnection, rows: list[Any] = batch) -> list[int]:
                result = await connection.execute(_INSERT_JOURNAL, [row for row, _ in rows])
                return [int(entry_id) for entry_id in result.scalars().all()]

            try:
                ids = await self._transaction(write)
            except errors.StateError as exc:
                for _, waiting in batch:
                    if not waiting.done():
                        waiting.set_exception(exc)
                continue
            for (_, waiting), entry_id in zip(batch, ids, strict=True):
                if not waiting.done():
                    waiting.set_result(entry_id)

    async def settle(
        self,
        entry_id: int,
        *,
        user_id: str,
        outcome: records.WriteOutcome,
        status: int | None,
        at: datetime.datetime,
        written: Written | None = None,
    ) -> None:
        """A journaled write's outcome, and what it changed in the records (one transaction).

        Deferred to the next transaction (see the module docstring); the cache changes at once.
        """
        written = written or Written()
        new_ids = [method_id for method_id, _, _ in written.created]
        answer: dict[str, object] = {
            "settled_entry": entry_id,
            "settled_outcome": outcome.value,
            "settled_status": status,
            "settled_at": at,
            "settled_ids": json.dumps(new_ids),
        }
        await self._write_records(user_id, written, at=at, answer=answer)

    async def record_settled(
        self, user_id: str, written: Written, *, at: datetime.datetime
    ) -> None:
        """Record methods an uncertain write made, once a re-listing showed them."""
        await self._write_records(user_id, written, at=at)

    async def _write_records(
        self,
        user_id: str,
        written: Written,
        *,
        at: datetime.datetime,
        answer: dict[str, object] | None = None,
    ) -> None:
        created = [
            records.MethodRecord(
                user_id=user_id,
                method_id=method_id,
                type=kind,
                origin=records.MethodOrigin.CREATED,
                fingerprint=fingerprint,
                first_seen=at,
                last_seen=at,
            )
            for method_id, kind, fingerprint in written.created
        ]
        tenant = self.tenant_id
        if answer is not None:
            self._deferred.append((_SETTLE_JOURNAL, answer))
        if written.replaced:
            self._deferred.append((_WIPE_USER, {"wipe_tenant": tenant, "wipe_user": user_id}))
        for method_id in written.deleted:
            self._deferred.append(
                (
                    _DELETE_METHOD,
                    {"gone_tenant": tenant, "gone_user": user_id, "gone_method": method_id},
                )
            )
        for record in created:
            self._deferred.append((self._upsert_methods, _method_row(tenant, record)))
        if len(self._deferred) >= DEFERRED_BATCH:
            await self._transaction(_nothing)
        if self._cache is not None:
            mine = {} if written.replaced else dict(self._cache.get(user_id, {}))
            for method_id in written.deleted:
                mine.pop(method_id, None)
            mine.update({record.method_id: record for record in created})
            self._cache[user_id] = mine

    async def interrupted(self, *, current_run: int | None) -> list[Interrupted]:
        """Applies that never ended (killed), oldest first, with their unanswered writes.

        Only applies hold the lock and write, so an apply row without an end, seen by the lock's
        holder, belongs to a run that died.
        """
        query = (
            sqlalchemy.select(t.runs)
            .where(
                t.runs.c.tenant_id == self.tenant_id,
                t.runs.c.command == "apply",
                t.runs.c.ended_at.is_(None),
                t.runs.c.outcome.is_(None),
            )
            .order_by(t.runs.c.run_id)
        )
        runs = [_run_record(row) for row in await self._run(lambda c: c.execute(query))]
        found: list[Interrupted] = []
        for run in runs:
            if run.run_id == current_run:
                continue
            entries = await self.journal(run_id=run.run_id)
            unanswered = tuple(entry for entry in entries if entry.outcome is None)
            found.append(Interrupted(run=run, unanswered=unanswered))
        return found

    async def close_interrupted(self, run_ids: Sequence[int]) -> None:
        """Mark killed runs `interrupted`, and their unanswered writes `unknown`."""
        if not run_ids:
            return

        async def write(connection: AsyncConnection) -> None:
            await connection.execute(
                sqlalchemy.update(t.runs)
                .where(t.runs.c.run_id.in_(list(run_ids)))
                .values(outcome="interrupted")
            )
            await connection.execute(
                sqlalchemy.update(t.journal)
                .where(t.journal.c.run_id.in_(list(run_ids)), t.journal.c.outcome.is_(None))
                .values(outcome=records.WriteOutcome.UNKNOWN.value)
            )

        await self._transaction(write)

    async def runs(
        self, *, limit: int | None = None, user_id: str | None = None
    ) -> list[records.RunRecord]:
        """Runs, newest first (with `user_id`: only those that journaled a write for that user)."""
        query = (
            sqlalchemy.select(t.runs)
            .where(t.runs.c.tenant_id == self.tenant_id)
            .order_by(t.runs.c.run_id.desc())
        )
        if user_id is not None:
            wrote = sqlalchemy.select(t.journal.c.run_id).where(
                t.journal.c.tenant_id == self.tenant_id, t.journal.c.user_id == user_id
            )
            query = query.where(t.runs.c.run_id.in_(wrote))
        if limit is not None:
            query = query.limit(limit)
        return [_run_record(row) for row in await self._run(lambda c: c.execute(query))]

    async def journal(
        self,
        *,
        run_id: int | None = None,
        run_ids: Sequence[int] | None = None,
        user_id: str | None = None,
        limit: int | None = None,
    ) -> list[records.JournalEntry]:
        """Journal entries in the order they were written (of one run, some runs, one user, all)."""
        query = sqlalchemy.select(t.journal).where(t.journal.c.tenant_id == self.tenant_id)
        if run_id is not None:
            query = query.where(t.journal.c.run_id == run_id)
        if run_ids is not None:
            query = query.where(t.journal.c.run_id.in_(list(run_ids)))
        if user_id is not None:
            query = query.where(t.journal.c.user_id == user_id)
        if limit is not None:
            newest = query.order_by(t.journal.c.entry_id.desc()).limit(limit).subquery()
            query = sqlalchemy.select(newest)
        rows = await self._run(lambda c: c.execute(query))
        entries = [_journal_entry(row) for row in rows]
        return sorted(entries, key=lambda entry: entry.entry_id)

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

    # -- plumbing ----------------------------------------------------------------------------------

    def _upsert(self, table: sqlalchemy.Table, keys: tuple[str, ...]) -> Any:
        """INSERT ... ON CONFLICT (keys) DO UPDATE of every other column, in the dialect's form."""
        dialect = self._engine.dialect.name
        insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
        others = {
            column.name: insert.excluded[column.name]
            for column in table.columns
            if column.name not in keys
        }
        return insert.on_conflict_do_update(index_elements=list(keys), set_=others)

    async def _run(self, operation: Any) -> Any:
        """A read on the store's connection (after the deferred writes), errors as `StateError`."""
        async with self._lock:
            try:
                await self._write_deferred()
                result = await operation(self._connection)
                rows = result.fetchall() if result.returns_rows else []
                await self._connection.commit()  # end the read transaction: WAL may checkpoint
            except SQLAlchemyError as exc:
                await self._rollback()
                raise self._failure(exc) from None
        return _Rows(rows)

    async def _transaction(self, operation: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """`operation(connection)` in one committed transaction, its errors as `StateError`."""
        async with self._lock:
            try:
                await self._write_deferred()
                outcome = await operation(self._connection)
                await self._connection.commit()
            except SQLAlchemyError as exc:
                await self._rollback()
                raise self._failure(exc) from None
        return outcome

    async def _write_deferred(self) -> None:
        deferred, self._deferred = self._deferred, []
        start = 0
        while start < len(deferred):
            statement = deferred[start][0]
            end = start
            while end < len(deferred) and deferred[end][0] is statement:
                end += 1
            await self._connection.execute(statement, [item[1] for item in deferred[start:end]])
            start = end

    async def _rollback(self) -> None:
        # if the connection is gone, the failure that brought us here says why
        with contextlib.suppress(SQLAlchemyError):
            await self._connection.rollback()

    def _failure(self, exc: SQLAlchemyError) -> errors.StateError:
        return errors.StateError(engines.describe_failure(exc, display=self.location.display))


class _Rows(list[Any]):
    """Fetched rows, with `first()` like a SQLAlchemy result."""

    def first(self) -> Any:
        return self[0] if self else None


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


async def _copy_rows(
    connection: AsyncConnection, table: sqlalchemy.Table, rows: Sequence[Mapping[str, object]]
) -> None:
    """COPY `rows` into `table` on the connection's own transaction (PostgreSQL only).

    COPY bypasses the column types, so aware datetimes are stored as naive UTC here, as
    `tables.UtcDateTime` stores them.
    """
    if not rows:
        return
    names = [column.name for column in table.columns]
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    columns = ", ".join(f'"{name}"' for name in names)
    async with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            await copy.write_row([_copy_value(row[name]) for name in names])


def _copy_value(value: object) -> object:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value


async def _nothing(connection: AsyncConnection) -> None:
    """A transaction of only the deferred writes."""


def _new_id(result: sqlalchemy.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _method_row(tenant_id: int, record: records.MethodRecord) -> dict[str, object]:
    return {
        "tenant_id": tenant_id,
        "user_id": record.user_id,
        "method_id": record.method_id,
        "type": record.type,
        "origin": record.origin.value,
        "fingerprint": record.fingerprint,
        "first_seen": record.first_seen,
        "last_seen": record.last_seen,
    }


def _method_record(row: Any) -> records.MethodRecord:
    return records.MethodRecord(
        user_id=row.user_id,
        method_id=row.method_id,
        type=row.type,
        origin=records.MethodOrigin(row.origin),
        fingerprint=row.fingerprint,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
    )


def _run_record(row: Any) -> records.RunRecord:
    return records.RunRecord(
        run_id=int(row.run_id),
        command=row.command,
        started_at=row.started_at,
        ended_at=row.ended_at,
        host=row.host,
        os_user=row.os_user,
        ci_job=row.ci_job,
        pid=int(row.pid),
        counts=json.loads(row.counts or "{}"),
        outcome=row.outcome,
    )


def _journal_entry(row: Any) -> records.JournalEntry:
    return records.JournalEntry(
        entry_id=int(row.entry_id),
        run_id=int(row.run_id),
        user_id=row.user_id,
        op=row.op,
        method_type=row.method_type,
        method_id=row.method_id,
        intended_at=row.intended_at,
        outcome=records.WriteOutcome(row.outcome) if row.outcome is not None else None,
        status=row.status,
        new_method_ids=tuple(json.loads(row.new_method_ids or "[]")),
        answered_at=row.answered_at,
    )


def _chunks(items: Sequence[str], size: int) -> Iterable[list[str]]:
    unique = list(dict.fromkeys(items))
    for start in range(0, len(unique), size):
        yield unique[start : start + size]


def observation(
    user_id: str,
    live: Sequence[models.LiveMethod],
    *,
    adoptions: Sequence[tuple[str, str]],
    desired_fingerprint: str | None,
    in_sync: bool,
    at: datetime.datetime,
) -> Observation:
    """An `Observation` from a listing and the plan made of it."""
    return Observation(
        user_id=user_id,
        live=tuple((method.id, method.type) for method in live),
        adoptions=dict(adoptions),
        desired_fingerprint=desired_fingerprint,
        in_sync=in_sync,
        at=at,
    )
