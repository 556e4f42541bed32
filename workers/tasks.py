"""Thin Celery tasks: explicit stable names, slugs as arguments, one tracker call each.

Tasks get their collaborators from the app's per-process ``Runtime`` (``self.app.tracker``, see
``workers.app``). They are idempotent (polls diff against stored state; alerts are marked
notified in the same transaction that reads them), so late acknowledgement is safe.

Time limits (seconds, enforced by the prefork pool only): a poll gets 240 soft / 300 hard, the
alert and prune sweeps 120 / 180.

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
from workers.schedule import ALERTS_TASK, POLL_TASK, PRUNE_TASK, uses_sqla_broker

log = logging.getLogger(__name__)

POLL_SOFT_TIME_LIMIT_S = 240
POLL_TIME_LIMIT_S = 300
DELIVER_SOFT_TIME_LIMIT_S = 120
DELIVER_TIME_LIMIT_S = 180
MAX_RETRIES = 3
BACKOFF_BASE_S = 10.0
BACKOFF_MAX_S = 300.0
PRUNE_AFTER_S = 3600.0


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


def _send_alerts(runtime: Any) -> dict[str, Any]:
    from tracker.alerts import send_pending_alerts

    summary = send_pending_alerts(runtime.store, runtime.routes)
    for error in summary.errors:
        log.warning("alert not delivered: %s", error)
    return {"messages": len(summary.messages), "sent": summary.sent, "errors": len(summary.errors)}


@shared_task(name=POLL_TASK, bind=True, ignore_result=True, acks_late=True,
             soft_time_limit=POLL_SOFT_TIME_LIMIT_S, time_limit=POLL_TIME_LIMIT_S)
def poll_source(self: Task, source: str, lab_slug: str) -> dict[str, Any]:
    """Poll one source for one lab, store what is new, then send pending alerts."""
    from tracker.pipeline import poll_once

    runtime = self.app.tracker
    try:
        reports = poll_once(runtime.settings, runtime.store, runtime.watchlist,
                            sources=[source], labs=[lab_slug])
    except TrackerError as exc:
        _retry_or_raise(self, exc)
        raise  # unreachable: _retry_or_raise always raises
    for report in reports:
        (log.warning if report.status != "ok" else log.info)("%s", summarize_report(report))
    detections = sum(len(r.detections) for r in reports)
    alerts: dict[str, Any] | None = None
    if detections:
        try:
            alerts = _send_alerts(runtime)
        except Exception:  # the poll is committed; the alert sweep sends what is still pending
            log.exception("sending alerts after %s/%s failed; the next sweep retries", source, lab_slug)
    return {
        "source": source,
        "lab": lab_slug,
        "status": [r.status for r in reports],
        "new_artifacts": sum(r.new_artifacts for r in reports),
        "detections": detections,
        "alerts": alerts,
    }


@shared_task(name=ALERTS_TASK, bind=True, ignore_result=True, acks_late=True,
             soft_time_limit=DELIVER_SOFT_TIME_LIMIT_S, time_limit=DELIVER_TIME_LIMIT_S)
def send_alerts(self: Task) -> dict[str, Any]:
    """Send every pending alert to the configured channels (the safety sweep)."""
    try:
        return _send_alerts(self.app.tracker)
    except TrackerError as exc:
        _retry_or_raise(self, exc)
        raise


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
