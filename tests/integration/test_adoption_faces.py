"""``/stats/adoption``, ``/stats/derivatives``, ``/reports/YYYY-MM``, ``tracker adoption``,
``tracker report`` and the monthly report email (once per month per subscription)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from tests.factories import packaged
from tests.integration.test_cli import run_tracker
from tests.smtp_server import SmtpServer
from tracker.adoption.cycle import adoption_once
from tracker.api import create_app
from tracker.briefings.report.sending import due_month, send_reports
from tracker.config import Settings
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.watchlist import Subscription, Watchlist

STEPS = [datetime(2025, 3, 28, tzinfo=UTC), datetime(2025, 4, 28, tzinfo=UTC), datetime(2025, 5, 28, tzinfo=UTC)]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SQLite: qwen and meta polled at three month ends, each followed by an adoption cycle."""
    path = tmp_path_factory.mktemp("adoption-faces")
    with ReplayServer(now=STEPS[0]) as hub:
        settings = Settings(_env_file=None, data_dir=path, hf_endpoint=hub.hf_endpoint, sources="hf")
        settings.adoption.requests_per_cycle = 5000
        settings.adoption.window_days = 3650.0
        settings.adoption.rescan_s = 3600.0
        store = Store.open(settings)
        for step in STEPS:
            hub.set_now(step)
            poll_once(settings, store, packaged("qwen", "meta"), clock=hub.clock.now)
            adoption_once(settings, store, clock=hub.clock.now)
        store.dispose()
    return path


def test_api_stats_and_report(data_dir: Path) -> None:
    settings = Settings(_env_file=None, data_dir=data_dir)
    store = Store.open(settings)
    with TestClient(create_app(settings, store=store)) as client:
        adoption = client.get("/stats/adoption", params={"as_of": "2025-05-31", "months": 3}).json()
        assert adoption["months"] == ["2025-03", "2025-04", "2025-05"]
        assert set(adoption["series"]) == {"CN", "US"} and adoption["group"] == "country"
        assert sum(adoption["share_cumulative"].values()) == pytest.approx(1.0)
        assert adoption["basis"]["snapshots"] > 0 and adoption["source"]
        qwen3 = next(r for r in adoption["releases"] if r["title"] == "Qwen3")
        assert qwen3["adoption_count"] > 0 and qwen3["bucket"] == "100-250B"
        by_lab = client.get("/stats/adoption", params={"country": "US", "as_of": "2025-05-31"}).json()
        assert by_lab["group"] == "lab" and set(by_lab["series"]) == {"meta"}

        derivs = client.get("/stats/derivatives", params={"as_of": "2025-05-31", "months": 3}).json()
        assert derivs["counts_by_country"]["2025-05"]["CN"] > 0
        top = derivs["releases"][0]
        assert {"quantized", "finetune", "adapter", "merge", "growth_48h", "complete"} <= set(top)

        page = client.get("/reports/2025-05")
        assert page.status_code == 200 and "State of open weights: 2025-05" in page.text and "<svg" in page.text
        assert "source:" in page.text.lower()
        data = client.get("/reports/2025-05.json").json()
        assert data["month"] == "2025-05" and data["downloads"]["share_monthly"]
        csv = client.get("/reports/2025-05.csv")
        assert csv.headers["content-type"].startswith("text/csv") and csv.text.startswith("figure,group,month")
        assert client.get("/reports/2025-13").status_code == 422
        assert client.get("/reports/2025-05.exe").status_code == 422
    store.dispose()


def test_cli_adoption_and_report(data_dir: Path, tmp_path: Path) -> None:
    env = {"TRACKER_DATA_DIR": str(data_dir)}
    table = run_tracker(["adoption", "--as-of", "2025-05-31", "--months", "3"], env)
    assert table.returncode == 0, table.stderr
    assert "Downloads by country, 2025-05" in table.stdout and "Qwen3" in table.stdout
    as_json = run_tracker(["adoption", "--lab", "qwen", "--as-of", "2025-05-31", "--json"], env)
    assert json.loads(as_json.stdout)["adoption"]["group"] == "lab"
    out = run_tracker(["report", "--month", "2025-05", "--out", str(tmp_path)], env)
    assert out.returncode == 0, out.stderr
    assert {p.name for p in tmp_path.iterdir()} == {"report-2025-05.html", "report-2025-05.json", "report-2025-05.csv"}
    bad = run_tracker(["report", "--month", "May", "--out", str(tmp_path)], env)
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr


def test_monthly_email_once_per_month_per_subscription(data_dir: Path, tmp_path: Path) -> None:
    assert due_month(datetime(2025, 6, 1, tzinfo=UTC), 1) == "2025-05"
    assert due_month(datetime(2025, 1, 3, tzinfo=UTC), 2) == "2024-12"
    assert due_month(datetime(2025, 6, 1, tzinfo=UTC), 2) is None
    watchlist = Watchlist(
        labs=packaged("qwen", "meta").labs,
        subscriptions=(
            Subscription(channel="email:reader@example.org", digest="weekly"),
            Subscription(channel="email:alerts-only@example.org"),  # no digest: no report
        ),
        source="test",
    )
    with SmtpServer(tmp_path, mode="plain") as smtp:
        settings = Settings(
            _env_file=None,
            data_dir=data_dir,
            smtp_url=SecretStr(smtp.url()),
            email_from="tracker <report@tracker.example.org>",
            dashboard_url="https://tracker.example.org",
        )
        store = Store.open(settings)
        for day in (1, 2, 15):  # the daily task, all month long
            send_reports(
                store,
                settings=settings,
                watchlist=watchlist,
                month="2025-05",
                clock=lambda d=day: datetime(2025, 6, d, 9, tzinfo=UTC),
            )
        store.dispose()
        assert len(smtp.messages) == 1
        msg = smtp.messages[0].parsed()
        assert msg["To"] == "reader@example.org" and msg["Subject"] == "State of open weights: 2025-05"
        text = msg.get_body(preferencelist=("plain",)).get_content()
        assert "https://tracker.example.org/reports/2025-05" in text and "Hugging Face downloads" in text
