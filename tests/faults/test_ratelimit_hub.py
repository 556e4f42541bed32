"""The Hub's RateLimit headers drive the wait before the next request, in every process, on every broker."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.factories import lab, watchlist_toml
from tests.faults.conftest import REPO, assert_no_traceback, tracker_cmd, tracker_env, wait_for
from tests.faults.servers import FakeHub, OrgBehaviour, synthetic_repos

pytestmark = pytest.mark.slow

RESET_S = 6


@pytest.mark.parametrize("broker", ["embedded", "redis"])
def test_a_spent_hub_budget_holds_every_process_until_it_resets(tmp_path: Path, broker: str, request) -> None:  # type: ignore[no-untyped-def]
    extra = {"TRACKER_BROKER_URL": request.getfixturevalue("redis_url")} if broker == "redis" else {}
    repos = {"first-org": synthetic_repos("first-org", 3), "second-org": synthetic_repos("second-org", 3)}
    behaviour = {"first-org": OrgBehaviour(rate_limited=1, reset_s=RESET_S)}
    with FakeHub(repos=repos, behaviour=behaviour) as hub:
        watchlist = tmp_path / "watchlist.toml"
        watchlist.write_text(
            watchlist_toml(
                lab("first", name="First", hf_orgs=["first-org"]), lab("second", name="Second", hf_orgs=["second-org"])
            )
        )
        env = tracker_env(
            tmp_path / "data",
            TRACKER_HF_ENDPOINT=hub.endpoint,
            TRACKER_WATCHLIST=str(watchlist),
            TRACKER_LOG_LEVEL="INFO",
            **extra,
        )

        def poll(slug: str) -> subprocess.Popen[str]:
            return subprocess.Popen(
                tracker_cmd("poll", "--source", "hf", "--lab", slug),
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                cwd=REPO,
            )

        first = poll("first")
        assert wait_for(lambda: hub.count("first-org") >= 1, timeout=40), "the first poll never asked"
        limited_at = hub.requests[0][1]
        second = poll("second")  # another process, started while the Hub's window is spent
        outs = [p.communicate(timeout=90)[0] for p in (first, second)]
        codes = [first.returncode, second.returncode]

    later = [(org, at - limited_at) for org, at in hub.requests[1:]]
    assert codes == [0, 0], outs
    assert hub.count("first-org") == 2 and hub.count("second-org") == 1, hub.requests  # one retry, nothing doubled
    assert all(delay >= RESET_S - 0.5 for _, delay in later), later  # nobody asked before the reset
    assert_no_traceback(*outs)
