"""Engine and session factory built from Settings; migrations applied through Alembic.

The embedded SQLite database upgrades itself on first use (``ensure_schema``); PostgreSQL is
upgraded explicitly with ``tracker db upgrade`` (or the compose ``migrate`` service), so that a
fleet of workers never races on DDL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from tracker.config import Settings
from tracker.errors import ConfigError, redact
from tracker.store import fts, gap_stats

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: Seconds a SQLite writer waits for the write lock. Writers queue one behind the other, so this
#: covers the write transactions of every other worker process (a poll commits one unit's rows in
#: one transaction); it stays below the poll task's soft time limit (240 s, ``workers.base``).
SQLITE_BUSY_TIMEOUT_S = 120.0


def make_engine(settings: Settings) -> Engine:
    """Create the engine for ``settings.resolved_database_url``.

    SQLite gets WAL journaling, enforced foreign keys and a busy timeout, so the worker processes
    of ``tracker run``, beat and CLI commands can share one file. Write transactions
    (``transaction(write=True)``) start with ``BEGIN IMMEDIATE``: they take the write lock up front,
    waiting up to ``SQLITE_BUSY_TIMEOUT_S`` for it, instead of SQLite's deferred ``BEGIN``. A
    deferred transaction that reads and then writes while another process committed fails at once
    with "database is locked" (WAL cannot upgrade a stale read snapshot, and the busy timeout does
    not apply), which is what several concurrent polls do. Read transactions start with a deferred
    ``BEGIN`` (one WAL snapshot, never waiting for a writer) and refuse to write at all.

    Raises:
        ConfigError: the URL cannot be parsed or names an unknown driver.
    """
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.ensure_data_dir()
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except Exception as exc:  # sqlalchemy raises ArgumentError / NoSuchModuleError
        hint = "; write postgresql+psycopg://..." if url.startswith(("postgres://", "postgresql://")) else ""
        raise ConfigError(f"TRACKER_DATABASE_URL is not usable ({redact(url)!r}): {redact(str(exc))}{hint}") from exc
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; a power cut may lose the last commit
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory; sessions never expire objects on commit, and the ones of a read
    ``transaction`` refuse to write (``ReadOnlyTransactionError``)."""
    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "before_flush", _refuse_flush)
    event.listen(factory, "do_orm_execute", _refuse_dml)
    return factory


class ReadOnlyTransactionError(RuntimeError):
    """Code in a read transaction (``transaction(write=False)``) tried to write: a bug, not a state.

    A read transaction on SQLite is deferred: a write in it would fail with "database is locked"
    whenever another process committed since its first read, so every write is refused at once
    (on both backends, so that tests on either one catch it).
    """


_READ_ONLY = "tracker_read_only"


def _refuse_flush(session: Session, _flush_context, _instances) -> None:  # type: ignore[no-untyped-def]
    if session.info.get(_READ_ONLY) and (
        session.new or session.deleted or any(session.is_modified(obj) for obj in session.dirty)
    ):
        raise ReadOnlyTransactionError("a read transaction tried to flush changes; open it with write=True")


def _refuse_dml(state: ORMExecuteState) -> None:
    if state.session.info.get(_READ_ONLY) and (state.is_insert or state.is_update or state.is_delete):
        raise ReadOnlyTransactionError("a read transaction tried an INSERT, UPDATE or DELETE; open it with write=True")


@contextmanager
def transaction(factory: sessionmaker[Session], *, write: bool = True) -> Iterator[Session]:
    """Yield a session inside one transaction: committed on success, rolled back on any error.

    Args:
        factory: the session factory (``make_sessionmaker``).
        write (bool, optional): False for a read transaction. On SQLite a write transaction is
            ``BEGIN IMMEDIATE`` (writers queue for the lock, see ``make_engine``) and a read one a
            deferred ``BEGIN`` (a consistent snapshot that never waits for a writer); pysqlite
            issues no BEGIN of its own once one is open, and its commit/rollback end this one.
            Defaults to True: a transaction nobody marked costs waiting, never correctness.

    Raises:
        ReadOnlyTransactionError: a read transaction tried to write (ORM flush or DML).
    """
    with factory.begin() as session:
        session.info[_READ_ONLY] = not write
        connection = session.connection()
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
        yield session


def alembic_config(engine: Engine) -> AlembicConfig:
    """Build an Alembic config that runs the packaged migrations on ``engine``."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (``tracker db upgrade``), then put back the SQLite
    triggers a batch migration may have dropped (``fts.repair``, ``gap_stats.repair``)."""
    cfg = alembic_config(engine)
    command.upgrade(cfg, revision)
    with engine.begin() as conn:
        fts.repair(conn)
        gap_stats.repair(conn)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic ``include_name`` hook: schema comparisons skip the tables kept by triggers (SQLite's
    FTS, the gap statistics on both backends: not models)."""
    return not (type_ == "table" and (fts.is_fts_table(name) or name in (gap_stats.TABLE, gap_stats.WEEKS)))


def current_revision(engine: Engine) -> str | None:
    """Return the database's Alembic revision, or None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    """Return the newest packaged revision."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def ensure_schema(engine: Engine) -> None:
    """Make sure the schema is current.

    SQLite (embedded) is upgraded in place. Any other backend must be upgraded explicitly.

    Raises:
        ConfigError: a server database is not at the packaged head revision.
    """
    current, head = current_revision(engine), head_revision(engine)
    if current == head:
        return
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return
    raise ConfigError(f"database schema is at {current or 'nothing'}, code expects {head}: run `tracker db upgrade`")
