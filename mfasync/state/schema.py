"""Bring a state database to the schema this mfasync knows, with Alembic, on first use.

`upgrade(connection)` runs every migration the database has not had yet (a new, empty database gets
them all), inside the caller's transaction. A database whose revision this mfasync does not know was
written by a newer mfasync: it is refused with one line, never touched. There is no `env.py`: the
migrations run on the connection mfasync already holds, through Alembic's `EnvironmentContext`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from mfasync import errors

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "mfasync_alembic_version"


def script_directory() -> ScriptDirectory:
    """The migrations shipped with this mfasync."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def head() -> str:
    """The newest revision this mfasync knows."""
    revision = script_directory().get_current_head()
    assert revision is not None  # the package ships at least one migration
    return revision


def current(connection: sqlalchemy.Connection) -> str | None:
    """The database's revision (None: no mfasync state in it yet)."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade(
    connection: sqlalchemy.Connection, *, display: str, target: str = "head"
) -> tuple[str | None, str]:
    """Migrate to `target` (default: the newest); returns (revision before, revision after).

    `display` names the state in messages (a redacted location).
    """
    script = script_directory()
    before = current(connection)
    known = {revision.revision for revision in script.walk_revisions()}
    if before is not None and before not in known:
        raise errors.StateError(
            f"the state at {display} was written by a newer mfasync (schema revision {before}); "
            "upgrade mfasync to use it"
        )
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))

    def steps(revision: Any, context: MigrationContext) -> Any:
        return script._upgrade_revs(target, revision)

    with EnvironmentContext(config, script, fn=steps, destination_rev=target) as environment:
        environment.configure(
            connection=connection,
            version_table=VERSION_TABLE,
            transactional_ddl=True,
        )
        environment.run_migrations()
    after = current(connection)
    assert after is not None
    return before, after
