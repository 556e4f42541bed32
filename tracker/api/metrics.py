"""``GET /metrics``: Prometheus text exposition of tracker's metrics.

Polls run in worker processes while ``GET /metrics`` is served by the API process: the poll
counters come from ``tracker.ops.metrics`` (a Redis hash shared by every worker, or this
process's memory with the embedded broker). Everything else is read from the database at scrape
time: deliveries by state, detections (outbox events by type), and the delivery latency
(``created_at`` -> ``sent_at`` of the most recent sent deliveries).

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

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.api.deps import SessionDep, SettingsDep
from tracker.config import Settings
from tracker.ops.metrics import read_counters
from tracker.outbox.deliveries import LATENCY_SAMPLE, delivery_counts, delivery_latencies
from tracker.store.models import Event, SourceState

LATENCY_BUCKETS_S: tuple[float, ...] = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600)

router = APIRouter(tags=["health"])


@router.get("/metrics")
def metrics(session: SessionDep, settings: SettingsDep) -> Response:
    """Poll counters (shared through Redis), deliveries by state, detections and delivery latency.

    Built per scrape from a fresh ``CollectorRegistry`` so database gauges are read now.
    """
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest  # ~120 ms: not at start-up

    registry = CollectorRegistry(auto_describe=False)
    registry.register(TrackerCollector(settings, session))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


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
        # prometheus_client (~120 ms): loaded on the first scrape, not at API start-up.
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

        polls = CounterMetricFamily(
            "tracker_polls", "Poll units run, by source and status", labels=["source", "status"]
        )
        requests = CounterMetricFamily("tracker_http_requests", "HTTP requests made by polls", labels=["source"])
        errors = CounterMetricFamily(
            "tracker_http_errors", "Failed scopes or units reported by polls", labels=["source"]
        )
        detections = CounterMetricFamily(
            "tracker_poll_detections", "Alert-worthy detections found by polls", labels=["source"]
        )
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
            f"Seconds from delivery creation to sent, over the last {LATENCY_SAMPLE} sent deliveries",
        )
        histogram.add_metric([], buckets, sum_value=sum(latencies))
        yield histogram

        failures = GaugeMetricFamily(
            "tracker_source_consecutive_failures",
            "Consecutive failed polls of each (source, lab) unit",
            labels=["source", "lab"],
        )
        for state in self.session.scalars(select(SourceState)):
            failures.add_metric([state.source, state.lab_slug], state.consecutive_failures or 0)
        yield failures
