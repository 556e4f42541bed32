"""A Slack Web API that drips its answers: the post is cut off by the deadline, recorded, and never doubled.

A real ``tracker poll`` alerts a new Hub repo to a bot-token Slack channel whose server posts the
message and then drips its answer one byte every half second. With a 2 s deadline the send fails
with "no complete answer within 2 s", the delivery goes back to ``pending`` (never stuck in
``sending``), its error marked as an unknown outcome. The next poll, against a healthy server,
finds the message by its metadata and records it as sent without posting a second one.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.factories import lab, subscription, write_watchlist
from tests.faults.conftest import run_tracker
from tests.faults.servers import DripSlack
from tests.faults.servers_text import SourceServer, assert_clean, hub_repo, poll_env
from tracker.config import Settings
from tracker.domain import utcnow
from tracker.outbox.deliveries import OUTCOME_UNKNOWN_MARK
from tracker.store import Store
from tracker.store.models import Delivery

pytestmark = pytest.mark.slow  # real tracker processes


def _rows(store: Store) -> list[tuple[str, int, str]]:
    with store.transaction() as session:
        return [
            (d.status, d.attempts, d.last_error or "") for d in session.scalars(select(Delivery).order_by(Delivery.id))
        ]


def test_a_dripping_slack_post_is_a_recorded_retry_and_is_never_posted_twice(
    store: Store, backend_settings: Settings, tmp_path: Path
) -> None:
    watchlist = write_watchlist(
        tmp_path / "watchlist.toml",
        lab("north", name="North Lab", hf_orgs=["North"]),
        subscriptions=[subscription("slack:default")],
    )
    with SourceServer() as hub, DripSlack(channels={"C0MODELS": "models"}) as slack:
        hub.hub = {"North": [hub_repo("North", "Old-1B", number=1)]}
        env = poll_env(
            backend_settings,
            watchlist,
            "hf",
            TRACKER_HF_ENDPOINT=hub.url,
            TRACKER_SLACK_BOT_TOKEN=slack.token,
            TRACKER_SLACK_API_URL=slack.api_url,
            TRACKER_SLACK_CHANNEL="C0MODELS",
            TRACKER_SLACK_MIN_INTERVAL_S="0",
            TRACKER_HTTP_DEADLINE="2",
        )
        assert run_tracker(env, "poll").returncode == 0  # baseline: nothing alerted
        hub.hub["North"].append(hub_repo("North", "NorthNet-7B", number=2))
        slack.drip_s = 0.5
        first = run_tracker(env, "poll")
        slack.drip_s = 0.0  # the server recovers
        rows = _rows(store)
        posts_while_dripping = len(slack.calls_to("chat.postMessage"))
        with store.transaction() as session:  # the backoff has passed
            session.execute(update(Delivery).values(next_attempt_at=utcnow() - timedelta(minutes=1)))
        second = run_tracker(env, "poll")

    assert_clean(first)
    # the poll itself succeeded; the CLI exits 1 because its only alert is not delivered yet
    assert first.returncode == 1 and "no alert was delivered" in first.stdout + first.stderr, first.stdout
    assert len(rows) == 1, rows
    status, attempts, error = rows[0]
    assert status == "pending" and attempts == 1, rows  # recorded and retried later, never left `sending`
    assert error.startswith(OUTCOME_UNKNOWN_MARK) and "no complete answer" in error and "within 2 s" in error, rows
    assert posts_while_dripping == 1  # the SDK's retry handlers did not post again in-process
    assert_clean(second)
    assert second.returncode == 0, second.stdout + second.stderr
    assert [r[0] for r in _rows(store)] == ["sent"]
    assert len(slack.calls_to("chat.postMessage")) == 1  # found by its metadata: never posted twice
    assert len(slack.top_level("C0MODELS")) == 1
