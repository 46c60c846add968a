"""`push`: the whole state copied to another backend (`mfasync state push URL`).

Every tenant goes, with its fingerprint key (so a plan saved against the source applies with the
target), its method and user records, runs, journal and log checkpoint; lock holders do not (a
lock belongs to a live process on the source, not to the data). Rows keep their ids, so the
journal still points at its runs; after inserting explicit ids into PostgreSQL the serial sequences
are moved past them (`setval`), so that the target's next run or journal entry does not collide.

Both databases are first brought to this mfasync's schema (`schema.upgrade`). The source is read in
one snapshot (a repeatable-read transaction on PostgreSQL, one `BEGIN` on SQLite), streamed in
batches; the target is written in one transaction, so a failed push leaves it as it was, under
the target's lock of every tenant it writes (`lock`), so that no apply writes beside it. A target
that holds any mfasync row is refused unless `force`, which replaces every mfasync row in it (and
only those: other tables in a team's database are not touched). Messages name locations only by
their redacted `display`.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Any, TypeVar

import filelock
import sqlalchemy
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from mfasync import errors
from mfasync.state import database, engines, locations, lock
from mfasync.state import tables as t

T = TypeVar("T")

BATCH_ROWS = 2_000

#: What a push copies, in order, with the name each is counted under.
COPIED: tuple[tuple[str, sqlalchemy.Table], ...] = (
    ("tenants", t.tenants),
    ("methods", t.methods),
    ("users", t.users),
    ("runs", t.runs),
    ("journal", t.journal),
    ("checkpoints", t.checkpoints),
)
#: What `force` clears in the target: every mfasync table that holds rows.
CLEARED: tuple[sqlalchemy.Table, ...] = (*(table for _, table in COPIED), t.lock_holders)
#: Serial columns whose PostgreSQL sequence must follow explicit ids.
SERIALS: tuple[tuple[sqlalchemy.Table, str], ...] = (
    (t.tenants, "tenant_id"),
    (t.runs, "run_id"),
    (t.journal, "entry_id"),
)


@dataclasses.dataclass(frozen=True, slots=True)
class Pushed:
    """What a push copied (rows per table name of `COPIED`), and what it replaced."""

    copied: Mapping[str, int]
    replaced: Mapping[str, int]  # the target's rows before (all zero unless forced over them)


async def push(
    source: locations.Location, target: locations.Location, *, force: bool = False
) -> Pushed:
    """Copy the whole state at `source` to `target` (see the module docstring)."""
    if same_database(source, target):
        raise errors.StateError(
            f"state push: {target.display} is the state being pushed; name another database"
        )
    async with (
        _connected(source) as reading,
        _connected(target) as writing,
        contextlib.AsyncExitStack() as stack,
    ):
        await _guarded(source, _migrate(reading, source))
        await _guarded(target, _migrate(writing, target))
        await _guarded(source, _snapshot(reading))
        before = await _guarded(target, row_counts(writing))
        if any(before.values()) and not force:
            raise errors.StateError(
                f"state push: the state at {target.display} is not empty ({describe(before)}); "
                "pass --force to replace its mfasync rows"
            )
        domains = await _guarded(source, _domains(reading)) | await _guarded(
            target, _domains(writing)
        )
        copied: dict[str, int] = {}
        try:
            await stack.enter_async_context(_tenants_locked(writing, target, domains))
            if any(before.values()):
                for table in CLEARED:
                    await writing.execute(sqlalchemy.delete(table))
            for name, table in COPIED:
                copied[name] = await _copy_table(reading, writing, table, source=source)
            if writing.dialect.name == "postgresql":
                for table, column in SERIALS:
                    await writing.execute(_setval(table, column))
            await writing.commit()
        except SQLAlchemyError as exc:
            await _rollback(writing)
            raise errors.StateError(engines.describe_failure(exc, display=target.display)) from None
        await _rollback(reading)  # the snapshot was only read
    return Pushed(copied=copied, replaced=before)


async def row_counts(connection: AsyncConnection) -> dict[str, int]:
    """Rows per table of `COPIED` in the database of `connection` (after its migration)."""
    counts: dict[str, int] = {}
    for name, table in COPIED:
        query = sqlalchemy.select(sqlalchemy.func.count()).select_from(table)
        counts[name] = int((await connection.execute(query)).scalar_one())
    return counts


def same_database(first: locations.Location, second: locations.Location) -> bool:
    """Whether two locations name one database (a push onto itself would wipe it)."""
    if first.kind is not second.kind:
        return False
    if first.kind is locations.Kind.SQLITE:
        assert first.sqlite_path is not None
        assert second.sqlite_path is not None
        return first.sqlite_path.resolve() == second.sqlite_path.resolve()
    one, other = first.url, second.url
    return (
        (one.host or "localhost", one.port or 5432, one.database)
        == (other.host or "localhost", other.port or 5432, other.database)
    )  # fmt: skip


#: How each count of `COPIED` is said: (one, many).
NOUNS: Mapping[str, tuple[str, str]] = {
    "tenants": ("tenant", "tenants"),
    "methods": ("method record", "method records"),
    "users": ("user record", "user records"),
    "runs": ("run", "runs"),
    "journal": ("journal entry", "journal entries"),
    "checkpoints": ("checkpoint", "checkpoints"),
}


def describe(counts: Mapping[str, int]) -> str:
    """`2 tenants, 5 method records, ...` (the non-zero counts), or `nothing`."""
    shown = [
        f"{count} {NOUNS[name][0] if count == 1 else NOUNS[name][1]}"
        for name, count in counts.items()
        if count
    ]
    return ", ".join(shown) or "nothing"


async def _copy_table(
    reading: AsyncConnection,
    writing: AsyncConnection,
    table: sqlalchemy.Table,
    *,
    source: locations.Location,
) -> int:
    """Stream `table`'s rows from `reading` into `writing` in batches; how many.

    A failed read is the source's `StateError`; a failed write raises the driver's error, which
    the caller names as the target's.
    """
    # PostgreSQL: COPY, its bulk path. SQLite: RETURNING makes SQLAlchemy send a batch as
    # multi-row INSERTs ("insertmanyvalues")
    first_key = next(iter(table.primary_key.columns))
    insert = sqlalchemy.insert(table).returning(first_key)
    bulk = writing.dialect.name == "postgresql"
    copied = 0
    async for rows in _rows(reading, table, source=source):
        if bulk:
            await database.copy_rows(writing, table, rows)
        else:
            await writing.execute(insert, rows)
        copied += len(rows)
    return copied


async def _rows(
    reading: AsyncConnection, table: sqlalchemy.Table, *, source: locations.Location
) -> AsyncIterator[list[dict[str, Any]]]:
    """`table`'s rows in primary-key order, `BATCH_ROWS` at a time."""
    query = sqlalchemy.select(table).order_by(*table.primary_key.columns)
    try:
        result = await reading.stream(query)
        async for batch in result.mappings().partitions(BATCH_ROWS):
            yield [dict(row) for row in batch]
    except SQLAlchemyError as exc:
        raise errors.StateError(engines.describe_failure(exc, display=source.display)) from None


async def _domains(connection: AsyncConnection) -> set[str]:
    return set((await connection.execute(sqlalchemy.select(t.tenants.c.domain))).scalars())


@contextlib.asynccontextmanager
async def _tenants_locked(
    writing: AsyncConnection, target: locations.Location, domains: set[str]
) -> AsyncIterator[None]:
    """Hold the target's lock of every tenant written: never replace rows under a running apply.

    The lock of `lock.TenantLock`: an advisory lock on the target connection's session
    (PostgreSQL), the OS file lock beside the target file (SQLite). Taken at once or refused.
    """
    files: list[filelock.BaseFileLock] = []
    try:
        for domain in sorted(domains):
            if target.sqlite_path is not None:
                held = lock.file_lock(target.sqlite_path, domain)
                try:
                    held.acquire(timeout=0)
                except filelock.Timeout:
                    raise errors.StateError(await _locked(writing, target, domain)) from None
                files.append(held)
            else:
                taken = await writing.execute(
                    sqlalchemy.text("SELECT pg_try_advisory_lock(:key)"),
                    {"key": lock.advisory_key(domain)},
                )
                if not taken.scalar():
                    raise errors.StateError(await _locked(writing, target, domain))
        yield
    finally:
        for held in files:
            held.release()
        if target.sqlite_path is None:
            with contextlib.suppress(SQLAlchemyError):  # closing the connection drops them too
                await writing.execute(sqlalchemy.text("SELECT pg_advisory_unlock_all()"))


async def _locked(writing: AsyncConnection, target: locations.Location, domain: str) -> str:
    query = (
        sqlalchemy.select(t.lock_holders)
        .join(t.tenants, t.tenants.c.tenant_id == t.lock_holders.c.tenant_id)
        .where(t.tenants.c.domain == domain)
    )
    holder = (await writing.execute(query)).first()
    who = f" (run {holder.run_id}, pid {holder.pid} on {holder.host})" if holder else ""
    return (
        f"state push: the tenant {domain} is locked in {target.display} by a running "
        f"apply{who}; wait for it to end"
    )


def _setval(table: sqlalchemy.Table, column: str) -> sqlalchemy.Select[tuple[int]]:
    """`setval` of the column's sequence so that the next value follows the highest id."""
    highest = sqlalchemy.select(sqlalchemy.func.max(table.c[column])).scalar_subquery()
    sequence = sqlalchemy.func.pg_get_serial_sequence(table.name, column)
    following = sqlalchemy.func.coalesce(highest, 0) + 1
    return sqlalchemy.select(sqlalchemy.func.setval(sequence, following, False))


async def _migrate(connection: AsyncConnection, location: locations.Location) -> None:
    from mfasync.state import schema  # Alembic only when a push runs, as in `Store.open`

    await connection.run_sync(lambda sync: schema.upgrade(sync, display=location.display))
    await connection.commit()


async def _snapshot(connection: AsyncConnection) -> None:
    """Start the read transaction that every later read of the source shares."""
    if connection.dialect.name == "sqlite":
        # pysqlite begins no transaction before a SELECT: without BEGIN each read would see
        # whatever a concurrent apply committed in between
        await connection.exec_driver_sql("BEGIN")
    else:
        await connection.execute(sqlalchemy.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))


async def _guarded(location: locations.Location, operation: Awaitable[T]) -> T:
    """`await operation`, a driver error as one line naming `location`."""
    try:
        return await operation
    except SQLAlchemyError as exc:
        raise errors.StateError(engines.describe_failure(exc, display=location.display)) from None


@contextlib.asynccontextmanager
async def _connected(location: locations.Location) -> AsyncIterator[AsyncConnection]:
    engine = engines.create_engine(location)
    try:
        try:
            connection = await engine.connect()
        except SQLAlchemyError as exc:
            raise errors.StateError(
                engines.describe_failure(exc, display=location.display)
            ) from None
        except OSError as exc:
            raise errors.StateError(f"state {location.display}: {exc.strerror or exc}") from None
        try:
            yield connection
        finally:
            with contextlib.suppress(SQLAlchemyError):
                await connection.close()
    finally:
        await engine.dispose()


async def _rollback(connection: AsyncConnection) -> None:
    with contextlib.suppress(SQLAlchemyError):
        await connection.rollback()
