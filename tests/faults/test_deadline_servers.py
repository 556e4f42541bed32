"""Overall deadlines: a server that drips bytes costs one deadline per attempt, is recorded and retried."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import lab, subscription, watchlist_toml
from tests.faults.conftest import assert_no_traceback, run_tracker, tracker_env, wait_for
from tests.faults.servers import DripSmtp, FakeHub, OrgBehaviour, synthetic_repos
from tracker.config import Settings
from tracker.store import Store
from tracker.store.models import Delivery

pytestmark = pytest.mark.slow

READER = "reader@example.org"


def _env(tmp_path: Path, hub: FakeHub, **extra: str) -> dict[str, str]:
    watchlist = tmp_path / "watchlist.toml"
    watchlist.write_text(
        watchlist_toml(
            lab("slow", name="Slow Lab", hf_orgs=["slow-org"]),
            lab("good", name="Good Lab", hf_orgs=["good-org"]),
            subscriptions=[subscription(f"email:{READER}", digest="weekly")],
        )
    )
    return tracker_env(
        tmp_path / "data",
        TRACKER_HF_ENDPOINT=hub.endpoint,
        TRACKER_ARXIV_ENDPOINT="http://127.0.0.1:9/api/query",
        TRACKER_WATCHLIST=str(watchlist),
        TRACKER_HTTP_DEADLINE="2",
        TRACKER_HTTP_MAX_RETRIES="2",
        **extra,
    )


def _stored_names(data_dir: Path) -> set[str]:
    from sqlalchemy import select

    from tracker.store.models import Artifact

    store = Store.open(Settings(_env_file=None, data_dir=data_dir), migrate=False)
    try:
        with store.transaction() as session:
            return set(session.scalars(select(Artifact.name)))
    finally:
        store.dispose()


def test_a_dripping_hub_org_fails_fast_and_recovers_next_poll(tmp_path: Path) -> None:
    repos = {"slow-org": synthetic_repos("slow-org", 3), "good-org": synthetic_repos("good-org", 3)}
    with FakeHub(repos=repos, behaviour={"slow-org": OrgBehaviour(drip_s=0.5)}) as hub:
        env = _env(tmp_path, hub)
        first = run_tracker(env, "poll", "--source", "hf", timeout=180)
        slow = [at for org, at in hub.requests if org == "slow-org"]
        status = run_tracker(env, "status", timeout=60)
        hub.behaviour.clear()  # the server recovers
        second = run_tracker(env, "poll", "--source", "hf", timeout=60)

    assert first.returncode == 0, first.stdout + first.stderr  # the good lab succeeded
    # two attempts, each cut at the 2 s deadline, one short backoff between them (process start-up not counted)
    assert len(slow) == 2 and slow[1] - slow[0] < 8, slow
    assert "no complete response within 2s" in first.stdout + first.stderr, first.stdout + first.stderr
    assert "slow" in status.stdout and "no complete response" in status.stdout, status.stdout
    names = _stored_names(tmp_path / "data")
    assert {r["id"] for r in repos["good-org"]} <= names and {r["id"] for r in repos["slow-org"]} <= names
    assert second.returncode == 0, second.stdout + second.stderr
    assert_no_traceback(first.stdout, first.stderr, status.stdout, status.stderr, second.stdout, second.stderr)


def test_an_smtp_greeting_drip_is_a_recorded_retry_not_a_stuck_send(tmp_path: Path) -> None:
    smtp = DripSmtp(drip_s=0.5)
    try:
        with FakeHub(repos={"slow-org": [], "good-org": []}) as hub:
            env = _env(
                tmp_path,
                hub,
                TRACKER_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}?tls=off",
                TRACKER_EMAIL_FROM="tracker@example.org",
            )
            sent = run_tracker(env, "digest", "--period", "weekly", "--send", timeout=180)
    finally:
        smtp.close()

    out = sent.stdout + sent.stderr
    assert smtp.connections == 1 and wait_for(lambda: smtp.held_s, timeout=10), out
    assert smtp.held_s[0] < 8, f"the greeting drip held the connection for {smtp.held_s[0]:.0f} s:\n{out}"
    store = Store.open(Settings(_env_file=None, data_dir=tmp_path / "data"), migrate=False)
    try:
        with store.transaction() as session:
            deliveries = session.query(Delivery).all()
            states = [(d.status, d.attempts, d.last_error or "") for d in deliveries]
    finally:
        store.dispose()
    assert len(states) == 1, states
    status, attempts, error = states[0]
    assert status == "pending" and attempts == 1, states  # recorded, retried later; never left `sending`
    assert "no complete exchange within 2 s" in error, states
    assert_no_traceback(out)
