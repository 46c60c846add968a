"""Claims about the state schema: migrations run on first use, a newer state is refused."""

from __future__ import annotations

import asyncio
import datetime

import pytest
import sqlalchemy

from mfasync import errors, records, state
from mfasync.state import engines, schema

T0 = datetime.datetime(2026, 12, 1, 2, 0, tzinfo=datetime.UTC)


async def _engine_for(url: str) -> sqlalchemy.ext.asyncio.AsyncEngine:
    location = state.parse(url)
    assert location is not None
    return engines.create_engine(location)


async def test_a_state_written_by_the_previous_version_is_upgraded_on_first_use(
    state_url: str,
) -> None:
    # the previous mfasync left its state at revision 0001 (no checkpoint table), with records
    engine = await _engine_for(state_url)
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: schema.upgrade(sync, display="t", target="0001"))
        await connection.execute(
            sqlalchemy.text(
                "INSERT INTO mfasync_tenants (domain, fingerprint_key, created_at) "
                "VALUES ('tenant.eu.auth0.com', :key, :at)"
            ),
            {"key": "ab" * 32, "at": T0.replace(tzinfo=None)},
        )
        await connection.execute(
            sqlalchemy.text(
                "INSERT INTO mfasync_methods VALUES "
                "(1, 'auth0|a', 'phone|1', 'phone', 'created', :fp, :at, :at)"
            ),
            {"fp": "c" * 64, "at": T0.replace(tzinfo=None)},
        )
    async with engine.connect() as connection:
        assert await connection.run_sync(schema.current) == "0001"
    await engine.dispose()

    location = state.parse(state_url)
    assert location is not None
    store = await state.Store.open(location, tenant="tenant.eu.auth0.com")
    try:
        assert store.fingerprinter.key == bytes.fromhex("ab" * 32)  # the old key is kept
        await store.load()
        record = store.records_of("auth0|a")["phone|1"]
        assert (record.origin, record.fingerprint, record.first_seen) == (
            records.MethodOrigin.CREATED,
            "c" * 64,
            T0,
        )
        # the new table of 0002 is there and works
        checkpoint = records.Checkpoint(log_id="1", taken_at=T0, last_full_scan_at=None)
        await store.save_checkpoint(checkpoint)
        assert await store.checkpoint() == checkpoint
    finally:
        await store.close()
    engine = await _engine_for(state_url)
    async with engine.connect() as connection:
        assert await connection.run_sync(schema.current) == schema.head()
    await engine.dispose()


async def test_a_state_from_a_newer_mfasync_is_refused_in_one_line(state_url: str) -> None:
    location = state.parse(state_url)
    assert location is not None
    store = await state.Store.open(location, tenant="tenant.eu.auth0.com")
    await store.close()
    engine = await _engine_for(state_url)
    async with engine.begin() as connection:
        await connection.execute(
            sqlalchemy.text(f"UPDATE {schema.VERSION_TABLE} SET version_num = '9999'")
        )
    await engine.dispose()
    with pytest.raises(errors.StateError) as caught:
        await state.Store.open(location, tenant="tenant.eu.auth0.com")
    assert "written by a newer mfasync (schema revision 9999)" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_tables_module_matches_what_the_migrations_create() -> None:
    # tables.py is what the code uses; the migrations are what databases get: they must agree
    engine = sqlalchemy.create_engine("sqlite://")
    with engine.begin() as connection:
        schema.upgrade(connection, display="memory")
        inspector = sqlalchemy.inspect(connection)
        migrated = {
            name: sorted(column["name"] for column in inspector.get_columns(name))
            for name in inspector.get_table_names()
            if name != schema.VERSION_TABLE
        }
    from mfasync.state import tables

    declared = {
        table.name: sorted(column.name for column in table.columns)
        for table in tables.metadata.sorted_tables
    }
    assert migrated == declared


async def test_first_runs_at_once_migrate_one_at_a_time(state_url: str) -> None:
    # two applies started together on a new state both find it empty; one migrates, the other
    # waits for it and finds the schema current (before, the second failed: "already exists")
    location = state.parse(state_url)
    assert location is not None
    stores = await asyncio.gather(
        *(state.Store.open(location, tenant=f"tenant{i}.eu.auth0.com") for i in range(4))
    )
    try:
        assert len({store.tenant_id for store in stores}) == 4
    finally:
        for store in stores:
            await store.close()
    engine = await _engine_for(state_url)
    async with engine.connect() as connection:
        assert await connection.run_sync(schema.current) == schema.head()
    await engine.dispose()
