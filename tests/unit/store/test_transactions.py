"""Read and write transactions: readers never queue behind a SQLite writer, and never write."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time

import pytest
from sqlalchemy import func, select, update

from tests.factories import add_lab
from tracker.config import Settings
from tracker.store import Store
from tracker.store import db as store_db
from tracker.store.models import Lab


def _labs(store: Store) -> list[str]:
    with store.transaction(write=False) as session:
        return list(session.scalars(select(Lab.slug).order_by(Lab.slug)))


def test_a_read_transaction_refuses_an_orm_change(store: Store) -> None:
    with store.transaction() as session:
        add_lab(session, "kept")
    with pytest.raises(store_db.ReadOnlyTransactionError), store.transaction(write=False) as session:
        add_lab(session, "added")
        session.flush()
    with pytest.raises(store_db.ReadOnlyTransactionError), store.transaction(write=False) as session:
        session.scalars(select(Lab)).one().name = "renamed"  # flushed by the commit
    assert _labs(store) == ["kept"]
    with store.transaction() as session:
        assert session.scalars(select(Lab)).one().name != "renamed"


def test_a_read_transaction_refuses_dml(store: Store) -> None:
    with store.transaction() as session:
        add_lab(session, "kept")
    with pytest.raises(store_db.ReadOnlyTransactionError), store.transaction(write=False) as session:
        session.execute(update(Lab).values(name="renamed"))
    with store.transaction(write=False) as session:  # reading and an unchanged object are fine
        lab = session.scalars(select(Lab)).one()
        lab.name = lab.name
        assert session.scalar(select(func.count()).select_from(Lab)) == 1


def test_the_default_transaction_writes(store: Store) -> None:
    with store.transaction() as session:
        add_lab(session, "a")
    with store.transaction(write=True) as session:
        add_lab(session, "b")
    assert _labs(store) == ["a", "b"]


def _sqlite_store(settings: Settings, monkeypatch: pytest.MonkeyPatch, busy_timeout_s: float) -> Store:
    monkeypatch.setattr(store_db, "SQLITE_BUSY_TIMEOUT_S", busy_timeout_s)
    return Store.open(settings)


def test_a_sqlite_reader_does_not_wait_for_a_writer(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _sqlite_store(settings, monkeypatch, busy_timeout_s=5.0)
    try:
        with store.transaction() as session:
            add_lab(session, "kept")
        other = sqlite3.connect(settings.ensure_data_dir() / "tracker.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's poll holds the write lock
        other.execute("INSERT INTO labs (slug, name, country) VALUES ('pending', 'Pending', 'US')")
        started = time.monotonic()
        assert _labs(store) == ["kept"]  # the last committed state, not the writer's
        assert time.monotonic() - started < 2.5  # a queued reader would wait the whole 5 s
        other.execute("COMMIT")
        other.close()
        assert _labs(store) == ["kept", "pending"]
    finally:
        store.dispose()


def test_sqlite_writers_queue_instead_of_failing(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two writers that read, pause and then write both commit: each waits for the other's lock.

    A deferred transaction would fail here with "database is locked": its read snapshot is stale
    once the other commits, and SQLite then refuses the upgrade to a write without waiting.
    """
    store = _sqlite_store(settings, monkeypatch, busy_timeout_s=10.0)
    errors: list[BaseException] = []
    both_read = threading.Barrier(2, timeout=3)

    def writer(slug: str) -> None:
        try:
            with store.transaction() as session:
                session.scalar(select(func.count()).select_from(Lab))
                with contextlib.suppress(threading.BrokenBarrierError):  # the queued pair never meets
                    both_read.wait()  # a deferred pair gets here together
                add_lab(session, slug)
        except BaseException as exc:  # the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(slug,)) for slug in ("a", "b")]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert errors == []
        assert _labs(store) == ["a", "b"]
    finally:
        store.dispose()
