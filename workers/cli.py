"""The console-script entry point: tracker's Typer app plus ``run``, ``worker`` and ``beat``.

``tracker run`` is the main job in one process: a Celery worker consuming the ``poll``, ``deliver`` and
``digest`` queues with beat embedded (Celery forks beat into a child process), the schedule
built from the watchlist (one entry per (source, lab) unit, see ``workers.schedule``). At start
it polls every unit once (so the first results do not wait one full interval), then beat takes
over. SIGTERM or Ctrl-C is a warm shutdown: running tasks finish, unacknowledged ones go back to
the queue.

Broker: with no ``TRACKER_BROKER_URL`` the server-less kombu SQLAlchemy transport stores the
queue in ``<data_dir>/broker.db`` (no Redis needed); ``TRACKER_BROKER_URL=redis://...`` uses Redis.

Pool: ``prefork`` by default, also with the SQLite broker. The broker connection lives only in
the parent process (children receive tasks over pipes), the kombu and Store engines are reset
after ``fork()``, and prefork is the only pool that enforces the tasks' soft/hard time limits
(240 s / 300 s for a poll), so a hung HTTP call cannot block a slot forever. ``solo`` (one task
at a time in the main process, no time limits) is the fallback for constrained environments;
``threads`` runs tasks in threads (no time limits either).

Production (docker-compose) runs ``tracker worker`` and ``tracker beat`` as separate services
against Redis; a second beat (or ``run``) on the same broker stands down (``workers.beat``).
"""

from __future__ import annotations

import logging
import socket
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.markup import escape

from tracker.cli.app import app, console, err_console, handle_errors, load_context
from tracker.cli.serve import set_enqueue_factory
from tracker.errors import TrackerError, UsageError
from tracker.ops.eviction import check_redis_eviction

DEFAULT_QUEUES = "poll,deliver,digest"


class Pool(StrEnum):
    """Celery execution pools offered by ``tracker run`` and ``tracker worker``."""

    prefork = "prefork"
    solo = "solo"
    threads = "threads"


ConcurrencyOpt = Annotated[
    int | None, typer.Option(min=1, help="worker processes/threads (default TRACKER_WORKER_CONCURRENCY, 2)")
]
LoglevelOpt = Annotated[
    str | None, typer.Option(help="DEBUG, INFO, WARNING or ERROR (default TRACKER_LOG_LEVEL, INFO)")
]
PoolOpt = Annotated[Pool, typer.Option(help="prefork (default; enforces time limits), solo or threads")]


def _loglevel(value: str | None, default: str) -> str:
    level = (value or default).upper()
    if not isinstance(logging.getLevelName(level), int):
        raise UsageError(f"--loglevel must be DEBUG, INFO, WARNING or ERROR, got {value!r}")
    return level


def _build(*, open_store: bool) -> Any:
    """Load settings and watchlist, build the Celery app; optionally open (and migrate) the store."""
    from workers.app import create_celery, describe_database  # Celery (~1.5 s): only run/worker/beat pay for it

    ctx = load_context()
    eviction = check_redis_eviction(ctx.settings)  # refuses an allkeys-* Redis that could drop the queue
    if eviction is not None and eviction.problem:
        err_console.print(f"[bold yellow]warning:[/] broker Redis: {escape(eviction.problem)}", highlight=False)
    celery_app = create_celery(ctx.settings, ctx.watchlist)
    if open_store:
        # Migrate the embedded SQLite database once here, before worker processes fork; a bad
        # database fails now with one line (exit 2 bad URL, 1 unreachable) rather than in every task.
        try:
            celery_app.tracker.store  # noqa: B018
        except TrackerError:
            raise
        except Exception as exc:  # unreachable server, bad credentials...: say which database
            raise TrackerError(f"cannot open the database {describe_database(ctx.settings)}: {exc}") from exc
        sync_labs(celery_app.tracker)
    return celery_app


def sync_labs(runtime: Any) -> None:
    """Insert or update the watched labs' rows once, before tasks run in several processes.

    Two first polls of one lab in two worker processes would otherwise both try to insert its row.
    """
    from tracker.store import queries as q  # SQLAlchemy: kept out of every other command's start-up

    with runtime.store.transaction() as session:
        q.sync_labs(session=session, labs=runtime.watchlist.labs)


def _describe(celery_app: Any, what: str, *, pool: str | None = None, concurrency: int | None = None) -> None:
    # Celery (~1.5 s, loaded by _build by now): kept out of every other command's start-up.
    from workers.app import describe_broker, describe_database
    from workers.schedule import count_poll_entries

    settings = celery_app.tracker.settings
    schedule = celery_app.conf.beat_schedule
    console.print(f"[bold]tracker {what}[/]", highlight=False)
    console.print(f"  broker:    {describe_broker(settings)}", markup=False, highlight=False)
    console.print(f"  database:  {describe_database(settings)}", markup=False, highlight=False)
    console.print(f"  watchlist: {celery_app.tracker.watchlist.source}", markup=False, highlight=False)
    console.print(
        f"  scheduled: {count_poll_entries(schedule)} poll units, default interval {settings.polling.interval:g} s",
        highlight=False,
    )
    if pool:
        console.print(f"  pool:      {pool} x {concurrency}", highlight=False)


def enqueue_initial_polls(celery_app: Any) -> int:
    """Queue one poll of every scheduled unit now (beat's first run comes one interval later).

    Returns:
        int: the number of polls queued.

    Raises:
        TrackerError: the broker cannot be reached (after Celery's publish retries).
    """
    # Celery (~1.5 s, loaded by _build by now): kept out of every other command's start-up.
    from workers.app import describe_broker
    from workers.schedule import POLL_TASK

    count = 0
    try:
        for entry in celery_app.conf.beat_schedule.values():
            if entry["task"] != POLL_TASK:
                continue
            period = entry["schedule"]
            expires = period.total_seconds() if isinstance(period, timedelta) else None
            celery_app.send_task(POLL_TASK, args=entry["args"], queue=entry["options"]["queue"], expires=expires)
            count += 1
    except Exception as exc:  # kombu's OperationalError, redis ConnectionError...
        settings = celery_app.tracker.settings
        raise TrackerError(f"cannot reach the broker {describe_broker(settings)}: {exc}") from exc
    return count


def _initial_polls_if_leader(celery_app: Any) -> None:
    """Queue the initial polls only when this process takes the beat lease (its scheduler keeps it).

    A second scheduler on the same broker would queue them twice; it says so and stands down.
    """
    from workers.app import describe_broker
    from workers.beat import beat_lease, stand_down_line  # Celery: loaded by _build by now

    lease = beat_lease(celery_app)
    if lease.hold():
        console.print(f"  queued {enqueue_initial_polls(celery_app)} initial polls", highlight=False)
    elif lease.error is not None:  # the broker is down at start-up: say so, as queuing would
        settings = celery_app.tracker.settings
        raise TrackerError(f"cannot reach the broker {describe_broker(settings)}: {lease.error}")
    else:
        console.print(f"  [yellow]{escape(stand_down_line(lease))}[/]", highlight=False)


def _start_worker(
    celery_app: Any, *, beat: bool, queues: str, concurrency: int | None, loglevel: str | None, pool: Pool
) -> int:
    from celery import concurrency as celery_concurrency  # Celery: kept out of every other command's start-up

    settings = celery_app.tracker.settings
    worker = celery_app.Worker(
        hostname=f"tracker@{socket.gethostname()}",
        beat=beat,
        queues=[q.strip() for q in queues.split(",") if q.strip()],
        concurrency=concurrency or settings.worker.concurrency,
        loglevel=_loglevel(loglevel, settings.log_level),
        pool_cls=celery_concurrency.get_implementation(pool.value),
        schedule_filename=celery_app.conf.beat_schedule_filename,
    )
    shutdown = _watch_shutdown()
    if worker.loglevel > logging.DEBUG:
        # "Task ... received", "succeeded in 0.2s: {...}" and "Sending due task" for every task
        # drown the cycle and detection lines; tasks log their own outcome (workers.tasks.log_poll).
        for name in ("celery.app.trace", "celery.worker.strategy", "celery.beat"):
            logging.getLogger(name).setLevel(logging.WARNING)
    worker.start()
    code = int(worker.exitcode or 0)
    # Celery reports a warm shutdown asked with Ctrl-C as failure (1) even when every task
    # finished; stopping the main job that way is the normal way to stop it. A second Ctrl-C
    # (cold shutdown, tasks killed) keeps 1.
    if code == 1 and shutdown.get("sig") == "SIGINT" and shutdown.get("how") == "Warm":
        return 0
    return code


def _watch_shutdown() -> dict[str, str]:
    """Record the last shutdown signal Celery acts on.

    Returns:
        dict: filled with ``sig`` and ``how`` ("Warm"/"Cold") when a shutdown starts.
    """
    from celery import signals

    seen: dict[str, str] = {}

    def on_shutdown(sig: str = "", how: str = "", **_: Any) -> None:
        seen.update(sig=sig, how=how)

    signals.worker_shutting_down.connect(on_shutdown, weak=False)
    return seen


@handle_errors
def run(
    concurrency: ConcurrencyOpt = None,
    loglevel: LoglevelOpt = None,
    pool: PoolOpt = Pool.prefork,
    initial_poll: Annotated[bool, typer.Option(help="poll every unit once at start")] = True,
) -> None:
    """Run the main job: a worker with embedded beat that polls on schedule and sends alerts."""
    celery_app = _build(open_store=True)
    n = concurrency or celery_app.tracker.settings.worker.concurrency
    _describe(celery_app, "run (worker + beat)", pool=pool.value, concurrency=n)
    if initial_poll:
        _initial_polls_if_leader(celery_app)
    raise typer.Exit(
        _start_worker(celery_app, beat=True, queues=DEFAULT_QUEUES, concurrency=n, loglevel=loglevel, pool=pool)
    )


@handle_errors
def worker(
    concurrency: ConcurrencyOpt = None,
    loglevel: LoglevelOpt = None,
    pool: PoolOpt = Pool.prefork,
    queues: Annotated[str, typer.Option(help="comma-separated queues to consume")] = DEFAULT_QUEUES,
) -> None:
    """Run a Celery worker without beat (production: pair it with one `tracker beat`)."""
    celery_app = _build(open_store=True)
    n = concurrency or celery_app.tracker.settings.worker.concurrency
    _describe(celery_app, "worker", pool=pool.value, concurrency=n)
    raise typer.Exit(_start_worker(celery_app, beat=False, queues=queues, concurrency=n, loglevel=loglevel, pool=pool))


@handle_errors
def beat(
    loglevel: LoglevelOpt = None,
    initial_poll: Annotated[bool, typer.Option(help="poll every unit once at start")] = True,
) -> None:
    """Run the beat scheduler alone (exactly one per deployment) to queue polls and sweeps."""
    celery_app = _build(open_store=False)
    _describe(celery_app, "beat")
    if initial_poll:
        _initial_polls_if_leader(celery_app)
    settings = celery_app.tracker.settings
    celery_app.Beat(
        loglevel=_loglevel(loglevel, settings.log_level), schedule=celery_app.conf.beat_schedule_filename
    ).run()


def register(typer_app: typer.Typer) -> typer.Typer:
    """Add ``run``, ``worker`` and ``beat`` to ``typer_app`` (once) and return it."""
    names = {c.name or (c.callback.__name__ if c.callback else None) for c in typer_app.registered_commands}
    for name, func in (("run", run), ("worker", worker), ("beat", beat)):
        if name not in names:
            typer_app.command(name)(func)
    return typer_app


def celery_enqueue_factory(settings: Any) -> Any:
    """Return ``enqueue_poll(source, lab)`` queueing ``tracker.poll.source``, or None without a broker.

    Installed for the API (``tracker serve``) so a Hub webhook call becomes a Celery poll task
    when ``TRACKER_BROKER_URL`` is set (a deployment with workers); without it the API polls in a
    background thread (``tracker.api.webhooks.poll_in_thread``).
    """
    if settings.broker_url is None:
        return None
    # Celery (~1.5 s): paid on the first webhook call of an API with a broker, never at start-up.
    from workers.app import create_celery
    from workers.schedule import POLL_QUEUE, POLL_TASK

    celery_app = create_celery(settings)

    def enqueue(source: str, lab: str) -> None:
        celery_app.send_task(POLL_TASK, args=[source, lab], queue=POLL_QUEUE)

    return enqueue


def main() -> None:
    """Console-script entry point (``tracker``): tracker's commands plus the Celery ones."""
    set_enqueue_factory(celery_enqueue_factory)
    register(app)()


if __name__ == "__main__":
    main()
