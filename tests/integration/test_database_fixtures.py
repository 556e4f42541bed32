"""The per-test databases (tests/databases.py) are as clean as freshly migrated ones.

Every storage test relies on it: no rows left by an earlier test, ids from 1, no
``release_changes`` row from the clean-up itself, and a schema a test dropped comes back.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text

from tests.databases import PostgresDatabase, SqliteTemplate
from tests.fakes import add_alert_event
from tracker.config import Settings
from tracker.store import Store
from tracker.store import db as store_db
from tracker.store.models import Base


def _row_counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in Base.metadata.sorted_tables
        }


@pytest.fixture
def pg_store(postgres: PostgresDatabase, settings: Settings) -> Iterator[Store]:
    postgres.clean()
    store = Store.open(settings.model_copy(update={"database_url": postgres.url}), migrate=False)
    yield store
    store.dispose()


def test_clean_leaves_no_rows_and_restarts_ids(postgres: PostgresDatabase, pg_store: Store) -> None:
    with pg_store.transaction() as session:
        add_alert_event(session)
        add_alert_event(session, lab="deepseek", title="DeepSeek-V3", name="deepseek-ai/DeepSeek-V3")
    pg_store.dispose()
    postgres.clean()
    assert set(_row_counts(pg_store).values()) == {0}, "every table empty, release_changes too"
    with pg_store.transaction() as session:
        event = add_alert_event(session)
        assert (event.id, event.release_id, event.artifact_id) == (1, 1, 1)


def test_clean_migrates_again_a_schema_a_test_dropped(postgres: PostgresDatabase, pg_store: Store) -> None:
    pg_store.dispose()
    postgres.empty_schema()
    postgres.clean()
    assert store_db.current_revision(pg_store.engine) == store_db.head_revision(pg_store.engine)
    with pg_store.engine.connect() as conn:
        triggers = conn.execute(text("SELECT count(*) FROM pg_trigger WHERE tgname = 'releases_changed'")).scalar()
    assert triggers == 1, "the release_changes trigger is part of the schema again"
    with pg_store.transaction() as session:
        assert add_alert_event(session).id == 1


def test_a_sqlite_copy_is_migrated_empty_and_the_test_s_own(
    sqlite_template: SqliteTemplate, settings: Settings
) -> None:
    sqlite_template.copy_to(settings)
    store = Store.open(settings, migrate=False)
    try:
        assert store_db.current_revision(store.engine) == store_db.head_revision(store.engine)
        assert set(_row_counts(store).values()) == {0}
        with store.transaction() as session:
            add_alert_event(session)
    finally:
        store.dispose()
    other = Store(store_db.make_engine(Settings(_env_file=None, data_dir=sqlite_template.path.parent)))
    try:
        assert set(_row_counts(other).values()) == {0}, "the template is untouched"
    finally:
        other.dispose()
