"""``tracker run`` without a network, as a newcomer on a train would start it.

Every source endpoint points at a closed loopback port. The run must say once per cycle, per
host, what is unreachable and what to check (not one line per unit), keep INFO to one line per
cycle (no Celery "Task ... succeeded" lines for failed polls), and exit 0 when stopped with
Ctrl-C after a clean warm shutdown.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.factories import QWEN_AUTHORS, lab, qwen, watchlist_toml

pytestmark = pytest.mark.slow

WAIT_S = 90.0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_run_says_once_per_host_what_to_check_and_ctrl_c_exits_0(tmp_path: Path) -> None:
    port = _closed_port()
    watchlist = tmp_path / "watchlist.toml"
    watchlist.write_text(
        watchlist_toml(qwen(arxiv_queries=[QWEN_AUTHORS]), lab("deepseek", name="DeepSeek", hf_orgs=["deepseek-ai"]))
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "HF_"))}
    env.update(
        PYTHONUNBUFFERED="1",
        TRACKER_DATA_DIR=str(tmp_path / "data"),
        TRACKER_HF_ENDPOINT=f"http://127.0.0.1:{port}",
        TRACKER_ARXIV_ENDPOINT=f"http://127.0.0.1:{port}/api/query",
        TRACKER_ARXIV_MIN_INTERVAL="0",
        TRACKER_POLL_INTERVAL="60",  # one cycle (the initial polls) within the test
        TRACKER_WATCHLIST=str(watchlist),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "run", "--loglevel", "INFO", "--concurrency", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + WAIT_S
        # Three units (hf qwen, hf deepseek, arxiv qwen), all on one host: wait until all ran.
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(1)
            if _failures_recorded(tmp_path / "data") >= 3:
                break
        time.sleep(2)
        assert proc.poll() is None, "tracker run exited early"
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    print(out)
    host = f"127.0.0.1:{port}"
    unreachable = [line for line in out.splitlines() if f"{host} is unreachable" in line]
    assert len(unreachable) == 1, out
    assert "check your network or TRACKER_HF_ENDPOINT or TRACKER_ARXIV_ENDPOINT" in unreachable[0]
    assert "WARNING" in unreachable[0]
    info = [line for line in out.splitlines() if ": INFO/ForkPoolWorker" in line]
    assert [line.split("] ", 1)[1] for line in info] == ["poll cycle: 3 units every 60 s (per-unit results at DEBUG)"]
    assert "succeeded in" not in out and "Sending due task" not in out
    assert "Traceback" not in out
    assert proc.returncode == 0, out


def _failures_recorded(data_dir: Path) -> int:
    """Poll units whose last poll failed, per the run's database (0 until it exists)."""
    import sqlite3

    try:
        with sqlite3.connect(data_dir / "tracker.db") as conn:
            return conn.execute("SELECT count(*) FROM source_states WHERE consecutive_failures > 0").fetchone()[0]
    except sqlite3.Error:
        return 0
