"""Migrations are the schema: upgrading to head matches the models exactly, on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tracker.config import Settings
from tracker.store import Store
from tracker.store import db as store_db
from tracker.store.models import Base


@pytest.fixture
def store(empty_backend_settings: Settings) -> Iterator[Store]:
    """An empty database migrated here, by Alembic: the real upgrade path (other tests get copies)."""
    s = Store.open(empty_backend_settings, migrate=False)
    store_db.upgrade(s.engine)
    yield s
    s.dispose()


def test_head_matches_models_without_drift(store: Store) -> None:
    with store.engine.connect() as conn:
        drift = compare_metadata(
            MigrationContext.configure(conn, opts={"include_name": store_db.include_name}), Base.metadata
        )
    assert drift == [], f"models and migrations disagree: {drift}"
    assert store_db.current_revision(store.engine) == store_db.head_revision(store.engine)


def test_downgrade_to_base_and_upgrade_again(store: Store) -> None:
    store_db.command.downgrade(store_db.alembic_config(store.engine), "base")
    assert store_db.current_revision(store.engine) is None
    store_db.upgrade(store.engine)
    assert store_db.current_revision(store.engine) == store_db.head_revision(store.engine)
