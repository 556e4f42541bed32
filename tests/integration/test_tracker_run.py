"""``tracker run`` as a user starts it: worker + embedded beat in a subprocess, polling the replay hub.

Two brokers: the default server-less kombu SQLAlchemy transport (a SQLite file in the data dir,
no Redis) and Redis. Each run must poll the Qwen unit at least twice (initial poll + beat),
store the baseline, and stop cleanly on SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.factories import QWEN_AUTHORS, qwen, watchlist_toml
from tracker.config import Settings
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.queries import ReleaseFilter, list_releases

pytestmark = pytest.mark.slow

QWEN_ONLY = watchlist_toml(qwen(name="Qwen (Alibaba Cloud)", arxiv_queries=[QWEN_AUTHORS]))
WAIT_S = 90.0
STOP_TIMEOUT_S = 30.0


@pytest.fixture
def hub() -> Iterator[ReplayServer]:
    with ReplayServer(now=datetime(2025, 4, 27, tzinfo=UTC)) as server:
        yield server


def _env(tmp_path: Path, hub: ReplayServer, **extra: str) -> dict[str, str]:
    watchlist = tmp_path / "watchlist.toml"
    watchlist.write_text(QWEN_ONLY)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "HF_"))}
    env.update(
        {
            "COLUMNS": "200",
            "PYTHONUNBUFFERED": "1",
            "TRACKER_DATA_DIR": str(tmp_path / "data"),
            "TRACKER_HF_ENDPOINT": hub.hf_endpoint,
            # these processes poll with the real clock while the hub serves 2025: lift the org-move
            # age rule, which would read every repo as years old (tracker.grouping.moves)
            "TRACKER_MOVE_MIN_AGE_DAYS": "36500",
            "TRACKER_ARXIV_ENDPOINT": hub.arxiv_endpoint,
            "TRACKER_ARXIV_MIN_INTERVAL": "0",
            "TRACKER_POLL_INTERVAL": "3",
            "TRACKER_WATCHLIST": str(watchlist),
            **extra,
        }
    )
    return env


def _qwen_listings(hub: ReplayServer) -> int:
    return sum(
        n for key, n in hub.stats()["requests"].items() if key.startswith("/api/models") and "author=Qwen" in key
    )


def _stored(data_dir: Path, *, baseline: bool = True) -> tuple[int, int]:
    """Return (releases, artifacts) of lab qwen, baseline or detected, in the run's SQLite database."""
    store = Store.open(Settings(_env_file=None, data_dir=data_dir), migrate=False)
    try:
        with store.transaction() as session:
            rows = list_releases(session=session, flt=ReleaseFilter(lab="qwen", baseline=baseline))
            return len(rows), sum(len(r.artifacts) for r in rows)
    except Exception:  # schema not created yet
        return 0, 0
    finally:
        store.dispose()


def _stop(proc: subprocess.Popen[str]) -> str:
    """SIGTERM (warm shutdown), then kill after a timeout; return the combined output."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the worker's children and beat too
        out, _ = proc.communicate(timeout=10)
        out += "\n[test] killed after SIGTERM timeout"
    return out


def _run_until_two_polls(
    tmp_path: Path, hub: ReplayServer, env: dict[str, str], args: list[str], *, detect: bool = False
) -> None:
    """Start ``tracker run``; wait for two Qwen listings and the baseline; optionally move the
    hub's clock past the Qwen3 launch and wait for a live detection; stop it with SIGTERM."""
    cmd = [sys.executable, "-m", "workers.cli", "run", "--loglevel", "INFO", *args]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    out = ""
    try:
        deadline = time.monotonic() + WAIT_S
        listings, stored = 0, (0, 0)
        while time.monotonic() < deadline and proc.poll() is None:
            listings = _qwen_listings(hub)
            if listings >= 2:
                stored = _stored(tmp_path / "data")
                if stored[1] > 0:
                    break
            time.sleep(0.5)
        detected = (0, 0)
        if detect and stored[1] > 0:
            hub.set_now(datetime(2025, 4, 29, 12, tzinfo=UTC))  # Qwen3 went public on 2025-04-28
            while time.monotonic() < deadline and proc.poll() is None and detected[0] == 0:
                time.sleep(0.5)
                detected = _stored(tmp_path / "data", baseline=False)
        running = proc.poll() is None
        out = _stop(proc)
        assert running, f"tracker run exited early with {proc.returncode}:\n{out}"
        assert listings >= 2, f"expected two poll cycles of Qwen, saw {listings}: {hub.stats()}\n{out}"
        releases, artifacts = stored
        assert releases > 0 and artifacts >= releases, f"no baseline stored:\n{out}"
        assert proc.returncode is not None
        assert "killed after SIGTERM" not in out, out
        assert "broker:" in out and "scheduled: 2 poll units" in out, out
        assert "poll cycle: 2 units" in out, out  # the one INFO line of a cycle (beat's per-task lines are DEBUG)
        assert "Traceback" not in out, out
        if detect:
            assert detected[0] > 0, f"no live detection after moving the hub clock:\n{out}"
            assert "alert: " in out, out  # the poll task sent the pending alerts (console log)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        if out:
            print(out)


def test_tracker_run_polls_on_schedule_with_embedded_broker(tmp_path: Path, hub: ReplayServer) -> None:
    env = _env(tmp_path, hub)

    _run_until_two_polls(tmp_path, hub, env, [], detect=True)

    assert (tmp_path / "data" / "broker.db").exists()
    assert (tmp_path / "data" / "tracker.db").exists()


@pytest.mark.parametrize("pool", ["solo", "threads"])
def test_tracker_run_with_other_pools(tmp_path: Path, hub: ReplayServer, pool: str) -> None:
    _run_until_two_polls(tmp_path, hub, _env(tmp_path, hub), ["--pool", pool, "--concurrency", "2"])


@pytest.mark.redis
def test_tracker_run_polls_on_schedule_with_redis(tmp_path: Path, hub: ReplayServer, redis_url: str) -> None:
    env = _env(tmp_path, hub, TRACKER_BROKER_URL=redis_url)
    _run_until_two_polls(tmp_path, hub, env, [])
    assert not (tmp_path / "data" / "broker.db").exists()


def test_tracker_run_bad_watchlist_exits_2(tmp_path: Path, hub: ReplayServer) -> None:
    env = _env(tmp_path, hub)
    Path(env["TRACKER_WATCHLIST"]).write_text('[[labs]]\nslug = "qwen"\nbogus = 1\n')
    proc = subprocess.run(
        [sys.executable, "-m", "workers.cli", "run"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "configuration error" in proc.stderr and "bogus" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_tracker_run_with_a_broker_that_does_not_answer_says_so_and_exits_1(tmp_path: Path, hub: ReplayServer) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = _env(tmp_path, hub, TRACKER_BROKER_URL=f"redis://:s3cret-pw@127.0.0.1:{port}/0")
    proc = subprocess.run(
        [sys.executable, "-m", "workers.cli", "run"], env=env, capture_output=True, text=True, timeout=60
    )

    assert proc.returncode == 1, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: cannot reach the broker redis://:***@127.0.0.1:{port}/0: " + errors[0].split(": ", 2)[2]]
    assert "another beat scheduler" not in proc.stdout + proc.stderr  # no scheduler holds it: Redis is down
    assert "s3cret-pw" not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
