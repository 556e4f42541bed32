"""``GET /metrics`` (Prometheus), ``GET /healthz`` (DB and broker checks) and ``tracker status``.

Both backends; the Redis-shared poll counters use the xdist worker's own Redis database (``redis_url``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from tests.fakes import add_alert_event
from tracker.config import Settings
from tracker.domain import ScopeFailure
from tracker.pipeline import PollReport
from tracker.store import Store
from tracker.store.models import Delivery, SourceState

T0 = datetime(2025, 4, 29, 12, tzinfo=UTC)


def _seed(store: Store) -> None:
    with store.transaction() as session:
        event = add_alert_event(session, now=T0)
        session.add_all(
            [
                SourceState(source="hf", lab_slug="qwen", last_success_at=T0, consecutive_failures=0, cursor={}),
                SourceState(
                    source="arxiv",
                    lab_slug="qwen",
                    last_success_at=T0 - timedelta(hours=2),
                    last_error_at=T0,
                    last_error="arXiv answered 503",
                    consecutive_failures=4,
                    cursor={},
                ),
            ]
        )
        for n, (status, latency_s) in enumerate([("sent", 1.5), ("sent", 40.0), ("pending", None), ("failed", None)]):
            session.add(
                Delivery(
                    idempotency_key=f"test:{n}",
                    kind="alert",
                    event_id=event.id,
                    channel=f"webhook:http://x/{n}",
                    status=status,
                    attempts=1,
                    next_attempt_at=T0,
                    created_at=T0,
                    sent_at=T0 + timedelta(seconds=latency_s) if latency_s is not None else None,
                    external_ref={},
                    payload={},
                )
            )


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _report(source: str, status: str, *, requests: int, failures: int = 0) -> PollReport:
    report = PollReport(source=source, lab="qwen", requests=requests)
    report.failures = [ScopeFailure(scope=f"s{i}", error="HTTP 503") for i in range(failures)]
    if status == "failed":
        report.error = "every scope failed"
    return report


def test_metrics_exposes_polls_requests_deliveries_and_latency(
    store: Store, backend_settings: Settings, redis_url: str
) -> None:
    from tracker.api import create_app
    from tracker.ops.metrics import record_poll

    _seed(store)
    settings = backend_settings.model_copy(update={"broker_url": redis_url})
    ok, bad = _report("hf", "ok", requests=5), _report("arxiv", "failed", requests=2, failures=1)
    assert (ok.status, bad.status) == ("ok", "failed")
    for report in (ok, ok, bad):  # recorded by "workers": Redis-shared, read by the API process
        record_poll(settings, report)
    with TestClient(create_app(settings, store=store)) as client:
        resp = client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    got = _samples(resp.text)
    assert got[("tracker_polls_total", (("source", "hf"), ("status", "ok")))] == 2
    assert got[("tracker_polls_total", (("source", "arxiv"), ("status", "failed")))] == 1
    assert got[("tracker_http_requests_total", (("source", "hf"),))] == 10
    assert got[("tracker_http_requests_total", (("source", "arxiv"),))] == 2
    assert got[("tracker_http_errors_total", (("source", "arxiv"),))] == 2  # one scope + the unit
    assert got[("tracker_events", (("type", "release_detected"),))] == 1
    assert got[("tracker_deliveries", (("state", "sent"),))] == 2
    assert got[("tracker_deliveries", (("state", "pending"),))] == 1
    assert got[("tracker_deliveries", (("state", "failed"),))] == 1
    assert got[("tracker_deliveries", (("state", "unknown"),))] == 0
    assert got[("tracker_delivery_latency_seconds_count", ())] == 2
    assert got[("tracker_delivery_latency_seconds_sum", ())] == pytest.approx(41.5)
    assert got[("tracker_delivery_latency_seconds_bucket", (("le", "2.0"),))] == 1
    assert got[("tracker_delivery_latency_seconds_bucket", (("le", "60.0"),))] == 2
    assert got[("tracker_source_consecutive_failures", (("lab", "qwen"), ("source", "arxiv")))] == 4


def test_metrics_without_redis_count_in_process(tmp_path: Path) -> None:
    from tracker.ops.metrics import read_counters, record_poll

    settings = Settings(_env_file=None, data_dir=tmp_path)
    before = read_counters(settings).get("polls|hf|ok", 0)
    record_poll(settings, _report("hf", "ok", requests=3))
    assert read_counters(settings)["polls|hf|ok"] == before + 1


def test_healthz_reports_database_and_broker(store: Store, backend_settings: Settings, redis_url: str) -> None:
    from tracker.api import create_app

    up = backend_settings.model_copy(update={"broker_url": redis_url})
    with TestClient(create_app(up, store=store)) as client:
        body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["broker"] == {"ok": True, "kind": "redis"}

    down = backend_settings.model_copy(update={"broker_url": "redis://127.0.0.1:1/0"})  # nothing listens
    with TestClient(create_app(down, store=store)) as client:
        resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["ok"] is False and body["checks"]["broker"]["error"]

    embedded = backend_settings.model_copy(update={"broker_url": None})
    with TestClient(create_app(embedded, store=store)) as client:
        assert client.get("/healthz").json()["checks"]["broker"] == {"ok": True, "kind": "sqlalchemy"}


def test_status_lists_units_and_deliveries_and_fails_on_repeated_failures(
    store: Store, backend_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.cli.app import app

    _seed(store)
    monkeypatch.setenv("TRACKER_DATA_DIR", str(backend_settings.data_dir))
    monkeypatch.setenv("TRACKER_DATABASE_URL", backend_settings.resolved_database_url)
    runner = CliRunner()
    result = runner.invoke(app, ["status"], env={"COLUMNS": "250"})
    assert result.exit_code == 1, result.output  # arxiv/qwen failed 4 times in a row (>= 3)
    assert "arXiv answered 503" in result.output
    assert "arxiv/qwen" in result.output and "hf/qwen" not in result.output.split("in a row:")[-1]
    assert "2025-04-29 12:00:00" in result.output
    lines = result.output.splitlines()
    header = next(i for i, line in enumerate(lines) if "pending" in line and "unknown" in line)
    cells = lambda line: [c.strip() for c in line.strip().strip("│┃").split("│" if "│" in line else "┃")]  # noqa: E731
    assert cells(lines[header]) == ["pending", "sending", "sent", "failed", "unknown"]
    assert cells(lines[header + 2]) == ["1", "0", "2", "1", "0"]

    relaxed = runner.invoke(app, ["status", "--max-failures", "5"], env={"COLUMNS": "250"})
    assert relaxed.exit_code == 0, relaxed.output
