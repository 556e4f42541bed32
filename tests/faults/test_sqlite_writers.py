"""The embedded SQLite default under concurrent writers: four polls of big new orgs at once all commit.

Before writers were serialised (``BEGIN IMMEDIATE`` for write transactions, ``tracker.store.db``),
four concurrent ``tracker poll`` processes of 1,000 new repos each failed a unit with "database is
locked". The same four units run by the four worker processes of ``tracker run --concurrency 4``
(broker on the test's Redis) must commit too. ``bench/sqlite_writers.py`` measures the choice.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import lab, watchlist_toml
from tests.faults.conftest import (
    REPO,
    Output,
    assert_no_traceback,
    run_tracker,
    start_tracker,
    tracker_cmd,
    tracker_env,
    wait_for,
)
from tests.faults.servers import FakeHub, synthetic_repos
from tracker.config import Settings
from tracker.store import Store
from tracker.store.models import Artifact

pytestmark = pytest.mark.slow

WRITERS = 4
REPOS = 1000
ORGS = [f"org{i}" for i in range(WRITERS)]


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
        with store.transaction(write=False) as session:
            return int(session.scalar(select(func.count()).select_from(Artifact)) or 0)
    finally:
        store.dispose()


def _env(tmp_path: Path, hub: FakeHub, **extra: str) -> dict[str, str]:
    watchlist = tmp_path / "watchlist.toml"
    labs = [lab(f"lab{i}", name=f"Lab {i}", hf_orgs=[org]) for i, org in enumerate(ORGS)]
    watchlist.write_text(watchlist_toml(*labs))
    env = tracker_env(
        tmp_path / "data",
        TRACKER_HF_ENDPOINT=hub.endpoint,
        TRACKER_ARXIV_ENDPOINT="http://127.0.0.1:9/api/query",
        TRACKER_WATCHLIST=str(watchlist),
        **extra,
    )
    assert run_tracker(env, "db", "upgrade").returncode == 0
    return env


def test_four_concurrent_polls_of_new_orgs_all_commit(tmp_path: Path) -> None:
    with FakeHub(repos={org: synthetic_repos(org, REPOS) for org in ORGS}) as hub:
        env = _env(tmp_path, hub)
        baseline = _poll_all_at_once(env)
        for org in ORGS:  # a launch in every org at once: detections, releases and outbox events
            hub.repos[org] = hub.repos[org] + synthetic_repos(org, 5, start=REPOS)
        launch = _poll_all_at_once(env)

    for code, out in baseline + launch:
        assert code == 0 and "database is locked" not in out, out
        assert_no_traceback(out)
    assert _artifacts(tmp_path / "data") == WRITERS * (REPOS + 5)  # nothing lost, nothing doubled


def test_tracker_run_with_four_workers_commits_every_unit(tmp_path: Path, redis_url: str) -> None:
    with FakeHub(repos={org: synthetic_repos(org, REPOS) for org in ORGS}) as hub:
        env = _env(
            tmp_path,
            hub,
            TRACKER_BROKER_URL=redis_url,
            TRACKER_SOURCES="hf",
            TRACKER_POLL_INTERVAL="300",  # only the initial polls run during the test
        )
        run = Output(start_tracker(env, "run", "--concurrency", str(WRITERS), "--loglevel", "INFO"))
        try:
            stored = wait_for(lambda: _artifacts(tmp_path / "data") >= WRITERS * REPOS, timeout=240, interval=1)
        finally:
            out = run.stop()
        status = run_tracker(env, "status")

    assert stored, f"{_artifacts(tmp_path / 'data')} artifacts stored:\n{out}"
    assert _artifacts(tmp_path / "data") == WRITERS * REPOS  # nothing lost, nothing doubled
    assert "database is locked" not in out + status.stdout and " failed (" not in out, out
    assert_no_traceback(out, status.stdout, status.stderr)
