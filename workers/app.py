"""The Celery app: built from ``Settings`` by ``create_celery``; nothing reads the environment at import.

Broker: ``settings.resolved_broker_url``: the server-less kombu SQLAlchemy transport
(``sqla+sqlite:///<data_dir>/broker.db``) by default, ``redis://...`` in production. There is no
result backend (tasks return small summaries only for logs). Tasks are idempotent, acknowledged
late, prefetched one at a time, and routed by name to three queues: ``poll``, ``deliver`` and
``digest`` (for the digest tasks).

Per-process state (Settings, Watchlist, Store) lives in a ``Runtime`` attached to
the app as ``app.tracker``; the Store is opened lazily in the process that runs tasks, and its
engine (and the kombu SQLAlchemy transport's engines) are disposed in a forked child, so no
database connection is ever shared across ``fork()``.

The ``celery`` command needs an app object: ``celery -A workers.app worker`` finds ``app`` through
this module's ``__getattr__``, which calls ``get_app()`` (built once, on first access, from the
environment). ``tracker run`` / ``tracker worker`` / ``tracker beat`` (``workers.cli``) build the app
explicitly instead.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
import weakref
from typing import Any

from celery import Celery, signals
from kombu import Exchange, Queue
from kombu.utils.url import maybe_sanitize_url
from sqlalchemy.engine import make_url

from tracker.config import Settings
from tracker.external import PrintableLogFilter
from tracker.ops.leases import Lease
from tracker.store import Store
from tracker.watchlist import Watchlist, load_watchlist
from workers import (
    broker,
    tasks,  # noqa: F401  (importing registers the shared tasks on every app)
)
from workers.base import DELIVER_TIME_LIMIT_S, POLL_TIME_LIMIT_S
from workers.schedule import (
    DELIVER_QUEUE,
    DELIVER_TASK,
    DISPATCH_TASK,
    POLL_QUEUE,
    POLL_TASK,
    PRUNE_TASK,
    QUEUES,
    SWEEP_TASK,
    build_schedule,
    uses_sqla_broker,
)

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_S = 30
BEAT_SCHEDULE_FILE = "celerybeat-schedule"


class Runtime:
    """Tracker collaborators for one process, built lazily on first use.

    Args:
        settings (Settings): the configuration the app was built from.
        watchlist (Watchlist, optional): the labs; None means load ``settings.watchlist`` on first use.

    After ``fork()`` the child disposes the inherited engine's pool (without closing the parent's
    connections) and so opens its own connections on first use.
    """

    def __init__(self, settings: Settings, watchlist: Watchlist | None = None):
        self.settings = settings
        self._watchlist = watchlist
        self._store: Store | None = None
        self.beat_lease: Lease | None = None  # set by workers.beat (one scheduler per broker)
        self._lock = threading.Lock()
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (r := ref()) is not None and r.after_fork())

    @property
    def watchlist(self) -> Watchlist:
        """The watchlist (loaded once). Raises ConfigError when it is invalid."""
        with self._lock:
            if self._watchlist is None:
                self._watchlist = load_watchlist(self.settings.watchlist)
            return self._watchlist

    @property
    def store(self) -> Store:
        """The Store (opened once per process; the embedded SQLite database upgrades itself)."""
        with self._lock:
            if self._store is None:
                self._store = Store.open(self.settings)
            return self._store

    def after_fork(self) -> None:
        """Drop state that must not cross ``fork()``: pooled DB connections and the lock."""
        self._lock = threading.Lock()
        if self._store is not None:
            self._store.engine.dispose(close=False)

    def close(self) -> None:
        """Close pooled database connections (worker shutdown)."""
        if self._store is not None:
            self._store.dispose()


def _reset_kombu_sqla_engines() -> None:
    """Forget the kombu SQLAlchemy transport's engine cache in a forked child.

    kombu caches engines on the ``Channel`` class, so a child would otherwise reuse the parent's
    pooled SQLite connections.
    """
    module = sys.modules.get("kombu.transport.sqlalchemy")
    if module is None:
        return
    for engine, _session in list(module.Channel._engines.values()):
        engine.dispose(close=False)
    module.Channel._engines.clear()


os.register_at_fork(after_in_child=_reset_kombu_sqla_engines)


def describe_broker(settings: Settings) -> str:
    """Return the broker URL with any password hidden."""
    return maybe_sanitize_url(settings.resolved_broker_url)


def describe_database(settings: Settings) -> str:
    """Return the database URL with any password hidden."""
    try:
        return make_url(settings.resolved_database_url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: let Store.open report it; print something safe
        return maybe_sanitize_url(settings.resolved_database_url)


def create_celery(settings: Settings, watchlist: Watchlist | None = None) -> Celery:
    """Build the Celery app for ``settings``: broker, queues, routes, limits and beat schedule.

    Args:
        settings (Settings): configuration; ``data_dir`` is created (broker and beat files live there).
        watchlist (Watchlist, optional): the labs to schedule; None means load ``settings.watchlist``.

    Returns:
        Celery: the app, with ``app.tracker`` (a ``Runtime``) holding settings, watchlist and store.

    Raises:
        ConfigError: the watchlist is invalid, or it names an unknown source.
    """
    data_dir = settings.ensure_data_dir()
    broker.install()  # redis:// and rediss:// connections survive a lost broker (see workers.broker)
    watchlist = watchlist if watchlist is not None else load_watchlist(settings.watchlist)
    app = Celery("tracker", set_as_current=False)
    transport_options: dict[str, Any] = {}
    if uses_sqla_broker(settings) and "sqlite" in settings.resolved_broker_url:
        # Passed to create_engine: wait for SQLite's write lock instead of failing at once
        # (beat publishes while the worker polls the same file).
        transport_options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S}
    elif settings.resolved_broker_url.startswith(("redis://", "rediss://")):
        # Longer than the hard time limit: a late-acked poll is not redelivered while running.
        transport_options["visibility_timeout"] = 2 * POLL_TIME_LIMIT_S
    app.conf.update(
        broker_url=settings.resolved_broker_url,
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport_options,
        result_backend=None,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        event_serializer="json",
        task_acks_late=True,
        # A task running when the broker connection drops finishes and records its result in the
        # database (the record of what is owed); its late ack is lost with the connection and a
        # redelivery is harmless (tasks are idempotent). Celery 6 would cancel it instead.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_prefetch_multiplier=1,
        worker_concurrency=settings.worker.concurrency,
        # Each queue gets its own direct exchange and routing key: with Celery's defaults both
        # would be bound to the default exchange with key "poll" and receive every poll twice.
        task_default_queue=POLL_QUEUE,
        task_default_exchange=POLL_QUEUE,
        task_default_routing_key=POLL_QUEUE,
        task_queues=tuple(Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES),
        task_routes={
            POLL_TASK: {"queue": POLL_QUEUE},
            DISPATCH_TASK: {"queue": DELIVER_QUEUE},
            SWEEP_TASK: {"queue": DELIVER_QUEUE},
            DELIVER_TASK: {"queue": DELIVER_QUEUE},
            PRUNE_TASK: {"queue": DELIVER_QUEUE},
        },
        beat_schedule=build_schedule(settings, watchlist),
        beat_schedule_filename=str(data_dir / BEAT_SCHEDULE_FILE),
        beat_scheduler="workers.beat:SingleBeatScheduler",  # one scheduler per broker
        timezone="UTC",
        enable_utc=True,
    )
    if settings.delivery.stale_after_s <= DELIVER_TIME_LIMIT_S:
        log.warning(
            "TRACKER_DELIVERY_STALE_AFTER_S=%g is not longer than the deliver task's hard time "
            "limit (%d s): a slow send could be taken over while still running",
            settings.delivery.stale_after_s,
            DELIVER_TIME_LIMIT_S,
        )
    app.tracker = Runtime(settings, watchlist)  # type: ignore[attr-defined]
    return app  # the shared tasks of workers.tasks (imported above) register on every app


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _printable_logs(logger: logging.Logger, **_: Any) -> None:
    """Worker log lines show outside text's control characters instead of obeying them."""
    for handler in logger.handlers:
        handler.addFilter(PrintableLogFilter())


@functools.cache
def get_app() -> Celery:
    """Return the app built from the environment (once per process), for the ``celery`` command.

    Raises:
        ConfigError: invalid settings or watchlist.
    """
    from tracker.cli.app import load_context  # typer and rich (~0.1 s): only `celery -A workers.app` needs them

    ctx = load_context()
    return create_celery(ctx.settings, ctx.watchlist)


def __getattr__(name: str) -> Any:
    """Build ``app`` lazily so that ``celery -A workers.app`` works without import-time side effects."""
    if name in ("app", "celery"):
        return get_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
