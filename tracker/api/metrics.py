"""``GET /metrics``: Prometheus text exposition of tracker's metrics (see ``tracker.ops.metrics``)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from tracker.api.deps import SessionDep, SettingsDep

router = APIRouter(tags=["health"])


@router.get("/metrics")
def metrics(session: SessionDep, settings: SettingsDep) -> Response:
    """Poll counters (shared through Redis), deliveries by state, detections and delivery latency.

    Built per scrape from a fresh ``CollectorRegistry`` so database gauges are read now.
    """
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    from tracker.ops.metrics import TrackerCollector

    registry = CollectorRegistry(auto_describe=False)
    registry.register(TrackerCollector(settings, session))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
