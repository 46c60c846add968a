"""Method and user records: what the state knows of each user's factors and last listing.

Every method record of the tenant is loaded once, on first use, into a per-user cache that the
planner reads without awaiting (a 100,000-user plan cannot afford one query per user). What a
listing saw is buffered and written in batches (`observe`, `flush`): the tenant wins over the
records (a method no longer listed loses its record). A write's changes to the records
(`write_records`) are deferred to the next transaction with its journal outcome.
"""

from __future__ import annotations

import dataclasses
import datetime
import sys
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy
from sqlalchemy.ext.asyncio import AsyncConnection

from mfasync import models, records
from mfasync.state import tables as t
from mfasync.state.database import DEFERRED_BATCH, Database, chunks, copy_rows, nothing

OBSERVATION_BATCH = 2000  # users per batch of listing records
LOAD_PAGE_ROWS = 10_000  # method rows per page when the cache is loaded
PAGE_USERS = 2000  # users per page of `pages` (`state list`)

#: RETURNING makes SQLAlchemy send a batch of rows as multi-row INSERTs ("insertmanyvalues");
#: without it a batch goes one INSERT per row.
_INSERT_METHODS = sqlalchemy.insert(t.methods).returning(t.methods.c.method_id)
_WIPE_USER = sqlalchemy.delete(t.methods).where(
    t.methods.c.tenant_id == sqlalchemy.bindparam("wipe_tenant"),
    t.methods.c.user_id == sqlalchemy.bindparam("wipe_user"),
)
_DELETE_METHOD = sqlalchemy.delete(t.methods).where(
    t.methods.c.tenant_id == sqlalchemy.bindparam("gone_tenant"),
    t.methods.c.user_id == sqlalchemy.bindparam("gone_user"),
    t.methods.c.method_id == sqlalchemy.bindparam("gone_method"),
)


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
class Written:
    """What a settled write changed in the records (all for one user)."""

    created: tuple[tuple[str, str, str | None], ...] = ()  # (method id, type, fingerprint)
    deleted: tuple[str, ...] = ()  # method ids
    replaced: bool = False  # a PUT: every earlier record of the user is gone


class UserMethods(Mapping[str, records.MethodRecord]):
    """One user's method records by method id, as a tuple: a user holds one to three, and a dict
    per user was the largest share of a 100,000-user state's memory."""

    __slots__ = ("_records",)

    def __init__(self, items: Sequence[records.MethodRecord] = ()) -> None:
        self._records = tuple(items)

    def __getitem__(self, method_id: str) -> records.MethodRecord:
        for record in self._records:
            if record.method_id == method_id:
                return record
        raise KeyError(method_id)

    def __iter__(self) -> Iterator[str]:
        return (record.method_id for record in self._records)

    def __len__(self) -> int:
        return len(self._records)


NO_RECORDS = UserMethods()


class MethodRecords(Database):
    """The records part of the store."""

    async def load(self) -> None:
        """Read every method record of the tenant into the cache (once)."""
        if self._cache is not None:
            return
        by_user: dict[str, list[records.MethodRecord]] = {}
        moments: dict[datetime.datetime, datetime.datetime] = {}  # one object per moment
        async for row in self._method_rows():
            record = _method_record(row)
            mine = by_user.setdefault(record.user_id, [])
            mine.append(
                dataclasses.replace(
                    record,
                    type=sys.intern(record.type),
                    first_seen=moments.setdefault(record.first_seen, record.first_seen),
                    last_seen=moments.setdefault(record.last_seen, record.last_seen),
                )
            )
        self._cache = {user_id: UserMethods(mine) for user_id, mine in by_user.items()}

    async def _method_rows(self) -> AsyncIterator[Any]:
        """Every method row of the tenant, read by keyset pages: never all the rows at once."""
        key = (t.methods.c.user_id, t.methods.c.method_id)
        after: tuple[str, str] | None = None
        while True:
            query = sqlalchemy.select(t.methods).where(t.methods.c.tenant_id == self.tenant_id)
            if after is not None:
                later = sqlalchemy.tuple_(*(sqlalchemy.literal(value) for value in after))
                query = query.where(sqlalchemy.tuple_(*key) > later)
            query = query.order_by(*key).limit(LOAD_PAGE_ROWS)
            rows = await self._run(lambda c, q=query: c.execute(q))
            for row in rows:
                yield row
            if len(rows) < LOAD_PAGE_ROWS:
                return
            after = (rows[-1].user_id, rows[-1].method_id)

    def method_owners(self) -> dict[str, str]:
        """Method id -> user id of every record (after `load`), from the cache."""
        if self._cache is None:
            raise RuntimeError("Store.load() first")
        return {method_id: user_id for user_id, mine in self._cache.items() for method_id in mine}

    def records_of(self, user_id: str) -> Mapping[str, records.MethodRecord]:
        """The user's method records by method id (after `load`)."""
        if self._cache is None:
            raise RuntimeError("Store.load() first")
        return self._cache.get(user_id, NO_RECORDS)

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
        return {row.user_id: _user_record(row) for row in rows}

    async def pages(
        self, *, users_per_page: int | None = None
    ) -> AsyncIterator[tuple[list[records.MethodRecord], list[records.UserRecord]]]:
        """Every method and user record of the tenant, by pages of whole users in user id order.

        For `state list` of a large tenant: one page in memory at a time, each read with indexed
        range scans (the next `users_per_page` user ids of either table, then their rows).
        """
        users_per_page = users_per_page or PAGE_USERS
        after: str | None = None
        while True:
            found: set[str] = set()
            for table, ids in (
                (t.methods, sqlalchemy.select(t.methods.c.user_id).distinct()),
                (t.users, sqlalchemy.select(t.users.c.user_id)),
            ):
                ids = ids.where(table.c.tenant_id == self.tenant_id)
                if after is not None:
                    ids = ids.where(table.c.user_id > after)
                ids = ids.order_by(table.c.user_id).limit(users_per_page)
                found.update(row.user_id for row in await self._run(lambda c, q=ids: c.execute(q)))
            if not found:
                return
            last = sorted(found)[:users_per_page][-1]
            page: list[list[Any]] = []
            for table in (t.methods, t.users):
                query = sqlalchemy.select(table).where(
                    table.c.tenant_id == self.tenant_id, table.c.user_id <= last
                )
                if after is not None:
                    query = query.where(table.c.user_id > after)
                query = query.order_by(*table.primary_key.columns)
                page.append(await self._run(lambda c, q=query: c.execute(q)))
            yield [_method_record(row) for row in page[0]], [_user_record(row) for row in page[1]]
            after = last

    async def observe(self, observation: Observation) -> None:
        """Record what a listing saw: the tenant wins over the records.

        Methods no longer listed lose their record; listed ones get `last_seen`; a new one is
        `adopted` (with the declared value's fingerprint) when it matched a declared method, else
        `seen`; a `seen` one that now matches becomes `adopted`. Buffered: written by batches.
        """
        await self.load()
        assert self._cache is not None
        existing = self._cache.get(observation.user_id, NO_RECORDS)
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
            # else: the same record; its new last_seen is the observation's time, written by
            # `flush` (a new object per unchanged record was most of a large plan's churn)
            updated[method_id] = record
        if not updated:
            if self._cache.pop(observation.user_id, None) is not None:
                self._changed.add(observation.user_id)
        elif len(updated) != len(existing) or any(
            existing.get(method_id) is not record for method_id, record in updated.items()
        ):
            self._cache[observation.user_id] = UserMethods(list(updated.values()))
            self._changed.add(observation.user_id)
        self._pending.append(observation)
        if len(self._pending) >= OBSERVATION_BATCH:
            await self.flush()

    async def flush(self) -> None:
        """Write the buffered observations and deferred outcomes (one transaction)."""
        if not self._pending or self._cache is None:
            if self._deferred:
                await self._transaction(nothing)
            return
        batch, self._pending = self._pending, []
        changed, self._changed = self._changed, set()
        cache = self._cache
        user_ids = list(dict.fromkeys(observation.user_id for observation in batch))
        seen_at = {observation.user_id: observation.at for observation in batch}
        # A user whose records did not change keeps its rows; only their last_seen moves, by one
        # UPDATE per chunk (a nightly drift of 100,000 users rewrote every row before).
        rewritten = [user_id for user_id in user_ids if user_id in changed]
        kept = [user_id for user_id in user_ids if user_id not in changed]
        method_rows = [
            {**method_row(self.tenant_id, record), "last_seen": max(record.last_seen, at)}
            for user_id in rewritten
            for record in cache.get(user_id, NO_RECORDS).values()
            for at in (seen_at[user_id],)
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
            for chunk in chunks(rewritten, 500):
                await connection.execute(
                    sqlalchemy.delete(t.methods).where(
                        t.methods.c.tenant_id == self.tenant_id, t.methods.c.user_id.in_(chunk)
                    )
                )
            for chunk in chunks(kept, 500):
                # the chunk's earliest listing: never a moment after one of its users was seen
                at = min(seen_at[user_id] for user_id in chunk)
                await connection.execute(
                    sqlalchemy.update(t.methods)
                    .where(
                        t.methods.c.tenant_id == self.tenant_id,
                        t.methods.c.user_id.in_(chunk),
                        t.methods.c.last_seen < at,
                    )
                    .values(last_seen=at)
                )
            if connection.dialect.name == "postgresql":
                # COPY: PostgreSQL's bulk path, several times the rows/s of multi-row INSERTs
                for chunk in chunks(user_ids, 500):
                    await connection.execute(
                        sqlalchemy.delete(t.users).where(
                            t.users.c.tenant_id == self.tenant_id, t.users.c.user_id.in_(chunk)
                        )
                    )
                await copy_rows(connection, t.methods, method_rows)
                await copy_rows(connection, t.users, user_rows)
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

    async def record_settled(
        self, user_id: str, written: Written, *, at: datetime.datetime
    ) -> None:
        """Record methods an uncertain write made, once a re-listing showed them."""
        await self.write_records(user_id, written, at=at)

    async def write_records(
        self,
        user_id: str,
        written: Written,
        *,
        at: datetime.datetime,
    ) -> None:
        """What a write changed in the user's records: in the cache now, in the database with
        the next transaction (deferred, in order)."""
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
            self._deferred.append((self._upsert_methods, method_row(tenant, record)))
        if len(self._deferred) >= DEFERRED_BATCH:
            await self._transaction(nothing)
        if self._cache is not None:
            mine = {} if written.replaced else dict(self._cache.get(user_id, NO_RECORDS))
            for method_id in written.deleted:
                mine.pop(method_id, None)
            mine.update({record.method_id: record for record in created})
            self._cache[user_id] = UserMethods(list(mine.values()))


def method_row(tenant_id: int, record: records.MethodRecord) -> dict[str, object]:
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


def _user_record(row: Any) -> records.UserRecord:
    return records.UserRecord(
        user_id=row.user_id,
        desired_fingerprint=row.desired_fingerprint,
        last_listed_at=row.last_listed_at,
        in_sync=bool(row.in_sync),
    )


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
