"""Open a state database: the SQLAlchemy async engine of a location, with its files made private.

SQLite: the folder is created 0700 and the file 0600 before SQLite opens it (SQLite gives its
`-wal` and `-shm` files the database file's mode), WAL journaling so that readers (`plan`,
`state list`) never wait for a writer, and `synchronous=NORMAL`: a commit survives the process being
killed, which is what the journal needs; only a power cut may lose the last commits. PostgreSQL:
psycopg 3, which reads `PGPASSWORD` and `~/.pgpass` itself when the URL has no password.

Every driver error met while connecting becomes one `errors.StateError` line naming the redacted
location, never the password.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import filelock
import sqlalchemy
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from mfasync import errors
from mfasync.state import locations

SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRESQL_CONNECT_TIMEOUT_S = 10


def create_engine(location: locations.Location) -> AsyncEngine:
    """The engine of `location` (no connection is made yet)."""
    if location.kind is locations.Kind.SQLITE:
        assert location.sqlite_path is not None
        _prepare_sqlite_file(location.sqlite_path, display=location.display)
        engine = create_async_engine(location.url, poolclass=sqlalchemy.pool.NullPool)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        location.url,
        pool_size=2,
        max_overflow=2,
        pool_pre_ping=True,
        connect_args={"connect_timeout": POSTGRESQL_CONNECT_TIMEOUT_S},
    )


def os_file_lock(path: Path, *, thread_local: bool = True) -> filelock.BaseFileLock:
    """An OS file lock on `path` (not taken yet), mode 0600.

    The OS lock itself (`flock`), never filelock's "soft" fallback (a file's existence), which a
    killed process would leave behind. `thread_local=False`: it may be taken in a worker thread.
    """
    kind = filelock.WindowsFileLock if sys.platform == "win32" else filelock.UnixFileLock
    return kind(str(path), mode=0o600, thread_local=thread_local, is_singleton=False)


def migration_lock(location: locations.Location) -> filelock.BaseFileLock:
    """The OS file lock that lets one process at a time migrate a SQLite state."""
    assert location.sqlite_path is not None
    path = location.sqlite_path.with_name(location.sqlite_path.name + ".migrate.lock")
    return os_file_lock(path, thread_local=False)  # waited for in a worker thread


def describe_failure(exc: BaseException, *, display: str) -> str:
    """One line for a driver error: what the driver said, with no URL or password in it."""
    original = getattr(exc, "orig", None) or exc
    text = " ".join(str(original).split()) or type(original).__name__
    # psycopg repeats the connection target; the password is never in it, but keep it short
    return f"state {display}: {errors.excerpt(text, 200)}"


def _prepare_sqlite_file(path: Path, *, display: str) -> None:
    folder = path.parent
    try:
        if not folder.exists():
            folder.mkdir(mode=0o700, parents=True)
        if not path.exists():
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(descriptor)
    except FileExistsError:
        pass  # another process created it between the check and the open: it is the same file
    except OSError as exc:
        raise errors.StateError(f"state {display}: cannot create {path}: {exc.strerror}") from exc


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()
