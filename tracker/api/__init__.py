"""The HTTP side of tracker (FastAPI, served by ``tracker serve``).

``create_app(settings)`` builds the app from Settings and mounts one router per module in
``ROUTERS`` (each module exposes ``router: fastapi.APIRouter``). Adding an area is one module, one
import and one entry here. Shared dependencies (settings, store, watchlist, the admin token check)
live in ``tracker.api.deps``.
"""

from __future__ import annotations

from types import ModuleType

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from tracker import __version__
from tracker.api import (
    admin,
    adoption,
    dashboard,
    docs,
    feeds,
    health,
    labs,
    metrics,
    papers,
    radar,
    release_page,
    releases,
    stats,
    webhooks,
)
from tracker.api.webhooks import EnqueueFactory
from tracker.config import Settings
from tracker.errors import StoreError
from tracker.store import Store
from tracker.watchlist import load_watchlist

#: Router modules, mounted in this order: health and Prometheus ``/metrics`` first, then the history
#: API, feeds, dashboard and admin, then the Hub webhook.
ROUTERS: tuple[ModuleType, ...] = (
    health,
    metrics,
    releases,
    labs,
    papers,
    stats,
    adoption,
    radar,
    feeds,
    dashboard,
    release_page,
    admin,
    webhooks,
)


def create_app(
    settings: Settings | None = None, *, store: Store | None = None, enqueue_factory: EnqueueFactory | None = None
) -> FastAPI:
    """Build the FastAPI app.

    Args:
        settings (Settings, optional): defaults to ``Settings()`` (environment).
        store (Store, optional): an open Store; defaults to ``Store.open(settings)``.
        enqueue_factory (callable, optional): ``factory(settings) -> enqueue_poll | None``, called on
            the first Hub webhook call to queue its polls (the console script's queues a Celery
            task). None, or a factory returning None, means poll in a thread of this process.

    Raises:
        ConfigError: invalid settings, watchlist or database.
    """
    settings = settings or Settings()
    app = FastAPI(
        title="tracker",
        version=__version__,
        description="Open-weight AI model releases: history, cadence, feeds and Hub webhooks.",
        docs_url=None,  # served by tracker.api.docs from local Swagger UI assets (works offline)
    )
    app.state.settings = settings
    app.state.watchlist = load_watchlist(settings.watchlist)
    app.state.store = store or Store.open(settings)
    app.state.enqueue_factory = enqueue_factory
    for module in ROUTERS:
        app.include_router(module.router)
    docs.mount(app)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StoreError, _store_error)
    return app


async def _store_error(request: Request, exc: Exception) -> Response:
    """A database failure (``tracker.store.failures``) as 503 with its one-line message, not a 500."""
    return JSONResponse({"detail": str(exc)}, status_code=503)


async def _validation_error(request: Request, exc: Exception) -> Response:
    """The dashboard's and release pages' bad parameters as a page; the API keeps FastAPI's JSON 422."""
    assert isinstance(exc, RequestValidationError)
    if request.url.path == "/" or request.url.path.startswith("/release/"):  # pages, not the /releases API
        return dashboard.validation_page(request, exc)
    return await request_validation_exception_handler(request, exc)
