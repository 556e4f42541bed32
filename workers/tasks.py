"""Thin Celery tasks: explicit stable names, slugs as arguments, one tracker call each.

Tasks get their collaborators from the app's per-process ``Runtime`` (``self.app.tracker``, see
``workers.app``); their Celery mechanics (late ack, time limits, retries) come from
``workers.base.TrackerTask``. They are idempotent, so late acknowledgement (and a redelivered
message) is safe: polls diff against stored state and hold a per-unit lock (``tracker.ops.locks``);
the dispatcher creates deliveries by unique key; ``tracker.deliver.one`` sends only after winning
the delivery's compare-and-set claim.

Flow: ``tracker.poll.source`` commits its events, then queues ``tracker.outbox.dispatch``, which
creates the deliveries and queues one ``tracker.deliver.one(delivery_id)`` each. A transient
send failure re-queues the delivery with the backoff's countdown (at most
``MAX_DELIVER_COUNTDOWN_S``; longer waits are picked up by ``tracker.outbox.sweep``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from celery import Celery
from sqlalchemy import column, create_engine, delete, false, table

from tracker import pipeline  # poll_once looked up at call time: tests replace it on the module
from tracker.adoption.cycle import adoption_once
from tracker.briefings.cadence_alerts import run_check
from tracker.briefings.digest import create_digest_deliveries
from tracker.briefings.pulse import schedule_pulse
from tracker.briefings.report.sending import create_report_deliveries, due_month
from tracker.config import Settings
from tracker.domain import utcnow
from tracker.ops.announce import first_in_window
from tracker.ops.locks import lock_owner
from tracker.ops.metrics import record_poll
from tracker.outbox.deliver import deliver_one as deliver
from tracker.outbox.deliver import list_due
from tracker.outbox.dispatch import dispatch_pending
from tracker.pipeline.health import record_lost
from tracker.pipeline.radar import radar_once
from tracker.pipeline.unreachable import check_hint, unreachable_hosts
from workers.base import POLL_LIMITS, WORKER_LOST_HOOKS, TrackerTask, tracker_task
from workers.schedule import (
    ADOPTION_TASK,
    CADENCE_TASK,
    DELIVER_QUEUE,
    DELIVER_TASK,
    DIGEST_TASK,
    DISPATCH_TASK,
    POLL_TASK,
    PRUNE_TASK,
    PULSE_TASK,
    RADAR_TASK,
    REPORT_TASK,
    SWEEP_TASK,
    uses_sqla_broker,
)

log = logging.getLogger(__name__)

PRUNE_AFTER_S = 3600.0
MAX_DELIVER_COUNTDOWN_S = 300.0  # below the Redis visibility timeout; longer retries wait for the sweep


@tracker_task(POLL_TASK, limits=POLL_LIMITS)
def poll_source(self: TrackerTask, source: str, lab_slug: str) -> dict[str, Any]:
    """Poll one source for one lab (one at a time per unit), store what is new, then nudge the dispatcher."""
    with owning_poll_locks(self.request.id):  # a re-run after a killed worker takes its own lock over
        return poll_unit(self.app, source, lab_slug)


@contextmanager
def owning_poll_locks(task_id: str | None) -> Iterator[None]:
    """Make ``task_id`` the owner token of the poll locks taken inside the block."""
    token = lock_owner.set(f"task:{task_id}" if task_id else None)
    try:
        yield
    finally:
        lock_owner.reset(token)


def record_lost_poll(task: Any, args: Any) -> None:
    """Worker-lost hook: a killed poll counts as a failure of its unit, kept for ``tracker status``."""
    if task.name != POLL_TASK or not isinstance(args, list | tuple) or len(args) != 2:
        return
    source, lab_slug = str(args[0]), str(args[1])
    runtime = task.app.tracker
    detail = "the poll was killed mid-run (worker process lost); it runs again"
    record_lost(runtime.store, source, lab_slug, utcnow(), detail)


WORKER_LOST_HOOKS.append(record_lost_poll)


@tracker_task(DISPATCH_TASK)
def dispatch_outbox(self: TrackerTask) -> dict[str, Any]:
    """Turn pending outbox events into deliveries and queue one send task per delivery."""
    return dispatch_and_enqueue(self.app)


@tracker_task(SWEEP_TASK)
def sweep_outbox(self: TrackerTask) -> dict[str, Any]:
    """Dispatch what the post-poll nudge missed and re-queue due deliveries (retries, stale claims)."""
    return sweep(self.app)


@tracker_task(DELIVER_TASK, retry_transient=False)  # the delivery row schedules its own retry
def deliver_one(self: TrackerTask, delivery_id: int) -> dict[str, Any]:
    """Send one delivery (idempotent: the database claim lets one run send it), schedule its retry."""
    return deliver_and_requeue(self.app, delivery_id)


@tracker_task(PRUNE_TASK)
def prune_broker(self: TrackerTask, older_than_s: float = PRUNE_AFTER_S) -> dict[str, Any]:
    """Delete consumed messages older than ``older_than_s`` seconds from the SQLAlchemy broker."""
    return prune_consumed_messages(self.app.tracker.settings, older_than_s)


@tracker_task(DIGEST_TASK)
def send_digest(self: TrackerTask, period: str, at: str | None = None) -> dict[str, Any]:
    """Create the last completed period's digest deliveries (once per subscription) and queue their sends."""
    return digest_and_enqueue(self.app, period, at)


@tracker_task(PULSE_TASK)
def send_pulse(self: TrackerTask) -> dict[str, Any]:
    """Create the weekly pulse deliveries (once per channel and ISO week) and queue their sends."""
    return pulse_and_enqueue(self.app)


@tracker_task(CADENCE_TASK)
def check_cadence(self: TrackerTask) -> dict[str, Any]:
    """Write quiet/burst alerts (each once), catch up a missed pulse, then dispatch and queue sends."""
    return cadence_check(self.app)


@tracker_task(ADOPTION_TASK)
def run_adoption(self: TrackerTask) -> dict[str, Any]:
    """Count derivatives and all-time downloads of recent releases within the request budget."""
    runtime = self.app.tracker  # type: ignore[attr-defined]
    report = adoption_once(runtime.settings, runtime.store)
    return {"requests": report.requests, "bases": report.bases_scanned, "deferred": report.deferred}


@tracker_task(RADAR_TASK)
def run_radar(self: TrackerTask) -> dict[str, Any]:
    """Watch the Hub's global listings for emerging labs outside the watchlist, within the request budget."""
    runtime = self.app.tracker  # type: ignore[attr-defined]
    report = radar_once(runtime.settings, runtime.store, runtime.watchlist)
    result: dict[str, Any] = {"requests": report.requests, "scored": report.scored, "crossed": report.crossed}
    if report.announced:
        result["dispatch"] = dispatch_and_enqueue(self.app)
    return result


@tracker_task(REPORT_TASK)
def send_report(self: TrackerTask) -> dict[str, Any]:
    """Create the previous month's report deliveries when due (once per subscription) and queue them."""
    return report_and_enqueue(self.app)


# --------------------------------------------------------------------------- what the tasks run


def report_and_enqueue(app: Celery, now: datetime | None = None) -> dict[str, Any]:
    """Create the due month's report deliveries (idempotent) and queue their sends.

    Returns:
        dict: ``{"month": None}`` before ``TRACKER_REPORT_DAY``, else ``{"month", "created", "existing"}``.
    """
    runtime = app.tracker  # type: ignore[attr-defined]
    month = due_month(now or utcnow(), runtime.settings.adoption.report_day)
    if month is None:
        return {"month": None}
    run = create_report_deliveries(runtime.store, settings=runtime.settings, watchlist=runtime.watchlist, month=month)
    return {"month": month, "created": enqueue_deliveries(app, run.created + run.pending), "existing": run.existing}


def summarize_report(report: Any) -> str:
    """Return a one-line log summary of a ``PollReport``."""
    line = (
        f"poll {report.source}/{report.lab}: {report.status}, {report.requests} requests "
        f"({report.not_modified} not modified), {report.new_artifacts} new artifacts "
        f"({report.new_releases} releases, {report.variants} variants), "
        f"{len(report.detections)} detections"
    )
    if report.baseline:
        line += ", baseline recorded"
    problems = report.error or "; ".join(f"{f.scope}: {f.error}" for f in report.failures)
    return f"{line}; {problems}" if problems else line


def log_poll(settings: Settings, reports: list[Any], schedule: dict[str, Any]) -> None:
    """Log a poll's outcome for people reading ``tracker run``'s output.

    INFO carries one line per cycle (the first unit polled in a window of half the poll interval,
    any process) and one per detection. A unit that failed logs WARNING saying ``failed``, unless
    it failed only because its host was unreachable: that host gets one WARNING per cycle with
    what to check (``huggingface.co is unreachable (...): check your network or
    TRACKER_HF_ENDPOINT``), never one per unit. Per-unit summaries of good polls are DEBUG.
    """
    window = settings.polling.interval / 2
    if first_in_window(settings, "poll-cycle", window):
        units = sum(1 for entry in schedule.values() if entry.get("task") == POLL_TASK)
        log.info("poll cycle: %d units every %.0f s (per-unit results at DEBUG)", units, settings.polling.interval)
    for host, (error, _, _) in unreachable_hosts(reports).items():
        if first_in_window(settings, f"unreachable:{host}", window):
            log.warning("%s is unreachable (%s): check %s", host, error, check_hint(host, settings))
    for report in reports:
        line = summarize_report(report)
        if report.status == "ok" or (report.unreachable and report.status == "failed"):
            log.debug("%s", line)
        else:
            log.warning("%s", line)
        for d in report.detections:
            what = "new release" if d.event == "release_detected" else "new variant"
            log.info("%s %s: %s: %s %s", what, d.lab, d.title, d.artifact, d.url)


def enqueue_deliveries(app: Celery, delivery_ids: list[int]) -> int:
    """Queue one ``tracker.deliver.one`` per delivery id on the ``deliver`` queue; return how many."""
    for delivery_id in delivery_ids:
        app.send_task(DELIVER_TASK, args=[delivery_id], queue=DELIVER_QUEUE)
    return len(delivery_ids)


def poll_unit(app: Celery, source: str, lab_slug: str) -> dict[str, Any]:
    """Poll one (source, lab) unit under its poll lock, record metrics, nudge the dispatcher.

    Returns:
        dict: ``{"source", "lab", "skipped": "locked"}`` when another poll of the unit holds its
        lock, else ``{"source", "lab", "status": [...], "new_artifacts", "detections", "alerts"}``.

    Raises:
        TrackerError: the poll failed as a whole (a transient one is retried by the task).
    """
    runtime = app.tracker  # type: ignore[attr-defined]
    # Under the unit's poll lock (tracker.ops.locks): overlapping polls of one unit are skipped.
    reports = pipeline.poll_once(runtime.settings, runtime.store, runtime.watchlist, sources=[source], labs=[lab_slug])
    if reports and all(r.skipped for r in reports):
        log.info("poll %s/%s skipped: %s", source, lab_slug, reports[0].skipped)
        return {"source": source, "lab": lab_slug, "skipped": "locked"}
    log_poll(runtime.settings, reports, app.conf.beat_schedule)
    for report in reports:
        record_poll(runtime.settings, report)  # GET /metrics counters (Redis-shared)
    detections = sum(len(r.detections) for r in reports)
    alerts: dict[str, Any] | None = None
    if detections:
        # The poll has committed its events: nudge the dispatcher now (the sweep catches a lost nudge).
        try:
            app.send_task(DISPATCH_TASK, queue=DELIVER_QUEUE)
            alerts = {"dispatch": "queued"}
        except Exception:  # broker hiccup: the periodic sweep dispatches these events anyway
            log.exception("queueing the dispatch after %s/%s failed; the sweep will do it", source, lab_slug)
            alerts = {"dispatch": "left to the sweep"}
    return {
        "source": source,
        "lab": lab_slug,
        "status": [r.status for r in reports],
        "new_artifacts": sum(r.new_artifacts for r in reports),
        "detections": detections,
        "alerts": alerts,
    }


def dispatch_and_enqueue(app: Celery) -> dict[str, Any]:
    """Create the deliveries of pending outbox events and queue their sends.

    Returns:
        dict: ``{"events", "alerts", "deliveries"}`` (counts; ``deliveries`` = sends queued).
    """
    runtime = app.tracker  # type: ignore[attr-defined]
    summary = dispatch_pending(runtime.store, settings=runtime.settings, watchlist=runtime.watchlist)
    queued = enqueue_deliveries(app, summary.delivery_ids)
    return {"events": summary.events, "alerts": summary.alerts, "deliveries": queued}


def sweep(app: Celery) -> dict[str, Any]:
    """Dispatch pending events, then queue every due delivery (retries after backoff, stale claims).

    Returns:
        dict: ``dispatch_and_enqueue``'s counts plus ``"due"`` (deliveries re-queued).
    """
    runtime = app.tracker  # type: ignore[attr-defined]
    summary = dispatch_and_enqueue(app)
    due = list(list_due(runtime.store, settings=runtime.settings))
    summary["due"] = enqueue_deliveries(app, due)
    return summary


def deliver_and_requeue(app: Celery, delivery_id: int) -> dict[str, Any]:
    """Send one delivery; a transient failure due within ``MAX_DELIVER_COUNTDOWN_S`` is re-queued.

    Returns:
        dict: ``{"delivery_id", "status"}``, plus ``"retry_in_s"`` (seconds) when re-queued.
    """
    runtime = app.tracker  # type: ignore[attr-defined]
    outcome = deliver(runtime.store, delivery_id, settings=runtime.settings)
    result: dict[str, Any] = {"delivery_id": delivery_id, "status": outcome.status}
    if outcome.status == "pending" and outcome.next_attempt_at is not None:
        wait_s = max(0.0, (outcome.next_attempt_at - utcnow()).total_seconds())
        if wait_s <= MAX_DELIVER_COUNTDOWN_S:  # longer waits are left to the sweep (visibility timeout)
            app.send_task(DELIVER_TASK, args=[delivery_id], queue=DELIVER_QUEUE, countdown=wait_s)
            result["retry_in_s"] = round(wait_s, 3)
    return result


def prune_consumed_messages(settings: Settings, older_than_s: float) -> dict[str, Any]:
    """Delete consumed messages older than ``older_than_s`` seconds from the SQLAlchemy broker.

    kombu's SQLAlchemy transport only marks a fetched message invisible and never deletes it, so
    the broker file would grow forever. Unacknowledged messages are re-published as new rows on
    shutdown, so deleting invisible rows loses nothing. A no-op for other brokers.

    Returns:
        dict: ``{"deleted": n}``.
    """
    if not uses_sqla_broker(settings):
        return {"deleted": 0}
    url = settings.resolved_broker_url.split("+", 1)[1]
    messages = table("kombu_message", column("visible"), column("timestamp"))
    cutoff = datetime.now() - timedelta(seconds=older_than_s)  # kombu stores naive local time
    engine = create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
    try:
        with engine.begin() as conn:
            deleted = conn.execute(
                delete(messages).where(messages.c.visible == false(), messages.c.timestamp < cutoff)
            ).rowcount
    finally:
        engine.dispose()
    log.info("broker prune: deleted %d consumed messages", deleted)
    return {"deleted": deleted}


def digest_and_enqueue(app: Celery, period: str, at: str | None) -> dict[str, Any]:
    """Create the digest deliveries of the last ``period`` completed by ``at`` and queue their sends.

    Args:
        period (str): ``daily`` or ``weekly``.
        at (str, optional): ISO-8601 time (UTC with ``Z``); None means now.

    Returns:
        dict: ``{"period", "start" (ISO), "created", "existing", "queued", "skipped"}``.
    """
    runtime = app.tracker  # type: ignore[attr-defined]
    when = datetime.fromisoformat(at.replace("Z", "+00:00")) if at else None
    run = create_digest_deliveries(
        runtime.store, settings=runtime.settings, watchlist=runtime.watchlist, period_kind=period, at=when
    )
    queued = enqueue_deliveries(app, run.created + run.pending)
    return {
        "period": period,
        "start": run.period.start.isoformat(),
        "created": len(run.created),
        "existing": run.existing,
        "queued": queued,
        "skipped": run.skipped,
    }


def pulse_and_enqueue(app: Celery) -> dict[str, Any]:
    """Create the due pulse's deliveries (idempotent) and queue their sends.

    Returns:
        dict: ``{"pulse": None}`` when no pulse is due, else ``{"pulse" (ISO week), "created", "existing"}``.
    """
    runtime = app.tracker  # type: ignore[attr-defined]
    run = schedule_pulse(runtime.store, settings=runtime.settings, watchlist=runtime.watchlist)
    if run is None:
        return {"pulse": None}
    return {"pulse": run.week, "created": enqueue_deliveries(app, run.delivery_ids), "existing": len(run.existing)}


def cadence_check(app: Celery) -> dict[str, Any]:
    """Write quiet/burst alerts, catch up a missed pulse, and dispatch when alerts were written.

    Returns:
        dict: ``{"quiet", "burst"}`` plus ``pulse_and_enqueue``'s keys, and ``"dispatch"`` when dispatched.
    """
    runtime = app.tracker  # type: ignore[attr-defined]
    summary = run_check(runtime.store, settings=runtime.settings, now=utcnow())
    result = {"quiet": summary.quiet, "burst": summary.burst, **pulse_and_enqueue(app)}
    if summary.events:
        result["dispatch"] = dispatch_and_enqueue(app)
    return result
