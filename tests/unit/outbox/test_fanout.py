"""The one fan-out (tracker.outbox.fanout): servable subscriptions -> keyed deliveries, once."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from tests.fakes import FakeClock
from tracker.config import Settings
from tracker.outbox.fanout import Audience, Skip
from tracker.store import Store
from tracker.store.models import Delivery, Subscription
from tracker.watchlist import parse_watchlist

WATCHLIST = parse_watchlist(
    """
[[labs]]
slug = "qwen"
name = "Qwen"
country = "CN"
hf_orgs = ["Qwen"]

[[subscriptions]]
channel = "console:a"

[[subscriptions]]
channel = "console:b"
labs = ["qwen"]

[[subscriptions]]
channel = "slack:default"

[[subscriptions]]
channel = "email:reader@example.org"
digest = "weekly"
""",
    source="test.toml",
)


def _audience(session, settings: Settings, clock: FakeClock, **kw) -> Audience:  # type: ignore[no-untyped-def]
    kw.setdefault("wants", lambda sub: sub.digest is None)
    return Audience(session, settings=settings, subscriptions=WATCHLIST.subscriptions, now=clock(), what="tests", **kw)


def test_fan_out_creates_one_keyed_delivery_per_servable_subscription_once(
    store: Store, backend_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    caplog.set_level(logging.INFO, logger="tracker.outbox.fanout")
    with store.transaction() as session:
        audience = _audience(session, backend_settings, clock)
        first = audience.fan_out(
            kind="test", key=lambda sub: f"k:{sub.channel}", payload=lambda sub: {"for": sub.channel}
        )
        again = audience.fan_out(
            kind="test",
            key=lambda sub: f"k:{sub.channel}",
            payload=lambda sub: pytest.fail("content built for an existing key"),
        )
        only_b = audience.fan_out(
            kind="test",
            key=lambda sub: f"other:{sub.id}",
            passes=lambda sub: sub.channel == "console:b",
            link_subscription=False,
        )
    assert list(first.created) == ["console:a", "console:b"]
    assert again.created == {} and again.existing == ["console:a", "console:b"]
    assert sorted(again.pending) == sorted(first.created.values())
    assert list(only_b.created) == ["console:b"]
    # slack:default has no token in the test settings: skipped, with the reason, logged once
    assert "Slack is not configured" in audience.skipped["slack:default"]
    assert sum("slack:default" in r.getMessage() for r in caplog.records) == 1
    with store.transaction() as session:
        rows = {d.idempotency_key: d for d in session.scalars(select(Delivery))}
        subs = {s.channel: s.id for s in session.scalars(select(Subscription))}
        assert rows["k:console:a"].payload == {"for": "console:a"} and rows["k:console:a"].kind == "test"
        assert rows["k:console:a"].subscription_id == subs["console:a"]
        assert rows[f"other:{subs['console:b']}"].subscription_id is None
        assert len(rows) == 3


def test_refusals_and_skips_are_reported_not_created(store: Store, backend_settings: Settings) -> None:
    clock = FakeClock()
    with store.transaction() as session:
        audience = _audience(
            session,
            backend_settings,
            clock,
            wants=lambda sub: True,
            refuse=lambda sub: None if sub.channel.startswith("console:") else "consoles only",
        )
        run = audience.fan_out(
            kind="test",
            key=lambda sub: f"k:{sub.channel}",
            payload=lambda sub: Skip("nothing to say") if sub.channel == "console:b" else {},
        )
    assert list(run.created) == ["console:a"]
    assert audience.skipped == {
        "console:b": "nothing to say",
        "slack:default": "consoles only",
        "email:reader@example.org": "consoles only",
    }


def test_nothing_to_send_checks_no_channel(store: Store, backend_settings: Settings) -> None:
    """A dispatch run with no alert never calls fan_out: unservable channels are not logged on every sweep."""
    clock = FakeClock()
    with store.transaction() as session:
        audience = _audience(session, backend_settings, clock)
        assert audience.skipped == {}
        assert [s.channel for s in audience.subscriptions] == ["console:a", "console:b"]
        assert "slack:default" in audience.skipped
