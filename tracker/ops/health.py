"""Reachability checks of the database and the broker, for ``GET /healthz`` and ``tracker status``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from tracker.config import Settings
from tracker.ops.redis import new_client, uses_redis

BROKER_TIMEOUT_S = 2.0


def check_database(session: Session) -> dict[str, Any]:
    """Run ``SELECT 1``; return ``{"ok": True}`` or ``{"ok": False, "error": "..."}``."""
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return {"ok": False, "error": str(exc).splitlines()[0]}
    return {"ok": True}


def check_broker(settings: Settings) -> dict[str, Any]:
    """Ping the broker: Redis ``PING`` (2 s timeout), or a connection to the kombu SQLAlchemy broker.

    Returns:
        dict: ``{"ok": bool, "kind": "redis"|"sqlalchemy", "error"?: str}`` (never raises).
    """
    if uses_redis(settings):
        import redis  # lazy: ~100 ms of start-up (python -X importtime) the embedded broker never needs

        client = new_client(
            settings.resolved_broker_url, timeout_s=BROKER_TIMEOUT_S, connect_timeout_s=BROKER_TIMEOUT_S
        )
        try:
            client.ping()
        except redis.RedisError as exc:
            return {"ok": False, "kind": "redis", "error": str(exc)}
        finally:
            client.close()
        return {"ok": True, "kind": "redis"}
    url = settings.resolved_broker_url.removeprefix("sqla+")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return {"ok": False, "kind": "sqlalchemy", "error": str(exc).splitlines()[0]}
    finally:
        engine.dispose()
    return {"ok": True, "kind": "sqlalchemy"}
