"""Shared fixtures: Settings in a temp dir, a Store on SQLite or PostgreSQL, a Redis database.

Tests that take the ``store`` fixture run twice, once per backend. PostgreSQL comes from
``TRACKER_TEST_POSTGRES_URL`` (default: the local server, database ``test``); each session (each
xdist worker) creates its own database and drops it at the end. Redis comes from
``TRACKER_TEST_REDIS_URL``; each xdist worker uses a database number of its own (see
``redis_database``), and fails its Redis tests when another client (a worker left by an
interrupted run) is already attached to it. If a server is unreachable the tests FAIL with a
message saying how to start it: they are never skipped silently.

The schema is migrated once per session; each test gets a clean copy (see ``tests/databases.py``).
``pytest`` runs the tests in parallel worker processes (see ``tests/parallel.py``); ``-n 0`` or
``-p no:xdist`` runs them in one process.
"""

from __future__ import annotations

import os
import warnings
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
from tests.redis_guard import describe, foreign_clients
from tracker.config import Settings
from tracker.store import Store

POSTGRES_URL = os.environ.get("TRACKER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REDIS_DATABASES = 16  # Redis's default `databases`


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No TRACKER_*/HF_* variable of the developer's shell leaks into the command."""
    for name in [k for k in os.environ if k.startswith(("TRACKER_", "HF_"))]:
        monkeypatch.delenv(name)


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


@pytest.fixture(scope="session")
def redis_database() -> str:
    """The URL of this xdist worker's own Redis database, checked once before the session uses it.

    Worker ``i`` of ``n`` uses database ``(d - i) % 16`` of the ``TRACKER_TEST_REDIS_URL`` server,
    ``d`` being that URL's database (15 by default), so parallel workers never flush each
    other's keys; without xdist that is ``d`` itself.

    Any other client already attached to that database fails the tests that need Redis, naming
    its pid and command line (``tests.redis_guard``). Failing rather than moving to a database
    nobody uses: the usual culprit is a Celery worker left by an interrupted run, which keeps
    taking CPU and tasks until someone kills it, and moving away would hide it; a database with no
    client at this instant is not proof that no other session uses it (sessions connect and
    disconnect), and xdist workers would have to agree on which ones they take.
    """
    index, count = xdist_worker()
    if count > REDIS_DATABASES:
        pytest.fail(f"at most {REDIS_DATABASES} xdist workers can share one Redis server (-n {count})", pytrace=False)
    base = urlsplit(REDIS_URL)
    db = (int(base.path.strip("/") or 0) - index) % REDIS_DATABASES
    url = base._replace(path=f"/{db}").geturl()
    client = redis.Redis.from_url(url)
    try:
        client.ping()
        foreign = foreign_clients(client, db)
    except redis.ResponseError as exc:  # CLIENT LIST refused (ACL): the tests can run, unchecked
        warnings.warn(f"cannot list the clients of {url} ({exc}): foreign consumers not checked", stacklevel=1)
        foreign = []
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is required and not reachable at {url} ({exc}). Run the tests with "
            "`scripts/test` (it starts one) or set TRACKER_TEST_REDIS_URL.",
            pytrace=False,
        )
    finally:
        client.close()
    if foreign:
        pytest.fail(describe(foreign, url), pytrace=False)
    return url


@pytest.fixture
def redis_url(redis_database: str) -> Iterator[str]:
    """``redis_database``'s URL, flushed before and after the test (no connection held meanwhile:
    the test sees only its own clients on the database)."""
    _flush(redis_database)
    try:
        yield redis_database
    finally:
        _flush(redis_database)


def _flush(url: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {url} stopped answering ({exc})", pytrace=False)
    finally:
        client.close()
