"""``apprise:`` channels through the Apprise library, on the same outbox as Slack and email.

Apprise's ``json://`` posts to a local receiver (``tests.fakes.WebhookReceiver``): one release
event must arrive exactly once, after a failed first attempt is retried with backoff, carrying
the delivery's identity headers; a bad Apprise URL creates no delivery.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_watchlist, qwen, subscription
from tests.fakes import WebhookReceiver, add_alert_event
from tracker.config import Settings
from tracker.notify.registry import channel_problem
from tracker.outbox.inline import process_outbox
from tracker.store import Store
from tracker.store.models import Delivery

pytest.importorskip("apprise")

T0 = datetime(2025, 4, 28, 12, tzinfo=UTC)


def test_an_apprise_json_channel_gets_each_release_exactly_once_after_a_retry(
    store: Store, backend_settings: Settings
) -> None:
    with WebhookReceiver() as receiver:
        channel = "apprise:" + receiver.url.replace("http://", "json://")
        watchlist = make_watchlist(qwen(), subscriptions=[subscription(channel)])
        with store.transaction() as session:
            add_alert_event(session, title="Qwen3", name="Qwen/Qwen3-235B-A22B", params_total_b=235.0, now=T0)
        receiver.responses = [(503, {})]  # the first attempt fails

        first = process_outbox(store, settings=backend_settings, watchlist=watchlist, clock=lambda: T0)
        assert first.sent == 0 and len(first.errors) == 1
        assert receiver.calls == []
        with store.transaction() as session:
            (row,) = session.scalars(select(Delivery)).all()
            assert row.status == "pending" and row.attempts == 1 and row.channel == channel

        later = T0 + timedelta(hours=1)
        second = process_outbox(store, settings=backend_settings, watchlist=watchlist, clock=lambda: later)
        third = process_outbox(store, settings=backend_settings, watchlist=watchlist, clock=lambda: later)

    assert second.sent == 1 and second.errors == []
    assert third.sent == 0, "a sent delivery is never sent again"
    (call,) = receiver.calls
    assert call["path"].startswith("/hook")
    assert "Qwen3" in call["json"]["title"]
    assert "Qwen/Qwen3-235B-A22B" in call["json"]["message"]
    assert call["headers"]["Idempotency-Key"] == row.idempotency_key
    assert call["headers"]["X-Tracker-Delivery"] == str(row.id)
    with store.transaction() as session:
        assert [d.status for d in session.scalars(select(Delivery))] == ["sent"]


def test_an_apprise_url_apprise_does_not_know_is_a_channel_problem(settings: Settings) -> None:
    assert "not an Apprise URL" in (channel_problem(settings, "apprise:nosuchservice://x/y") or "")
    assert channel_problem(settings, "apprise:json://127.0.0.1:9/hook") is None
    assert channel_problem(settings, "apprise:discord://1234/abcd") is None
