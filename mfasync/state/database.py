"""The state database's plumbing: one connection, one task at a time, deferred writes.

`Database` holds the connection of one tenant's state and what every part of the store shares:
reads and transactions that turn driver errors into one-line `errors.StateError`s, the queue of
writes that may wait for the next transaction (settled outcomes and their records, see `journal`),
the dialect's upsert, and COPY for PostgreSQL's bulk writes. It knows no table's meaning.

One connection, used by one task at a time (an asyncio lock): SQLite has one writer anyway, and the
tenant's rate limit, not the database, bounds every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from mfasync import errors, plans, records
from mfasync.state import engines, locations
from mfasync.state import tables as t

T = TypeVar("T")

DEFERRED_BATCH = 64  # settled outcomes kept before they are written without waiting for an intent


class Database:
    """The connection of one tenant's state and the plumbing every part of the store shares."""

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
        self._cache: dict[str, Mapping[str, records.MethodRecord]] | None = None
        self._pending: list[Any] = []  # buffered listings (`method_records.Observation`)
        # users of the buffered listings whose method records changed (the others' rows stay;
        # only their last_seen moves)
        self._changed: set[str] = set()
        # writes that may wait for the next transaction (settled outcomes and their records), in
        # order: (statement, parameters); runs of one statement go out as one executemany
        self._deferred: list[tuple[Any, dict[str, object]]] = []
        self._upsert_methods = self._upsert(t.methods, ("tenant_id", "user_id", "method_id"))
        self._upsert_users = self._upsert(t.users, ("tenant_id", "user_id")).returning(
            t.users.c.user_id  # see _INSERT_METHODS
        )
        self._intents: list[tuple[dict[str, object], asyncio.Future[int]]] = []
        self._intent_writer: asyncio.Future[None] | None = None

    async def flush(self) -> None:
        """Write what is buffered (the parts of the store add theirs)."""
        if self._deferred:
            await self._transaction(nothing)

    @property
    def engine(self) -> AsyncEngine:
        """For the lock (PostgreSQL takes its advisory lock on a connection of its own)."""
        return self._engine

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


async def copy_rows(
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


async def nothing(connection: AsyncConnection) -> None:
    """A transaction of only the deferred writes."""


def new_id(result: sqlalchemy.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def chunks(items: Sequence[str], size: int) -> Iterable[list[str]]:
    unique = list(dict.fromkeys(items))
    for start in range(0, len(unique), size):
        yield unique[start : start + size]
