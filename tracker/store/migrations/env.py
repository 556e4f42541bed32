"""Alembic environment: runs on the engine tracker hands over (``tracker.store.db.upgrade``).

Run through ``tracker db upgrade``; there is no alembic.ini to keep in sync with Settings.
"""

from alembic import context
from sqlalchemy import Engine

from tracker.store.db import include_name
from tracker.store.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(type_, obj, autogen_context):  # type: ignore[no-untyped-def]
    """Render UTCDateTime as a plain timestamptz so migrations never import model code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        raise RuntimeError("run migrations through `tracker db upgrade`, which supplies the engine")
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=include_name,
            render_item=_render_item,
        )
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; use `tracker db upgrade`")
run_migrations_online()
