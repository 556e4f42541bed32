"""Test databases migrated once per session, handed to each test clean in milliseconds.

Running the Alembic migrations costs ~0.1 s on SQLite and ~0.4-0.7 s on PostgreSQL; doing it for
every test that takes ``store`` was most of the suite's database time. Instead:

* SQLite: ``SqliteTemplate`` migrates one file per session; each test gets a byte copy of it.
* PostgreSQL: ``PostgresDatabase`` is one throwaway database per session (so one per xdist
  worker), migrated once; ``clean()`` deletes every row and restarts the id sequences between
  tests (ids start at 1 again), and rebuilds the schema only when a test left it changed (the
  migration tests downgrade it, the CLI test drops it). DELETE, not TRUNCATE: on tables this
  small TRUNCATE costs ~150 ms (it swaps files and syncs them), DELETE a few milliseconds.

Rows are committed for real, so worker processes started by a test see them.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tracker.config import Settings
from tracker.store import Store
from tracker.store import db as store_db
from tracker.store.models import Base

#: Filled by a statement trigger on ``releases`` (PostgreSQL only): deleting releases adds a row,
#: so this table is emptied last.
RELEASE_CHANGES = "release_changes"

RESTART_SEQUENCES = """
DO $$
DECLARE seq text;
BEGIN
    FOR seq IN SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL
    LOOP
        EXECUTE format('ALTER SEQUENCE %I RESTART', seq);
    END LOOP;
END
$$
"""


def _delete_order() -> list[str]:
    """Tables children first (so no foreign key is violated), ``release_changes`` last."""
    names = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name != RELEASE_CHANGES]
    return [*names, RELEASE_CHANGES]


class SqliteTemplate:
    """A migrated SQLite database file, made once; ``copy_to`` gives a test its own copy.

    Args:
        directory (Path): where the template file lives (a session temp dir).
    """

    def __init__(self, directory: Path):
        settings = Settings(_env_file=None, data_dir=directory)
        store = Store.open(settings, migrate=False)
        store_db.upgrade(store.engine)
        with store.engine.connect() as conn:  # everything into the main file: the copy is that file alone
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        store.dispose()
        self.path = directory / "tracker.db"

    def copy_to(self, settings: Settings) -> None:
        """Put a fresh migrated database where ``settings`` (embedded SQLite) expects it."""
        shutil.copyfile(self.path, settings.ensure_data_dir() / "tracker.db")


class PostgresDatabase:
    """A throwaway database on the test server, created for one session and dropped after it.

    Args:
        admin_url (str): a URL on the server whose user may create databases.
        label (str): added to the database name (the xdist worker id), to tell them apart.

    Raises:
        DBAPIError: the server cannot be reached or refuses CREATE DATABASE.
    """

    def __init__(self, admin_url: str, label: str = ""):
        self._admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
        self.name = f"tracker_test_{uuid.uuid4().hex[:10]}{'_' + label if label else ''}"
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            # A crash may lose the last commits of a throwaway database: no reason to wait for fsync.
            conn.execute(text(f'ALTER DATABASE "{self.name}" SET synchronous_commit = off'))
        self.url = make_url(admin_url).set(database=self.name).render_as_string(hide_password=False)
        self._engine = create_engine(self.url)
        self._head: str | None = None

    def empty_schema(self) -> None:
        """Drop every table, type, function and extension: an empty, unmigrated database."""
        with self._engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))

    def migrate(self) -> None:
        """Empty the schema and run every migration (the real upgrade path)."""
        self.empty_schema()
        store_db.upgrade(self._engine)
        self._head = store_db.current_revision(self._engine)

    def clean(self) -> None:
        """Leave the migrated schema with no rows and every id sequence restarted.

        A database whose schema a test changed (not at head, a table missing) is migrated again.
        """
        if self._head is None:
            self.migrate()
            return
        try:
            with self._engine.begin() as conn:
                if self._revision(conn) != self._head:
                    raise LookupError("schema changed")
                conn.execute(text("; ".join(f'DELETE FROM "{name}"' for name in _delete_order())))
                conn.execute(text(RESTART_SEQUENCES))
        except (DBAPIError, LookupError):
            self.migrate()

    @staticmethod
    def _revision(conn: Connection) -> str | None:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def drop(self) -> None:
        """Drop the database (closing any connection a test left open)."""
        self._engine.dispose()
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self._admin.dispose()
