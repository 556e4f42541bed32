"""Two polls of one data directory at once (a newcomer ran two ``tracker poll``s): the second
skips the units the first is polling instead of racing it to insert the same repos.

Without a Redis broker the poll lock is an OS file lock in ``<data_dir>/locks/``, so it holds
across processes: here the test process holds the lock of (hf, qwen) while a real ``tracker
poll`` subprocess runs against the replay hub.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from tests.factories import lab, qwen, watchlist_toml
from tracker.config import Settings
from tracker.ops.locks import SKIPPED_LOCKED, poll_lock
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import Artifact, SourceState

WATCHLIST = watchlist_toml(qwen(), lab("deepseek", name="DeepSeek", hf_orgs=["deepseek-ai"]))


def test_a_unit_polled_elsewhere_is_skipped_not_raced(store: Store, backend_settings: Settings, tmp_path: Path) -> None:
    watchlist = tmp_path / "watchlist.toml"
    watchlist.write_text(WATCHLIST)
    with ReplayServer(now=datetime(2025, 4, 29, tzinfo=UTC)) as hub:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "HF_"))}
        env.update(
            {
                "TRACKER_DATA_DIR": str(backend_settings.data_dir),
                "TRACKER_DATABASE_URL": backend_settings.resolved_database_url,
                "TRACKER_WATCHLIST": str(watchlist),
                "TRACKER_SOURCES": "hf",
                "TRACKER_HF_ENDPOINT": hub.hf_endpoint,
                # these processes poll with the real clock while the hub serves 2025: lift the org-move
                # age rule, which would read every repo as years old (tracker.grouping.moves)
                "TRACKER_MOVE_MIN_AGE_DAYS": "36500",
                "COLUMNS": "250",
            }
        )
        with poll_lock(backend_settings, "hf", "qwen", ttl_s=60) as held:  # "another tracker poll"
            assert held
            busy = subprocess.run(
                [sys.executable, "-m", "workers.cli", "poll"], env=env, capture_output=True, text=True, timeout=120
            )
        free = subprocess.run(
            [sys.executable, "-m", "workers.cli", "poll"], env=env, capture_output=True, text=True, timeout=120
        )

    assert busy.returncode == 0, busy.stdout + busy.stderr
    assert "skipped" in busy.stdout and SKIPPED_LOCKED in busy.stdout, busy.stdout
    assert "Traceback" not in busy.stderr, busy.stderr
    assert free.returncode == 0 and "skipped" not in free.stdout, free.stdout + free.stderr
    with store.transaction() as session:
        units = {s.lab_slug for s in session.scalars(select(SourceState))}
        qwen_repos = session.scalar(select(func.count()).select_from(Artifact).where(Artifact.org == "Qwen"))
    assert units == {"qwen", "deepseek"} and qwen_repos > 0  # qwen polled once its lock was free
