"""The first state schema: tenants and their key, method and user records, runs, the journal,
the lock holder.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mfasync_tenants",
        sa.Column("tenant_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("domain", sa.String(255), nullable=False, unique=True),
        sa.Column("fingerprint_key", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "mfasync_methods",
        sa.Column("tenant_id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.String(255), primary_key=True),
        sa.Column("method_id", sa.String(255), primary_key=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(64)),
        sa.Column("first_seen", sa.DateTime, nullable=False),
        sa.Column("last_seen", sa.DateTime, nullable=False),
    )
    op.create_table(
        "mfasync_users",
        sa.Column("tenant_id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.String(255), primary_key=True),
        sa.Column("desired_fingerprint", sa.String(64)),
        sa.Column("last_listed_at", sa.DateTime),
        sa.Column("in_sync", sa.Boolean, nullable=False),
    )
    op.create_table(
        "mfasync_runs",
        sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.Integer, nullable=False, index=True),
        sa.Column("command", sa.String(32), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("os_user", sa.String(255), nullable=False),
        sa.Column("ci_job", sa.String(512)),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("counts", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(16)),
    )
    op.create_table(
        "mfasync_journal",
        sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, nullable=False, index=True),
        sa.Column("tenant_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("op", sa.String(16), nullable=False),
        sa.Column("method_type", sa.String(64)),
        sa.Column("method_id", sa.String(255)),
        sa.Column("intended_at", sa.DateTime, nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("status", sa.Integer),
        sa.Column("new_method_ids", sa.Text, nullable=False),
        sa.Column("answered_at", sa.DateTime),
    )
    op.create_index("ix_mfasync_journal_user", "mfasync_journal", ["tenant_id", "user_id"])
    op.create_table(
        "mfasync_lock_holders",
        sa.Column("tenant_id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("since", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "mfasync_lock_holders",
        "mfasync_journal",
        "mfasync_runs",
        "mfasync_users",
        "mfasync_methods",
        "mfasync_tenants",
    ):
        op.drop_table(table)
