"""Where the state lives: the `--state` value parsed into a backend, a SQLAlchemy URL and a display.

`none` (stateless), `sqlite:///relative/or/absolute/path.db` (the default is
`sqlite:///.mfasync/state.db`, relative to the working directory) or
`postgresql://user[:password]@host[:port]/dbname` (`postgres://` too). A password may come from the
URL, `PGPASSWORD` or `~/.pgpass` (libpq reads the last two itself); it never appears in `display`,
which is what every message shows.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from pathlib import Path

import sqlalchemy
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from mfasync import errors

DEFAULT = "sqlite:///.mfasync/state.db"
NONE = "none"


class Kind(StrEnum):
    """Which backend a location names."""

    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


@dataclasses.dataclass(frozen=True, slots=True)
class Location:
    """A parsed state location. `url` may hold a password: never print it, print `display`."""

    kind: Kind
    url: sqlalchemy.URL  # the async driver's URL (sqlite+aiosqlite, postgresql+psycopg)
    display: str  # the location with any password replaced by ***
    sqlite_path: Path | None = None  # the database file (SQLite only)

    def __repr__(self) -> str:  # the URL may carry a password
        return f"Location({self.display!r})"


def parse(value: str, *, cwd: Path | None = None) -> Location | None:
    """The location of `value`, or None for `none`. `errors.StateError` says what is wrong."""
    text = value.strip()
    if text.lower() == NONE:
        return None
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme == "sqlite":
        return _sqlite(text, cwd=cwd or Path.cwd())
    if scheme in ("postgresql", "postgres"):
        return _postgresql(text)
    shown = redact(text)
    raise errors.StateError(
        f"--state {shown}: unknown kind of state; use sqlite:///PATH, "
        "postgresql://USER@HOST/DB or none"
    )


def redact(text: str) -> str:
    """`text` with the password of a URL in it replaced by `***` (for messages)."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return text
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def _sqlite(text: str, *, cwd: Path) -> Location:
    prefix = "sqlite:///"
    if not text.lower().startswith(prefix) or len(text) == len(prefix):
        raise errors.StateError(
            f"--state {text}: a SQLite state is sqlite:///PATH (three slashes, then the file)"
        )
    raw = text[len(prefix) :]
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = cwd / path
    url = sqlalchemy.URL.create("sqlite+aiosqlite", database=str(path))
    return Location(kind=Kind.SQLITE, url=url, display=f"sqlite:///{raw}", sqlite_path=path)


def _postgresql(text: str) -> Location:
    shown = redact(text)
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise errors.StateError(f"--state {shown}: not a valid PostgreSQL URL") from None
    if not parsed.database:
        raise errors.StateError(f"--state {shown}: name the database (postgresql://USER@HOST/DB)")
    url = parsed.set(drivername="postgresql+psycopg")
    return Location(kind=Kind.POSTGRESQL, url=url, display=shown)
