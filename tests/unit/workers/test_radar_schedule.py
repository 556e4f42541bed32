"""Beat runs the radar on the digest queue at its own interval, never on the poll queue."""

from __future__ import annotations

from datetime import timedelta

from tracker.config import Settings
from tracker.watchlist import load_watchlist
from workers.schedule import DIGEST_QUEUE, POLL_QUEUE, RADAR_TASK, build_schedule


def test_radar_entry_runs_on_the_digest_queue_every_interval() -> None:
    schedule = build_schedule(Settings(_env_file=None, radar_interval=600), load_watchlist())
    cycle = schedule["radar:cycle"]
    assert cycle["task"] == RADAR_TASK and cycle["schedule"] == timedelta(seconds=600)
    assert cycle["options"]["queue"] == DIGEST_QUEUE != POLL_QUEUE
    assert cycle["options"]["expires"] == 600
    off = build_schedule(Settings(_env_file=None, radar_enabled=False), load_watchlist())
    assert "radar:cycle" not in off
