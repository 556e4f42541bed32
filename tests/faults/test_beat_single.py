"""Exactly one beat scheduler per broker: a second one stands down with one clear line, then takes over."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.factories import QWEN_AUTHORS, qwen, watchlist_toml
from tests.faults.conftest import Output, assert_no_traceback, start_tracker, tracker_env, wait_for
from tracker.replay.server import ReplayServer

pytestmark = pytest.mark.slow

STANDS_DOWN = "holds the beat lease of this broker: this one stands down"


@pytest.fixture
def hub() -> Iterator[ReplayServer]:
    with ReplayServer(now=datetime(2025, 4, 27, tzinfo=UTC)) as server:
        yield server


def _env(tmp_path: Path, hub: ReplayServer, data: str, **extra: str) -> dict[str, str]:
    watchlist = tmp_path / "watchlist.toml"
    watchlist.write_text(watchlist_toml(qwen(arxiv_queries=[QWEN_AUTHORS])))
    return tracker_env(
        tmp_path / data,
        TRACKER_HF_ENDPOINT=hub.hf_endpoint,
        TRACKER_ARXIV_ENDPOINT=hub.arxiv_endpoint,
        TRACKER_POLL_INTERVAL="3",
        TRACKER_BEAT_LEASE_S="6",
        TRACKER_WATCHLIST=str(watchlist),
        **extra,
    )


def _scenario(first_env: dict[str, str], second_env: dict[str, str], second: tuple[str, ...]) -> None:
    leader = Output(start_tracker(first_env, "run", "--pool", "solo", "--loglevel", "INFO"))
    standby = None
    try:
        # `tracker run` logs beat's per-task "Sending due task" at DEBUG only; one "poll cycle:" line per cycle.
        assert wait_for(leader.has("poll cycle:"), timeout=25), leader.text
        standby = Output(start_tracker(second_env, *second, "--loglevel", "INFO"))
        assert wait_for(standby.has(STANDS_DOWN), timeout=25), standby.text
        time.sleep(3)  # a few of the leader's ticks (3 s poll interval) with both running
        # While the leader runs the standby queues nothing: not the initial polls, not the schedule.
        before = standby.text
        assert "initial polls" not in before and "Sending due task" not in before, before
        leader_out = leader.stop()
        assert wait_for(standby.has("took over the beat lease"), timeout=20), standby.text
        # After the takeover the standby queues the schedule: a lone `beat` logs "Sending due task",
        # a `run` replica (its own worker now the only one) logs the next "poll cycle:" line.
        queued = "Sending due task poll:hf:qwen" if second[0] == "beat" else "poll cycle:"
        assert wait_for(lambda: queued in standby.text.split("took over the beat lease", 1)[-1], timeout=15), (
            standby.text
        )
    finally:
        standby_out = standby.stop() if standby else ""
        leader_out = leader.stop() if leader.proc.poll() is None else leader.text
    assert standby_out.count(STANDS_DOWN) <= 2  # the start-up line and the scheduler's one line, no spam
    assert_no_traceback(leader_out, standby_out)


def test_a_beat_beside_run_stands_down_on_the_embedded_broker(tmp_path: Path, hub: ReplayServer) -> None:
    env = _env(tmp_path, hub, "data")
    _scenario(env, env, ("beat",))


@pytest.mark.redis
def test_two_run_replicas_share_one_scheduler_on_redis(tmp_path: Path, hub: ReplayServer, redis_url: str) -> None:
    first = _env(tmp_path, hub, "host-a", TRACKER_BROKER_URL=redis_url)
    second = _env(tmp_path, hub, "host-b", TRACKER_BROKER_URL=redis_url)
    _scenario(first, second, ("run", "--pool", "solo"))
