"""The embedded SQLite default under concurrent writers: four polls of big new orgs at once all commit.

Before writers were serialised (``BEGIN IMMEDIATE``, ``tracker.store.db``), four concurrent
``tracker poll`` processes of 1,000 new repos each failed a unit with "database is locked".
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import lab, watchlist_toml
from tests.faults.conftest import REPO, assert_no_traceback, run_tracker, tracker_cmd, tracker_env
from tests.faults.servers import FakeHub, synthetic_repos
from tracker.config import Settings
from tracker.store import Store
from tracker.store.models import Artifact

pytestmark = pytest.mark.slow

WRITERS = 4
REPOS = 150


def _poll_all_at_once(env: dict[str, str]) -> list[tuple[int, str]]:
    procs = [
        subprocess.Popen(
            tracker_cmd("poll", "--source", "hf", "--lab", f"lab{i}"),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=REPO,
        )
        for i in range(WRITERS)
    ]
    return [(p.wait(timeout=240), p.communicate()[0]) for p in procs]


def _artifacts(data_dir: Path) -> int:
    store = Store.open(Settings(_env_file=None, data_dir=data_dir), migrate=False)
    try:
        with store.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(Artifact)) or 0)
    finally:
        store.dispose()


def test_four_concurrent_polls_of_new_orgs_all_commit(tmp_path: Path) -> None:
    orgs = [f"org{i}" for i in range(WRITERS)]
    with FakeHub(repos={org: synthetic_repos(org, REPOS) for org in orgs}) as hub:
        watchlist = tmp_path / "watchlist.toml"
        labs = [lab(f"lab{i}", name=f"Lab {i}", hf_orgs=[org]) for i, org in enumerate(orgs)]
        watchlist.write_text(watchlist_toml(*labs))
        env = tracker_env(
            tmp_path / "data",
            TRACKER_HF_ENDPOINT=hub.endpoint,
            TRACKER_ARXIV_ENDPOINT="http://127.0.0.1:9/api/query",
            TRACKER_WATCHLIST=str(watchlist),
        )
        assert run_tracker(env, "db", "upgrade").returncode == 0
        baseline = _poll_all_at_once(env)
        for org in orgs:  # a launch in every org at once: detections, releases and outbox events
            hub.repos[org] = hub.repos[org] + synthetic_repos(org, 5, start=REPOS)
        launch = _poll_all_at_once(env)

    for code, out in baseline + launch:
        assert code == 0 and "database is locked" not in out, out
        assert_no_traceback(out)
    assert _artifacts(tmp_path / "data") == WRITERS * (REPOS + 5)  # nothing lost, nothing doubled
