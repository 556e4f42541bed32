"""FastAPI dependencies shared by every router: settings, store session, watchlist, admin token."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status
from sqlalchemy.orm import Session

from tracker.config import Settings
from tracker.store import Store
from tracker.watchlist import Watchlist


def get_settings(request: Request) -> Settings:
    """The app's Settings."""
    return request.app.state.settings


def get_store(request: Request) -> Store:
    """The app's Store."""
    return request.app.state.store


def get_watchlist(request: Request) -> Watchlist:
    """The app's Watchlist."""
    return request.app.state.watchlist


def get_session(store: Annotated[Store, Depends(get_store)]) -> Iterator[Session]:
    """A session in one read transaction for the request: on SQLite it never waits for a poll's
    write lock, and it refuses to write (``tracker.store.db.ReadOnlyTransactionError``)."""
    with store.transaction(write=False) as session:
        yield session


def get_write_session(store: Annotated[Store, Depends(get_store)]) -> Iterator[Session]:
    """A session in one write transaction for the request (committed when the handler returns)."""
    with store.transaction() as session:
        yield session


def require_admin(
    settings: Annotated[Settings, Depends(get_settings)],
    authorization: Annotated[str | None, Header()] = None,
) -> None:
    """Require ``Authorization: Bearer <TRACKER_API_TOKEN>`` (constant-time compare).

    Raises:
        HTTPException: 503 when no token is configured (write endpoints are off), 401 otherwise.
    """
    if settings.api.token is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "write endpoints are disabled: set TRACKER_API_TOKEN")
    expected = f"Bearer {settings.api.token.get_secret_value()}"
    if authorization is None or not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
        )


SessionDep = Annotated[Session, Depends(get_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
WatchlistDep = Annotated[Watchlist, Depends(get_watchlist)]
AdminDep = Depends(require_admin)
