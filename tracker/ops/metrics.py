"""Operational metrics: poll counters shared by every worker, and a Prometheus collector.

Polls run in worker processes while ``GET /metrics`` is served by the API process, so the poll
counters cannot live in one process's memory. ``record_poll`` adds each poll's outcome to a Redis
hash (``tracker:metrics``, ``HINCRBY``) when the broker is Redis; with the embedded broker (one
host, usually ``tracker run``) they are kept in this process only. Everything else is read from
the database at scrape time: deliveries by state, detections (outbox events by type), and the
delivery latency (``created_at`` -> ``sent_at`` of the most recent sent deliveries).

Metric names (Prometheus text format, ``prometheus_client``):

- ``tracker_polls_total{source,status}``: poll units run (``ok``, ``partial``, ``failed``).
- ``tracker_http_requests_total{source}``: HTTP requests made by polls.
- ``tracker_http_errors_total{source}``: failed scopes or failed units reported by polls.
- ``tracker_poll_detections_total{source}``: alert-worthy detections found by polls.
- ``tracker_events{type}``: outbox events stored, by type (a gauge read from the database).
- ``tracker_deliveries{state}``: deliveries by state (gauge read from the database).
- ``tracker_delivery_latency_seconds``: histogram of created -> sent over the last
  ``LATENCY_SAMPLE`` sent deliveries (recomputed at each scrape).
- ``tracker_source_consecutive_failures{source,lab}``: from ``source_states``.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.config import Settings
from tracker.ops.locks import redis_client, uses_redis

log = logging.getLogger(__name__)

REDIS_KEY = "tracker:metrics"
LATENCY_SAMPLE = 1000
LATENCY_BUCKETS_S: tuple[float, ...] = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600)
DELIVERY_STATES: tuple[str, ...] = ("pending", "sending", "sent", "failed", "unknown")

_local = Counter[str]()
_local_lock = threading.Lock()


def _fields(report: Any) -> dict[str, int]:
    """Counter increments of one ``PollReport`` (fields ``kind|source[|status]``)."""
    errors = len(report.failures) + (1 if report.error else 0)
    return {
        f"polls|{report.source}|{report.status}": 1,
        f"requests|{report.source}": int(report.requests),
        f"errors|{report.source}": errors,
        f"detections|{report.source}": len(report.detections),
    }


def record_poll(settings: Settings, report: Any) -> None:
    """Count one poll's outcome (never raises: metrics must not fail a poll).

    Args:
        settings (Settings): the broker URL picks Redis (shared) or this process's memory.
        report (tracker.pipeline.PollReport): ``source``, ``status``, ``requests``, ``failures``,
            ``error``, ``detections``.
    """
    increments = {k: v for k, v in _fields(report).items() if v}
    if uses_redis(settings):
        import redis

        try:
            pipe = redis_client(settings.resolved_broker_url).pipeline(transaction=False)
            for name, amount in increments.items():
                pipe.hincrby(REDIS_KEY, name, amount)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("poll metrics of %s/%s not recorded in Redis: %s", report.source, report.lab, exc)
        return
    with _local_lock:
        _local.update(increments)


def read_counters(settings: Settings) -> dict[str, int]:
    """Return the poll counters (``kind|source[|status]`` -> count); empty when Redis is down."""
    if uses_redis(settings):
        import redis

        try:
            raw = redis_client(settings.resolved_broker_url).hgetall(REDIS_KEY)
        except redis.RedisError as exc:
            log.warning("poll metrics unavailable: Redis unreachable: %s", exc)
            return {}
        return {k.decode(): int(v) for k, v in raw.items()}
    with _local_lock:
        return dict(_local)


def delivery_counts(session: Session) -> dict[str, int]:
    """Deliveries by state (every known state present, 0 when none), from ``deliveries.status``."""
    from tracker.store.models import Delivery

    counts = dict.fromkeys(DELIVERY_STATES, 0)
    for state, n in session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)):
        counts[state] = int(n)
    return counts


def delivery_latencies(session: Session, *, limit: int = LATENCY_SAMPLE) -> list[float]:
    """Seconds from ``created_at`` to ``sent_at`` of the ``limit`` most recently sent deliveries."""
    from tracker.store.models import Delivery

    rows = session.execute(
        select(Delivery.created_at, Delivery.sent_at).where(Delivery.status == "sent", Delivery.sent_at.is_not(None))
        .order_by(Delivery.sent_at.desc()).limit(limit))
    return [max(0.0, (sent - created).total_seconds()) for created, sent in rows]


class TrackerCollector:
    """A ``prometheus_client`` collector reading the counters and the database at each scrape.

    Args:
        settings (Settings): where the poll counters live.
        session (Session): an open session (the scrape's request session).
    """

    def __init__(self, settings: Settings, session: Session):
        self.settings = settings
        self.session = session

    def describe(self) -> Iterable[Any]:
        """No up-front description (the registry then skips collecting at registration)."""
        return []

    def collect(self) -> Iterator[Any]:
        """Yield every metric family (see the module docstring)."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

        from tracker.store.models import Event, SourceState

        polls = CounterMetricFamily("tracker_polls", "Poll units run, by source and status",
                                    labels=["source", "status"])
        requests = CounterMetricFamily("tracker_http_requests", "HTTP requests made by polls", labels=["source"])
        errors = CounterMetricFamily("tracker_http_errors", "Failed scopes or units reported by polls",
                                     labels=["source"])
        detections = CounterMetricFamily("tracker_poll_detections", "Alert-worthy detections found by polls",
                                         labels=["source"])
        families = {"requests": requests, "errors": errors, "detections": detections}
        for name, value in sorted(read_counters(self.settings).items()):
            kind, *labels = name.split("|")
            if kind == "polls" and len(labels) == 2:
                polls.add_metric(labels, value)
            elif kind in families and len(labels) == 1:
                families[kind].add_metric(labels, value)
        yield from (polls, requests, errors, detections)

        events = GaugeMetricFamily("tracker_events", "Outbox events stored, by type", labels=["type"])
        for kind, n in self.session.execute(select(Event.type, func.count()).group_by(Event.type)):
            events.add_metric([kind], int(n))
        yield events

        deliveries = GaugeMetricFamily("tracker_deliveries", "Deliveries by state", labels=["state"])
        for state, n in delivery_counts(self.session).items():
            deliveries.add_metric([state], n)
        yield deliveries

        latencies = delivery_latencies(self.session)
        buckets = [(str(float(b)), sum(1 for x in latencies if x <= b)) for b in LATENCY_BUCKETS_S]
        buckets.append(("+Inf", len(latencies)))
        histogram = HistogramMetricFamily(
            "tracker_delivery_latency_seconds",
            f"Seconds from delivery creation to sent, over the last {LATENCY_SAMPLE} sent deliveries")
        histogram.add_metric([], buckets, sum_value=sum(latencies))
        yield histogram

        failures = GaugeMetricFamily("tracker_source_consecutive_failures",
                                     "Consecutive failed polls of each (source, lab) unit", labels=["source", "lab"])
        for state in self.session.scalars(select(SourceState)):
            failures.add_metric([state.source, state.lab_slug], state.consecutive_failures or 0)
        yield failures
