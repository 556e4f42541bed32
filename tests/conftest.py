"""Shared fixtures: Settings in a temp dir, and a Store on SQLite or PostgreSQL.

Tests that take the ``store`` fixture run twice, once per backend. PostgreSQL comes from
``TRACKER_TEST_POSTGRES_URL`` (default: the local server, database ``test``); each test run
creates its own database and drops it at the end. If the server is unreachable the tests FAIL
with a message saying how to start it: they are never skipped silently.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tracker.config import Settings
from tracker.store import Store
from tracker.store import db as store_db

POSTGRES_URL = os.environ.get(
    "TRACKER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings isolated in ``tmp_path``: embedded SQLite, no arXiv throttle, fast retries."""
    return Settings(
        _env_file=None,
        data_dir=tmp_path,
        hf_endpoint="http://hub.test",
        arxiv_endpoint="http://arxiv.test/api/query",
        arxiv_min_interval=0,
        http_max_retries=2,
    )


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """Create a throwaway PostgreSQL database for this test run; yield its URL; drop it."""
    admin_url = make_url(POSTGRES_URL)
    name = f"tracker_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL is required for these tests and is not reachable at {POSTGRES_URL} ({exc}). "
            "Start it (e.g. `docker compose up -d postgres`) or set TRACKER_TEST_POSTGRES_URL.",
            pytrace=False,
        )
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """``settings`` pointing at an empty, migrated database of each backend in turn."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_database")
        _reset_postgres(url)
        return settings.model_copy(update={"database_url": url})
    return settings


@pytest.fixture
def store(backend_settings: Settings) -> Iterator[Store]:
    """A migrated Store on each backend (SQLite file in tmp dir; fresh PostgreSQL schema)."""
    s = Store.open(backend_settings, migrate=False)
    store_db.upgrade(s.engine)
    yield s
    s.dispose()
