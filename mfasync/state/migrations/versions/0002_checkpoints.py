"""The tenant-log checkpoint of incremental runs (DESIGN.md section 8).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mfasync_checkpoints",
        sa.Column("tenant_id", sa.Integer, primary_key=True),
        sa.Column("log_id", sa.String(255)),
        sa.Column("taken_at", sa.DateTime, nullable=False),
        sa.Column("last_full_scan_at", sa.DateTime),
    )


def downgrade() -> None:
    op.drop_table("mfasync_checkpoints")
