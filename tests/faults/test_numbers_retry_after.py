"""Nonsense ``Retry-After`` from Slack is logged and treated as absent: no crash, no stuck ``sending``.

A real ``tracker poll`` sends four labs' alerts to a local Slack incoming webhook that answers
the first three sends 429 with ``Retry-After: -5``, ``inf`` and ``999999999999``. Before,
``-5`` reached ``time.sleep`` (``ValueError``) and the others overflowed the delivery's retry
time (``OverflowError``): one delivery stayed ``sending`` and the rest of the run was never
attempted. Now each bad value is one log line; those deliveries wait their own backoff, the
fourth is sent at once, and the next poll sends the three others, once each.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.factories import lab, subscription, write_watchlist
from tests.faults.conftest import run_tracker
from tests.faults.servers_text import SourceServer, assert_clean, hub_repo, poll_env
from tests.slack_server import SlackServer
from tracker.config import Settings
from tracker.domain import utcnow
from tracker.store import Store
from tracker.store.models import Delivery

LABS = ("north", "south", "east", "west")
NONSENSE = ("-5", "inf", "999999999999")

pytestmark = pytest.mark.slow  # real tracker processes


def _statuses(store: Store) -> list[str]:
    with store.transaction() as session:
        return [d.status for d in session.scalars(select(Delivery).order_by(Delivery.id))]


def test_nonsense_retry_after_never_crashes_delivery_and_every_alert_arrives_once(
    store: Store, backend_settings: Settings, tmp_path: Path
) -> None:
    watchlist = write_watchlist(
        tmp_path / "watchlist.toml",
        *(lab(slug, name=f"{slug.title()} Lab", hf_orgs=[slug.title()]) for slug in LABS),
        subscriptions=[subscription("slack:default")],
    )
    with SourceServer() as hub, SlackServer() as slack:
        hub.hub = {slug.title(): [hub_repo(slug.title(), "Old-1B", number=1)] for slug in LABS}
        env = poll_env(
            backend_settings,
            watchlist,
            "hf",
            TRACKER_HF_ENDPOINT=hub.url,
            TRACKER_SLACK_WEBHOOK_URL=slack.webhook_url,
            TRACKER_SLACK_MIN_INTERVAL_S="0",
        )
        assert run_tracker(env, "poll").returncode == 0  # baseline: nothing alerted
        for slug in LABS:
            hub.hub[slug.title()].append(hub_repo(slug.title(), f"{slug.title()}Net-7B", number=2))
        for value in NONSENSE:  # each send tries 3 times (2 in-process retries): all get the value
            slack.fail_next("webhook", status=429, headers={"Retry-After": value}, body="rate_limited", times=3)

        first = run_tracker(env, "poll")
        assert_clean(first)
        assert first.returncode == 0, first.stdout + first.stderr
        for value in NONSENSE:
            assert f"ignoring Slack Retry-After '{value}'" in first.stderr, first.stderr
        assert first.stderr.count("alert not delivered") == 3
        assert _statuses(store) == ["pending", "pending", "pending", "sent"]  # none stuck in sending
        assert len(slack.webhook_messages) == 1

        with store.transaction() as session:  # the backoff has passed
            session.execute(update(Delivery).values(next_attempt_at=utcnow() - timedelta(minutes=1)))
        second = run_tracker(env, "poll")

    assert_clean(second)
    assert _statuses(store) == ["sent"] * 4
    posted = json.dumps(slack.webhook_messages)
    assert len(slack.webhook_messages) == 4  # nothing lost, nothing doubled
    assert all(posted.count(f"{slug.title()}/{slug.title()}Net-7B") >= 1 for slug in LABS)
