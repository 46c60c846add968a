"""The state's tables (SQLAlchemy Core), as the latest migration leaves them.

Every row is keyed by the tenant (`tenant_id`, one row per domain in `mfasync_tenants`), so one
PostgreSQL database can hold the state of many tenants. Table names carry the `mfasync_` prefix so
that a team's shared database can hold other things beside them. The migrations under
`migrations/versions/` create these tables; a change here comes with a new migration.

No column may ever hold a seed, a token, a client secret or a full phone number: values are only
present as keyed fingerprints (HMAC-SHA256 under the tenant's `fingerprint_key`).
"""

from __future__ import annotations

import datetime

import sqlalchemy
from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime.datetime]):
    """Aware UTC datetimes in and out, on SQLite (which has no time zones) as on PostgreSQL."""

    impl = sqlalchemy.DateTime
    cache_ok = True

    def process_bind_param(
        self, value: datetime.datetime | None, dialect: Dialect
    ) -> datetime.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the state stores aware datetimes only")
        return value.astimezone(datetime.UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: datetime.datetime | None, dialect: Dialect
    ) -> datetime.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=datetime.UTC) if value.tzinfo is None else value


metadata = MetaData()

tenants = Table(
    "mfasync_tenants",
    metadata,
    Column("tenant_id", Integer, primary_key=True, autoincrement=True),
    Column("domain", String(255), nullable=False, unique=True),
    Column("fingerprint_key", String(64), nullable=False),  # hex of 32 random bytes
    Column("created_at", UtcDateTime, nullable=False),
)

methods = Table(
    "mfasync_methods",
    metadata,
    Column("tenant_id", Integer, primary_key=True),
    Column("user_id", String(255), primary_key=True),
    Column("method_id", String(255), primary_key=True),
    Column("type", String(64), nullable=False),
    Column("origin", String(16), nullable=False),  # created | adopted | seen
    Column("fingerprint", String(64)),  # HMAC-SHA256 hex of the declared value; None for seen
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
)

users = Table(
    "mfasync_users",
    metadata,
    Column("tenant_id", Integer, primary_key=True),
    Column("user_id", String(255), primary_key=True),
    Column("desired_fingerprint", String(64)),
    Column("last_listed_at", UtcDateTime),
    Column("in_sync", Boolean, nullable=False),
)

runs = Table(
    "mfasync_runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", Integer, nullable=False, index=True),
    Column("command", String(32), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    Column("host", String(255), nullable=False),
    Column("os_user", String(255), nullable=False),
    Column("ci_job", String(512)),
    Column("pid", Integer, nullable=False),
    Column("counts", Text, nullable=False),  # JSON object of counts
    Column("outcome", String(16)),  # ok | failed | interrupted; None while running or killed
)

journal = Table(
    "mfasync_journal",
    metadata,
    Column("entry_id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, nullable=False, index=True),
    Column("tenant_id", Integer, nullable=False),
    Column("user_id", String(255), nullable=False),
    Column("op", String(16), nullable=False),
    Column("method_type", String(64)),
    Column("method_id", String(255)),
    Column("intended_at", UtcDateTime, nullable=False),
    Column("outcome", String(16)),  # ok | failed | unknown; None: no answer was recorded
    Column("status", Integer),
    Column("new_method_ids", Text, nullable=False),  # JSON list
    Column("answered_at", UtcDateTime),
    sqlalchemy.Index("ix_mfasync_journal_user", "tenant_id", "user_id"),
)

lock_holders = Table(
    "mfasync_lock_holders",
    metadata,
    Column("tenant_id", Integer, primary_key=True),
    Column("run_id", Integer),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("since", UtcDateTime, nullable=False),
)

checkpoints = Table(
    "mfasync_checkpoints",
    metadata,
    Column("tenant_id", Integer, primary_key=True),
    Column("log_id", String(255)),
    Column("taken_at", UtcDateTime, nullable=False),
    Column("last_full_scan_at", UtcDateTime),
)
