"""A fresh PostgreSQL database per test, on the real server that `.ci/run` starts.

`MFASYNC_TEST_POSTGRES_URL` names a database on that server (`.ci/postgres start` prints it); each
test gets a database of its own created beside it, dropped afterwards. Without the variable the
PostgreSQL tests are skipped, except under `CI=true`, where its absence fails them: CI must never
pass by skipping the backend teams use.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

ENV = "MFASYNC_TEST_POSTGRES_URL"


def server_url() -> str:
    """The test server's URL, or skip (fail under CI) when there is none."""
    url = os.environ.get(ENV)
    if url:
        return url
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{ENV} is not set under CI=true: .ci/run must start PostgreSQL")
    pytest.skip(f"{ENV} is not set (start one with .ci/postgres start DIR)")


def _admin_dsn(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def fresh_database() -> Iterator[str]:
    """Create a database, yield its URL, drop it."""
    base = server_url()
    name = f"mfasync_t_{secrets.token_hex(6)}"
    with psycopg.connect(_admin_dsn(base), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with psycopg.connect(_admin_dsn(base), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
