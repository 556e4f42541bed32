"""Thin Celery tasks: explicit stable names, slugs as arguments, one tracker call each.

Tasks get their collaborators from the app's per-process ``Runtime`` (``self.app.tracker``, see
``workers.app``). They are idempotent, so late acknowledgement (and a redelivered message) is
safe: polls diff against stored state and hold a per-unit lock (``tracker.ops.locks``); the
dispatcher creates deliveries by unique key; ``tracker.deliver.one`` sends only after winning
the delivery's compare-and-set claim.

Flow: ``tracker.poll.source`` commits its events, then queues ``tracker.outbox.dispatch``, which
creates the deliveries and queues one ``tracker.deliver.one(delivery_id)`` each. A transient
send failure re-queues the delivery with the backoff's countdown (at most
``MAX_DELIVER_COUNTDOWN_S``; longer waits are picked up by ``tracker.outbox.sweep``).

Time limits (seconds, enforced by the prefork pool only): a poll gets 240 soft / 300 hard,
dispatch, sweep, delivery and prune 120 / 180.

Retries: only a transient ``TrackerError`` (``permanent`` False) is retried, at most
``MAX_RETRIES`` times, after ``retry_after`` or an exponential backoff (10 s, 20 s, 40 s, capped at
300 s). A ``ConfigError`` or any other permanent error fails the task at once; the beat schedule
runs the unit again at its next interval anyway.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import Task, shared_task

from tracker.errors import TrackerError
from workers.schedule import (
    DELIVER_QUEUE,
    DELIVER_TASK,
    CADENCE_TASK,
    DIGEST_TASK,
    DISPATCH_TASK,
    POLL_TASK,
    PRUNE_TASK,
    PULSE_TASK,
    SWEEP_TASK,
    uses_sqla_broker,
)

log = logging.getLogger(__name__)

POLL_SOFT_TIME_LIMIT_S = 240
POLL_TIME_LIMIT_S = 300
DELIVER_SOFT_TIME_LIMIT_S = 120
DELIVER_TIME_LIMIT_S = 180
MAX_RETRIES = 3
BACKOFF_BASE_S = 10.0
BACKOFF_MAX_S = 300.0
PRUNE_AFTER_S = 3600.0
MAX_DELIVER_COUNTDOWN_S = 300.0  # below the Redis visibility timeout; longer retries wait for the sweep


def retry_countdown(exc: TrackerError, retries: int) -> float:
    """Return seconds to wait before retry number ``retries + 1``: the error's hint or a backoff."""
    if exc.retry_after is not None:
        return min(float(exc.retry_after), BACKOFF_MAX_S)
    return min(BACKOFF_BASE_S * 2**retries, BACKOFF_MAX_S)


def _retry_or_raise(task: Task, exc: TrackerError) -> None:
    """Retry ``task`` for a transient error (bounded), re-raise a permanent one."""
    if exc.permanent or task.request.retries >= MAX_RETRIES:
        log.error("%s failed (%s): %s", task.name, "permanent" if exc.permanent else "gave up", exc)
        raise exc
    countdown = retry_countdown(exc, task.request.retries)
    log.warning("%s failed, retry %d/%d in %.0f s: %s", task.name, task.request.retries + 1,
                MAX_RETRIES, countdown, exc)
    raise task.retry(exc=exc, countdown=countdown, max_retries=MAX_RETRIES)


def summarize_report(report: Any) -> str:
    """Return a one-line log summary of a ``PollReport``."""
    line = (f"poll {report.source}/{report.lab}: {report.status}, {report.requests} requests "
            f"({report.not_modified} not modified), {report.new_artifacts} new artifacts "
            f"({report.new_releases} releases, {report.variants} variants), "
            f"{len(report.detections)} detections")
    if report.baseline:
        line += ", baseline recorded"
    problems = report.error or "; ".join(f"{f.scope}: {f.error}" for f in report.failures)
    return f"{line}; {problems}" if problems else line


def _enqueue_deliveries(app: Any, delivery_ids: list[int]) -> int:
    """Queue one ``tracker.deliver.one`` per delivery id; return how many were queued."""
    for delivery_id in delivery_ids:
        app.send_task(DELIVER_TASK, args=[delivery_id], queue=DELIVER_QUEUE)
    return len(delivery_ids)


def _dispatch(app: Any) -> dict[str, Any]:
    from tracker.outbox.dispatch import dispatch_pending

    runtime = app.tracker
    summary = dispatch_pending(runtime.store, settings=runtime.settings, watchlist=runtime.watchlist)
    queued = _enqueue_deliveries(app, summary.delivery_ids)
    return {"events": summary.events, "alerts": summary.alerts, "deliveries": queued}


@shared_task(name=POLL_TASK, bind=True, ignore_result=True, acks_late=True,
             soft_time_limit=POLL_SOFT_TIME_LIMIT_S, time_limit=POLL_TIME_LIMIT_S)
def poll_source(self: Task, source: str, lab_slug: str) -> dict[str, Any]:
    """Poll one source for one lab (one at a time per unit), store what is new, then nudge the dispatcher."""
    from tracker.pipeline import poll_once

    runtime = self.app.tracker
    try:  # under the unit's poll lock (tracker.ops.locks): overlapping polls of one unit are skipped
        reports = poll_once(runtime.settings, runtime.store, runtime.watchlist, sources=[source], labs=[lab_slug])
    except TrackerError as exc:
        _retry_or_raise(self, exc)
        raise  # unreachable: _retry_or_raise always raises
    if reports and all(r.skipped for r in reports):
        log.info("poll %s/%s skipped: %s", source, lab_slug, reports[0].skipped)
        return {"source": source, "lab": lab_slug, "skipped": "locked"}
    from tracker.ops.metrics import record_poll

    for report in reports:
        (log.warning if report.status != "ok" else log.info)("%s", summarize_report(report))
        record_poll(runtime.settings, report)  # GET /metrics counters (Redis-shared)
    detections = sum(len(r.detections) for r in reports)
    alerts: dict[str, Any] | None = None
    if detections:
        # The poll has committed its events: nudge the dispatcher now (the sweep catches a lost nudge).
        try:
            self.app.send_task(DISPATCH_TASK, queue=DELIVER_QUEUE)
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


@shared_task(name=DISPATCH_TASK, bind=True, ignore_result=True, acks_late=True,
             soft_time_limit=DELIVER_SOFT_TIME_LIMIT_S, time_limit=DELIVER_TIME_LIMIT_S)
def dispatch_outbox(self: Task) -> dict[str, Any]:
    """Turn pending outbox events into deliveries and queue one send task per delivery."""
    try:
        return _dispatch(self.app)
    except TrackerError as exc:
        _retry_or_raise(self, exc)
        raise


@shared_task(name=SWEEP_TASK, bind=True, ignore_result=True, acks_late=True,
             soft_time_limit=DELIVER_SOFT_TIME_LIMIT_S, time_limit=DELIVER_TIME_LIMIT_S)
def sweep_outbox(self: Task) -> dict[str, Any]:
    """Dispatch what the post-poll nudge missed and re-queue due deliveries (retries, stale claims)."""
    from tracker.outbox.deliver import list_due

    runtime = self.app.tracker
    try:
        summary = _dispatch(self.app)
        due = [i for i in list_due(runtime.store, settings=runtime.settings)]
    except TrackerError as exc:
        _retry_or_raise(self, exc)
        raise
    summary["due"] = _enqueue_deliveries(self.app, due)
    return summary


@shared_task(name=DELIVER_TASK, bind=True, ignore_result=True, acks_late=True,
             soft_time_limit=DELIVER_SOFT_TIME_LIMIT_S, time_limit=DELIVER_TIME_LIMIT_S)
def deliver_one(self: Task, delivery_id: int) -> dict[str, Any]:
    """Send one delivery (idempotent: the database claim lets one run send it), schedule its retry."""
    from tracker.outbox.deliver import deliver_one as deliver

    runtime = self.app.tracker
    outcome = deliver(runtime.store, delivery_id, settings=runtime.settings)
    result: dict[str, Any] = {"delivery_id": delivery_id, "status": outcome.status}
    if outcome.status == "pending" and outcome.next_attempt_at is not None:
        from tracker.domain import utcnow

        wait_s = max(0.0, (outcome.next_attempt_at - utcnow()).total_seconds())
        if wait_s <= MAX_DELIVER_COUNTDOWN_S:  # longer waits are left to the sweep (visibility timeout)
            self.app.send_task(DELIVER_TASK, args=[delivery_id], queue=DELIVER_QUEUE, countdown=wait_s)
            result["retry_in_s"] = round(wait_s, 3)
    return result


@shared_task(name=PRUNE_TASK, bind=True, ignore_result=True, acks_late=True,
             soft_time_limit=DELIVER_SOFT_TIME_LIMIT_S, time_limit=DELIVER_TIME_LIMIT_S)
def prune_broker(self: Task, older_than_s: float = PRUNE_AFTER_S) -> dict[str, Any]:
    """Delete consumed messages older than ``older_than_s`` seconds from the SQLAlchemy broker.

    kombu's SQLAlchemy transport only marks a fetched message invisible and never deletes it, so
    the broker file would grow forever. Unacknowledged messages are re-published as new rows on
    shutdown, so deleting invisible rows loses nothing. A no-op for other brokers.
    """
    from sqlalchemy import column, create_engine, delete, false, table

    settings = self.app.tracker.settings
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


@shared_task(name=DIGEST_TASK, bind=True, ignore_result=True, acks_late=True,
             soft_time_limit=DELIVER_SOFT_TIME_LIMIT_S, time_limit=DELIVER_TIME_LIMIT_S)
def send_digest(self: Task, period: str, at: str | None = None) -> dict[str, Any]:
    """Create the last completed period's digest deliveries (once per subscription) and queue their sends."""
    from tracker.briefings.digest import create_digest_deliveries

    runtime = self.app.tracker
    when = datetime.fromisoformat(at.replace("Z", "+00:00")) if at else None
    try:
        run = create_digest_deliveries(runtime.store, settings=runtime.settings, watchlist=runtime.watchlist,
                                       period_kind=period, at=when)
    except TrackerError as exc:
        _retry_or_raise(self, exc)
        raise
    queued = _enqueue_deliveries(self.app, run.created + run.pending)
    return {"period": period, "start": run.period.start.isoformat(), "created": len(run.created),
            "existing": run.existing, "queued": queued, "skipped": run.skipped}


def _pulse(app: Any) -> dict[str, Any]:
    """Issue 9: create the due pulse's deliveries (idempotent) and queue their sends."""
    from tracker.briefings.pulse import schedule_pulse

    runtime = app.tracker
    run = schedule_pulse(runtime.store, settings=runtime.settings, watchlist=runtime.watchlist)
    if run is None:
        return {"pulse": None}
    return {"pulse": run.week, "created": _enqueue_deliveries(app, run.delivery_ids), "existing": len(run.existing)}


@shared_task(name=PULSE_TASK, bind=True, ignore_result=True, acks_late=True,
             soft_time_limit=DELIVER_SOFT_TIME_LIMIT_S, time_limit=DELIVER_TIME_LIMIT_S)
def send_pulse(self: Task) -> dict[str, Any]:
    """Create the weekly pulse deliveries (once per channel and ISO week) and queue their sends."""
    try:
        return _pulse(self.app)
    except TrackerError as exc:
        _retry_or_raise(self, exc)
        raise


@shared_task(name=CADENCE_TASK, bind=True, ignore_result=True, acks_late=True,
             soft_time_limit=DELIVER_SOFT_TIME_LIMIT_S, time_limit=DELIVER_TIME_LIMIT_S)
def check_cadence(self: Task) -> dict[str, Any]:
    """Write quiet/burst alerts (each once), catch up a missed pulse, then dispatch and queue sends."""
    from tracker.briefings.cadence_alerts import run_check
    from tracker.domain import utcnow

    runtime = self.app.tracker
    try:
        summary = run_check(runtime.store, settings=runtime.settings, now=utcnow())
        result = {"quiet": summary.quiet, "burst": summary.burst, **_pulse(self.app)}
        if summary.events:
            result["dispatch"] = _dispatch(self.app)
    except TrackerError as exc:
        _retry_or_raise(self, exc)
        raise
    return result
