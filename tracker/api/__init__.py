"""The HTTP side of tracker (FastAPI, served by ``tracker serve``).

``create_app(settings)`` builds the app from Settings and mounts one router per module listed in
``ROUTERS`` (each module exposes ``router: fastapi.APIRouter``). Adding an area is one module plus
one line here. Shared dependencies (settings, store, watchlist, the admin token check) live in
``tracker.api.deps``.
"""

from __future__ import annotations

import importlib

from fastapi import FastAPI

from tracker import __version__
from tracker.config import Settings
from tracker.store import Store
from tracker.watchlist import load_watchlist

#: Router modules, mounted in this order.
ROUTERS: tuple[str, ...] = (
    "tracker.api.health",
    "tracker.api.metrics",  # issue 3: Prometheus /metrics
    "tracker.api.releases",  # issue 7: history API, feeds, stats, dashboard, admin
    "tracker.api.labs",
    "tracker.api.papers",
    "tracker.api.stats",
    "tracker.api.feeds",
    "tracker.api.dashboard",
    "tracker.api.admin",
    "tracker.api.webhooks",
)


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> FastAPI:
    """Build the FastAPI app.

    Args:
        settings (Settings, optional): defaults to ``Settings()`` (environment).
        store (Store, optional): an open Store; defaults to ``Store.open(settings)``.

    Raises:
        ConfigError: invalid settings, watchlist or database.
    """
    settings = settings or Settings()
    app = FastAPI(
        title="tracker",
        version=__version__,
        description="Open-weight AI model releases: history, cadence, feeds and Hub webhooks.",
    )
    app.state.settings = settings
    app.state.watchlist = load_watchlist(settings.watchlist)
    app.state.store = store or Store.open(settings)
    for dotted in ROUTERS:
        app.include_router(importlib.import_module(dotted).router)
    return app
