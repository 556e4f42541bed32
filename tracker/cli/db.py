"""``tracker db upgrade``: apply the Alembic migrations (a server database; embedded SQLite upgrades itself)."""

from __future__ import annotations

import typer

from tracker.cli.app import app, console, handle_errors, load_context
from tracker.errors import TrackerError

db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
@handle_errors
def db_upgrade() -> None:
    """Apply database migrations (Alembic) up to the newest revision."""
    # SQLAlchemy and Alembic: only this command pays for them.
    from tracker.store import Store
    from tracker.store import db as store_db

    ctx = load_context()
    store = Store.open(ctx.settings, migrate=False)
    try:
        store_db.upgrade(store.engine)
    except Exception as exc:  # connection refused, permissions...: say which database
        raise TrackerError(f"migrating {store.engine.url.render_as_string(hide_password=True)} failed: {exc}") from exc
    console.print(f"database at revision {store_db.current_revision(store.engine)}")
