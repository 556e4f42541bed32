"""Persistence: the ``Store`` (engine + session factory), ORM models, queries and migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tracker.config import Settings
from tracker.errors import StoreError
from tracker.store import db, failures


class Store:
    """One database: an engine and its session factory, built once per process.

    Args:
        engine (Engine): the SQLAlchemy engine (see ``tracker.store.db.make_engine``).
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.sessions = db.make_sessionmaker(engine)

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> Store:
        """Open the configured database; with ``migrate`` make sure the schema is current.

        Raises:
            ConfigError: bad URL, or a server database behind the code's migrations.
            StoreError: the database cannot be reached or opened (``StoreUnavailableError``), or
                another driver error (``tracker.store.failures``).
        """
        store = cls(db.make_engine(settings))
        try:
            if migrate:
                db.ensure_schema(store.engine)
            else:
                with store.engine.connect():
                    pass
        except DBAPIError as exc:  # server down, unknown database, unwritable SQLite file...
            store.dispose()
            raise store.explain(exc, opening=True) from exc
        return store

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """Yield a session in one transaction: commit on success, roll back on error.

        ``write=False`` opens a read transaction: on SQLite it never waits for a writer, and any
        write in it raises ``tracker.store.db.ReadOnlyTransactionError`` (see ``db.transaction``).

        Raises:
            StoreError: the database failed (locked past the busy timeout, full disk, read-only,
                unreachable server, missing schema; ``tracker.store.failures``), rolled back.
        """
        try:
            with db.transaction(self.sessions, write=write) as session:
                yield session
        except DBAPIError as exc:
            if not failures.is_mapped(exc):
                raise
            raise self.explain(exc) from exc

    def explain(self, exc: DBAPIError, *, opening: bool = False) -> StoreError:
        """The ``StoreError`` for a driver error on this database (``failures.store_error``)."""
        return failures.store_error(exc, self.engine.url, busy_timeout_s=db.SQLITE_BUSY_TIMEOUT_S, opening=opening)

    def dispose(self) -> None:
        """Close pooled connections (call after fork, and on shutdown)."""
        self.engine.dispose()
