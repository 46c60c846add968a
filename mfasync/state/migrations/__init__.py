"""Alembic migrations of the state schema; `mfasync.state.schema` runs them on first use."""
