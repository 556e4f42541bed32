"""A database failure reaching a ``tracker`` command is one line on stderr and exit 1, on both
backends: a read-only database, a lock never released, an unreachable server (password masked)."""

from __future__ import annotations

import sqlite3
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from tests.faults.conftest import free_port
from tracker.cli.app import app
from tracker.config import Settings
from tracker.store import Store
from tracker.store import db as store_db


def _tracker(settings: Settings, *args: str, database_url: str | None = None):  # type: ignore[no-untyped-def]
    env = {
        "TRACKER_DATA_DIR": str(settings.data_dir),
        "TRACKER_DATABASE_URL": database_url or settings.resolved_database_url,
        "COLUMNS": "250",
    }
    return CliRunner().invoke(app, list(args), env=env)


def _one_line_error(result, code: int = 1) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not a traceback
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def _read_only_url(settings: Settings) -> str:
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        return f"sqlite:///file:{settings.data_dir / 'tracker.db'}?mode=ro&uri=true"
    return f"{url}?options={quote('-c default_transaction_read_only=on')}"  # what a hot standby does


def test_a_write_to_a_read_only_database_is_one_line(store: Store, backend_settings: Settings, clean_env: None) -> None:
    result = _tracker(backend_settings, "mute", "qwen", "--for", "1h", database_url=_read_only_url(backend_settings))

    line = _one_line_error(result)
    assert "is read-only:" in line
    assert ("permissions" if store.engine.dialect.name == "sqlite" else "standby") in line
    assert _tracker(backend_settings, "mute").exit_code == 0  # nothing was written, the database still works


def test_a_sqlite_lock_never_released_is_one_line(
    settings: Settings, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_db, "SQLITE_BUSY_TIMEOUT_S", 0.5)
    assert _tracker(settings, "releases").exit_code == 0  # creates and migrates the file
    stuck = sqlite3.connect(settings.data_dir / "tracker.db", isolation_level=None)
    stuck.execute("BEGIN IMMEDIATE")  # another process's write transaction that never ends
    try:
        reading = _tracker(settings, "releases")
        writing = _tracker(settings, "mute", "qwen")
    finally:
        stuck.close()

    assert reading.exit_code == 0, reading.output  # readers do not wait for the writer
    line = _one_line_error(writing)
    assert "stayed locked for 0.5 s" in line and "tracker.db" in line


def test_an_unreachable_postgresql_is_one_line_with_the_password_masked(settings: Settings, clean_env: None) -> None:
    url = f"postgresql+psycopg://tracker:s3cret-pw@127.0.0.1:{free_port()}/tracker"

    line = _one_line_error(_tracker(settings, "releases", database_url=url))

    assert "s3cret-pw" not in line and "tracker:***@127.0.0.1" in line
    assert "check that the server is running and TRACKER_DATABASE_URL" in line


def test_the_api_answers_a_database_failure_with_503_and_the_message(
    store: Store, backend_settings: Settings, clean_env: None
) -> None:
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from tracker.api import create_app

    read_only = Store.open(
        backend_settings.model_copy(update={"database_url": _read_only_url(backend_settings)}), migrate=False
    )
    app = create_app(backend_settings.model_copy(update={"api_token": SecretStr("t0ken")}), store=read_only)
    auth = {"Authorization": "Bearer t0ken"}
    try:
        with TestClient(app) as client:
            listed = client.get("/admin/subscriptions", headers=auth)
            created = client.post("/admin/subscriptions", json={"channel": "console:x"}, headers=auth)
    finally:
        read_only.dispose()
    assert listed.status_code == 200, listed.text  # reading a read-only database is fine
    assert created.status_code == 503, created.text
    assert "is read-only" in created.json()["detail"]
