"""The monthly report by email: once per month per digest subscription.

``create_report_deliveries`` creates one ``Delivery`` (kind ``report``) per email subscription
that has a digest period (daily or weekly: the readers who asked for summaries), keyed
``report:<subscription id>:<YYYY-MM>``, so a task run every day of the month, retried or
duplicated, sends each subscription one report per month. The headlines, the link to
``/reports/YYYY-MM`` and the downloads chart (PNG) are frozen into the payload when the delivery is
created; ``tracker.notify.email`` renders them at send time.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker.briefings.digest.sending import unsubscribe_url
from tracker.briefings.report.build import build_report, headlines, month_bounds
from tracker.briefings.report.render import downloads_chart
from tracker.config import Settings
from tracker.domain import as_utc, utcnow
from tracker.outbox.deliver import DeliveryOutcome, deliver_one
from tracker.outbox.fanout import Audience
from tracker.store.models import Subscription

__all__ = ["ReportRun", "create_report_deliveries", "due_month", "report_key", "send_reports"]

log = logging.getLogger(__name__)


def report_key(subscription_id: int, month: str) -> str:
    """The delivery idempotency key ``report:<subscription id>:<YYYY-MM>``."""
    return f"report:{subscription_id}:{month}"


def due_month(now: datetime, report_day: int) -> str | None:
    """The month whose report is due at ``now`` (UTC): the previous month from ``report_day`` on."""
    now = as_utc(now)
    if now.day < report_day:
        return None
    y, m = (now.year - 1, 12) if now.month == 1 else (now.year, now.month - 1)
    return f"{y:04d}-{m:02d}"


@dataclass(slots=True)
class ReportRun:
    """What ``create_report_deliveries`` did: the month, deliveries created/pending, channels skipped."""

    month: str
    created: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)
    existing: int = 0
    skipped: dict[str, str] = field(default_factory=dict)


def _email_digest(sub: Subscription) -> str | None:
    return None if sub.channel.startswith("email:") else "the monthly report is sent by email only"


def create_report_deliveries(
    store: Any, *, settings: Settings, watchlist: Any, month: str, clock: Callable[[], datetime] = utcnow
) -> ReportRun:
    """Create one keyed ``report`` delivery per email digest subscription for ``month``.

    Safe to run any number of times: the key exists once per subscription and month. The report
    is built once per run, only when a delivery is missing. One transaction.
    """
    now = clock()
    run = ReportRun(month)
    base = (settings.api.dashboard_url or "").rstrip("/")
    with store.transaction() as session:
        audience = Audience(
            session,
            settings=settings,
            subscriptions=watchlist.subscriptions,
            now=now,
            wants=lambda sub: bool(sub.digest),
            refuse=_email_digest,
            what="monthly report",
            skipped=run.skipped,
        )
        built: dict[str, Any] = {}

        def payload(sub: Subscription) -> dict[str, Any]:
            if not built:
                report = build_report(session, month, now=max(as_utc(now), month_bounds(month)[1]))
                built["summary"] = {
                    "title": f"State of open weights: {month}",
                    "headlines": headlines(report),
                    "url": f"{base}/reports/{month}" if base else None,
                }
                png = downloads_chart(report, cumulative=False, fmt="png")
                built["chart"] = base64.b64encode(png).decode("ascii")  # type: ignore[arg-type]
            return {
                "report": built["summary"],
                "unsubscribe_url": unsubscribe_url(
                    settings, subscription_id=sub.id, email=sub.channel.partition(":")[2]
                ),
                "chart_png_b64": built["chart"],
            }

        fanned = audience.fan_out(kind="report", key=lambda sub: report_key(sub.id, month), payload=payload)
        run.created, run.existing, run.pending = list(fanned.created.values()), len(fanned.existing), fanned.pending
    log.info("monthly report %s: %d created, %d already existed", month, len(run.created), run.existing)
    return run


def send_reports(
    store: Any,
    *,
    settings: Settings,
    watchlist: Any,
    month: str,
    clock: Callable[[], datetime] = utcnow,
    notifier_for: Callable[[str], Any] | None = None,
) -> tuple[ReportRun, list[DeliveryOutcome]]:
    """Create the month's report deliveries and send them now (``tracker report --send``, the task)."""
    run = create_report_deliveries(store, settings=settings, watchlist=watchlist, month=month, clock=clock)
    outcomes = [
        deliver_one(store, i, settings=settings, notifier_for=notifier_for, clock=clock)
        for i in run.created + run.pending
    ]
    return run, outcomes
