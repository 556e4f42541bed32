"""Database failures reach callers as one-line ``StoreError``s that say what to check."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError

from tests.conftest import POSTGRES_URL
from tests.factories import add_lab
from tracker.config import Settings
from tracker.errors import StoreBusyError, StoreUnavailableError
from tracker.store import Store
from tracker.store import db as store_db
from tracker.store.models import Lab


def test_a_sqlite_lock_held_past_the_busy_timeout_is_a_transient_busy_error(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_db, "SQLITE_BUSY_TIMEOUT_S", 0.5)
    store = Store.open(settings)
    other = sqlite3.connect(settings.ensure_data_dir() / "tracker.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # a stuck writer in another process
        with pytest.raises(StoreBusyError) as caught, store.transaction() as session:
            add_lab(session, "late")
    finally:
        other.close()
        store.dispose()
    assert not caught.value.permanent
    assert "tracker.db stayed locked for 0.5 s" in str(caught.value)
    assert "check for a stuck one" in str(caught.value)


def test_a_full_sqlite_disk_names_the_database_and_what_to_do(settings: Settings) -> None:
    store = Store.open(settings)
    event.listen(store.engine, "connect", lambda conn, _: conn.execute("PRAGMA max_page_count=1"))
    store.engine.dispose()  # new connections get the cap: the file is already bigger, so any growth fails
    try:
        with pytest.raises(StoreUnavailableError) as caught, store.transaction() as session:
            for i in range(200):
                add_lab(session, f"lab{i}", name="x" * 500)
    finally:
        store.dispose()
    assert "is full: free space and retry" in str(caught.value) and "tracker.db" in str(caught.value)
    assert not caught.value.permanent


def test_a_read_only_sqlite_file_is_permanent_and_names_the_permissions(settings: Settings) -> None:
    Store.open(settings).dispose()
    path = settings.ensure_data_dir() / "tracker.db"
    ro = settings.model_copy(update={"database_url": f"sqlite:///file:{path}?mode=ro&uri=true"})
    store = Store.open(ro, migrate=False)
    try:
        assert _labs(store) == []  # reading works
        with pytest.raises(StoreUnavailableError) as caught, store.transaction() as session:
            add_lab(session, "nope")
    finally:
        store.dispose()
    assert caught.value.permanent and "is read-only: check the permissions" in str(caught.value)


def _labs(store: Store) -> list[str]:
    with store.transaction(write=False) as session:
        return list(session.scalars(select(Lab.slug)))


def test_a_missing_schema_says_to_run_db_upgrade(empty_backend_settings: Settings) -> None:
    store = Store.open(empty_backend_settings, migrate=False)
    try:
        with pytest.raises(StoreUnavailableError) as caught:
            _labs(store)
    finally:
        store.dispose()
    assert caught.value.permanent and "run `tracker db upgrade`" in str(caught.value)
    assert "labs" in str(caught.value)


def test_an_unreachable_postgresql_masks_the_password(settings: Settings) -> None:
    from tests.faults.conftest import free_port

    url = f"postgresql+psycopg://tracker:s3cret-pw@127.0.0.1:{free_port()}/tracker"
    with pytest.raises(StoreUnavailableError) as caught:
        Store.open(settings.model_copy(update={"database_url": url}))
    message = str(caught.value)
    assert "s3cret-pw" not in message and "tracker:***@127.0.0.1" in message
    assert message.startswith("cannot open the database") and "check that the server is running" in message
    assert not caught.value.permanent


def test_a_postgresql_connection_lost_mid_transaction_is_a_store_error(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("a server connection exists only on PostgreSQL")
    with pytest.raises(StoreUnavailableError) as caught, store.transaction(write=False) as session:
        session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))  # the server ends our session
    assert "lost the connection to the database" in str(caught.value), caught.value
    assert POSTGRES_URL.split("@")[-1].split("/")[0] in str(caught.value)
    assert _labs(store) == []  # the pool replaced the dead connection


def test_a_postgresql_lock_timeout_is_a_busy_error(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("lock_timeout is PostgreSQL's")
    with store.transaction() as session:
        add_lab(session, "held")
    with store.transaction() as holder:
        holder.scalars(select(Lab).with_for_update()).one()
        with pytest.raises(StoreBusyError), store.transaction() as session:
            session.execute(text("SET LOCAL lock_timeout = '100ms'"))
            session.scalars(select(Lab).with_for_update()).one()


def test_a_constraint_violation_is_left_to_the_caller(store: Store) -> None:
    with store.transaction() as session:
        add_lab(session, "twice")
    with pytest.raises(IntegrityError), store.transaction() as session:
        add_lab(session, "twice")


def test_a_read_only_postgresql_server_points_at_the_primary(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("a read-only server is PostgreSQL's (a hot standby)")
    with pytest.raises(StoreUnavailableError) as caught, store.transaction() as session:
        session.execute(text("SET TRANSACTION READ ONLY"))  # what every transaction on a standby is
        add_lab(session, "nope")
    assert caught.value.permanent and "not a read-only standby" in str(caught.value)
