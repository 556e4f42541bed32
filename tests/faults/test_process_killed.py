"""A poll whose worker process is SIGKILLed mid-run (the OOM killer) runs again, once, and says so."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import lab, watchlist_toml
from tests.faults.conftest import assert_no_traceback, run_tracker, start_tracker, stop, tracker_env, wait_for
from tests.faults.servers import FakeHub, OrgBehaviour, pid_of_client_port, synthetic_repos
from tracker.config import Settings
from tracker.store import Store
from tracker.store.models import Artifact

pytestmark = pytest.mark.slow

REPOS = 5


def _artifacts(data_dir: Path, database_url: str | None) -> Callable[[], int]:
    def count() -> int:
        try:
            store = Store.open(Settings(_env_file=None, data_dir=data_dir, database_url=database_url), migrate=False)
        except Exception:  # not created yet
            return 0
        try:
            with store.transaction() as session:
                return int(session.scalar(select(func.count()).select_from(Artifact)) or 0)
        except Exception:  # schema not there yet
            return 0
        finally:
            store.dispose()

    return count


@pytest.mark.parametrize(("broker", "database"), [("embedded", "sqlite"), ("redis", "postgresql")])
def test_a_killed_poll_is_run_again_and_shows_in_status(tmp_path: Path, broker: str, database: str, request) -> None:  # type: ignore[no-untyped-def]
    extra = {"TRACKER_BROKER_URL": request.getfixturevalue("redis_url")} if broker == "redis" else {}
    database_url = None
    if database == "postgresql":
        postgres = request.getfixturevalue("postgres")
        postgres.clean()
        database_url = extra["TRACKER_DATABASE_URL"] = postgres.url
    repos = {"victim-org": synthetic_repos("victim-org", REPOS), "other-org": synthetic_repos("other-org", REPOS)}
    with FakeHub(repos=repos, behaviour={"victim-org": OrgBehaviour(drip_s=1.0)}) as hub:
        watchlist = tmp_path / "watchlist.toml"
        watchlist.write_text(
            watchlist_toml(
                lab("victim", name="Victim", hf_orgs=["victim-org"]), lab("other", name="Other", hf_orgs=["other-org"])
            )
        )
        env = tracker_env(
            tmp_path / "data",
            TRACKER_HF_ENDPOINT=hub.endpoint,
            TRACKER_SOURCES="hf",
            TRACKER_WATCHLIST=str(watchlist),
            TRACKER_POLL_INTERVAL="300",  # only the initial polls run during the test
            **extra,
        )
        proc = start_tracker(env, "run", "--concurrency", "2", "--loglevel", "INFO")
        out = ""
        stored, victim = False, None
        try:
            if wait_for(lambda: hub.dripping_to, timeout=120):
                victim = pid_of_client_port(hub.dripping_to[0], hub.port)
            if victim is not None and victim != proc.pid:
                hub.behaviour.clear()  # the next attempt is answered at once
                os.kill(victim, signal.SIGKILL)
                stored = wait_for(lambda: _artifacts(tmp_path / "data", database_url)() >= 2 * REPOS, timeout=90)
        finally:
            out = stop(proc)
        assert victim is not None and victim != proc.pid, f"the victim's poll never started ({hub.requests}):\n{out}"
        status = run_tracker(env, "status")

    assert stored, out
    assert _artifacts(tmp_path / "data", database_url)() == 2 * REPOS  # nothing lost, nothing doubled
    assert "was killed mid-run" in out, out
    assert "victim" in status.stdout and "lost" in status.stdout and "killed mid-run" in status.stdout, status.stdout
    assert_no_traceback(out.replace("WorkerLostError", ""), status.stdout, status.stderr)
