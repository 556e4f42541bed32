"""Beat runs the adoption step and the monthly report on the digest queue, never the poll queue."""

from __future__ import annotations

from datetime import timedelta

from tracker.config import Settings
from tracker.watchlist import load_watchlist
from workers.schedule import ADOPTION_TASK, DIGEST_QUEUE, POLL_QUEUE, REPORT_TASK, build_schedule


def test_adoption_entries_run_on_the_digest_queue() -> None:
    schedule = build_schedule(Settings(_env_file=None, adoption_interval=1800), load_watchlist())
    cycle, report = schedule["adoption:cycle"], schedule["report:monthly"]
    assert cycle["task"] == ADOPTION_TASK and cycle["schedule"] == timedelta(seconds=1800)
    assert report["task"] == REPORT_TASK
    assert cycle["options"]["queue"] == report["options"]["queue"] == DIGEST_QUEUE != POLL_QUEUE
    off = build_schedule(Settings(_env_file=None, adoption_enabled=False), load_watchlist())
    assert "adoption:cycle" not in off and "report:monthly" not in off
