"""Shared fixtures: Settings in a temp dir, a Store on SQLite or PostgreSQL, a Redis database.

Tests that take the ``store`` fixture run twice, once per backend. PostgreSQL comes from
``TRACKER_TEST_POSTGRES_URL`` (default: the local server, database ``test``); each session (each
xdist worker) creates its own database and drops it at the end. Redis comes from
``TRACKER_TEST_REDIS_URL``; each xdist worker uses a database number of its own (see
``redis_url``). If a server is unreachable the tests FAIL with a message saying how to start it:
they are never skipped silently.

The schema is migrated once per session; each test gets a clean copy (see ``tests/databases.py``).
``pytest`` runs the tests in parallel worker processes (see ``tests/parallel.py``); ``-n 0`` or
``-p no:xdist`` runs them in one process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis

from tests.databases import PostgresDatabase, SqliteTemplate
from tests.factories import offline_settings
from tests.parallel import (  # noqa: F401 (hooks: pytest finds them in this module's namespace)
    pytest_cmdline_main,
    pytest_collection_modifyitems,
    pytest_xdist_make_scheduler,
    xdist_worker,
)
from tracker.config import Settings
from tracker.store import Store

POSTGRES_URL = os.environ.get("TRACKER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REDIS_DATABASES = 16  # Redis's default `databases`


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings isolated in ``tmp_path``: embedded SQLite, no arXiv throttle, fast retries."""
    return offline_settings(tmp_path)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabase]:
    """This session's throwaway PostgreSQL database (one per xdist worker); dropped at the end."""
    try:
        database = PostgresDatabase(POSTGRES_URL, label=os.environ.get("PYTEST_XDIST_WORKER", ""))
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL is required for these tests and is not reachable at {POSTGRES_URL} ({exc}). "
            "Run the tests with `scripts/test` (it starts one) or set TRACKER_TEST_POSTGRES_URL.",
            pytrace=False,
        )
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    """A migrated SQLite file, made once per session and copied for each test."""
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """``settings`` pointing at a migrated database with no rows, of each backend in turn.

    Ids start at 1. The rows a test writes are committed for real (other processes see them).
    """
    if request.param == "postgresql":
        database: PostgresDatabase = request.getfixturevalue("postgres")
        database.clean()
        return settings.model_copy(update={"database_url": database.url})
    request.getfixturevalue("sqlite_template").copy_to(settings)
    return settings


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_backend_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """``settings`` pointing at an empty, unmigrated database of each backend in turn.

    For tests of the migrations themselves (the real upgrade path, not the session's template).
    """
    if request.param == "postgresql":
        database: PostgresDatabase = request.getfixturevalue("postgres")
        database.empty_schema()
        return settings.model_copy(update={"database_url": database.url})
    return settings


@pytest.fixture
def store(backend_settings: Settings) -> Iterator[Store]:
    """A migrated Store with no rows on each backend (SQLite file in tmp dir; PostgreSQL database)."""
    s = Store.open(backend_settings, migrate=False)
    yield s
    s.dispose()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The URL of a Redis database of this xdist worker's own, flushed before and after the test.

    Worker ``i`` of ``n`` uses database ``(d - i) % 16`` of the ``TRACKER_TEST_REDIS_URL`` server,
    ``d`` being that URL's database (15 by default), so parallel workers never flush each
    other's keys; without xdist that is ``d`` itself.
    """
    index, count = xdist_worker()
    if count > REDIS_DATABASES:
        pytest.fail(f"at most {REDIS_DATABASES} xdist workers can share one Redis server (-n {count})", pytrace=False)
    base = urlsplit(REDIS_URL)
    db = (int(base.path.strip("/") or 0) - index) % REDIS_DATABASES
    url = base._replace(path=f"/{db}").geturl()
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        client.close()
        pytest.fail(
            f"Redis is required and not reachable at {url} ({exc}). Run the tests with "
            "`scripts/test` (it starts one) or set TRACKER_TEST_REDIS_URL.",
            pytrace=False,
        )
    try:
        yield url
    finally:
        client.flushdb()
        client.close()
