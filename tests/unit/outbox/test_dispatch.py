"""Outbox dispatch: one delivery per (alert event, matching subscription), once, on both backends."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from tests.factories import make_watchlist, qwen, subscription
from tests.fakes import FakeClock, add_alert_event
from tracker.config import Settings
from tracker.domain import EventType
from tracker.outbox.dispatch import delivery_key, dispatch_pending
from tracker.store import Store
from tracker.store.models import Delivery, Event, Subscription
from tracker.watchlist import Watchlist

WATCHLIST = make_watchlist(
    qwen(),
    subscriptions=[
        subscription("console:all"),
        subscription("webhook:http://127.0.0.1:9/big", min_params_b=30),
        subscription("slack:default"),
        subscription("console:digest", digest="weekly"),
    ],
)


def _deliveries(store: Store) -> list[Delivery]:
    with store.transaction() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def test_dispatch_creates_one_delivery_per_matching_subscription(store: Store, backend_settings: Settings) -> None:
    clock = FakeClock()
    with store.transaction() as session:
        small = add_alert_event(session, name="Qwen/Qwen3-8B", params_total_b=8)
        big = add_alert_event(session, name="Qwen/Qwen3-235B-A22B", params_total_b=235)
        rename = Event(type=EventType.ARTIFACT_RENAMED.value, payload={}, created_at=clock())
        session.add(rename)
        session.flush()
        ids = (small.id, big.id, rename.id)

    summary = dispatch_pending(store, settings=backend_settings, watchlist=WATCHLIST, clock=clock)

    assert (summary.events, summary.alerts) == (3, 2)
    rows = _deliveries(store)
    with store.transaction() as session:
        subs = {s.channel: s.id for s in session.scalars(select(Subscription))}
        events = {e.id: e for e in session.scalars(select(Event))}
    assert sorted((r.event_id, r.channel) for r in rows) == sorted(
        [
            (ids[0], "console:all"),
            (ids[1], "console:all"),
            (ids[1], "webhook:http://127.0.0.1:9/big"),
        ]
    )
    assert {r.idempotency_key for r in rows} == {delivery_key(r.event_id, subs[r.channel]) for r in rows}
    assert all(r.status == "pending" and r.kind == "alert" for r in rows)
    assert sorted(summary.delivery_ids) == sorted(r.id for r in rows)
    assert all(e.dispatched_at == clock() for e in events.values())
    # Slack has no token here: no delivery, and the reason is reported
    assert "slack:default" in summary.skipped_channels


def test_dispatch_twice_creates_nothing_new(store: Store, backend_settings: Settings) -> None:
    with store.transaction() as session:
        add_alert_event(session)
    dispatch_pending(store, settings=backend_settings, watchlist=WATCHLIST)
    again = dispatch_pending(store, settings=backend_settings, watchlist=WATCHLIST)
    with store.transaction() as session:  # even with the events marked undispatched again
        for event in session.scalars(select(Event)):
            event.dispatched_at = None
    third = dispatch_pending(store, settings=backend_settings, watchlist=WATCHLIST)

    assert again.events == 0 and again.delivery_ids == []
    assert third.events == 1 and third.delivery_ids == []
    assert len(_deliveries(store)) == 1


def test_concurrent_dispatchers_create_each_delivery_once(store: Store, backend_settings: Settings) -> None:
    with store.transaction() as session:
        for n in range(20):
            add_alert_event(session, name=f"Qwen/Qwen3-{n}B", params_total_b=100)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            dispatch_pending(store, settings=backend_settings, watchlist=WATCHLIST, batch=3)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors, errors
    rows = _deliveries(store)
    assert len(rows) == 40  # 20 events x (console:all + the >= 30B webhook)
    assert len({r.idempotency_key for r in rows}) == 40


def test_watchlist_sync_disables_removed_and_keeps_api_subscriptions(store: Store, backend_settings: Settings) -> None:
    clock = FakeClock()
    dispatch_pending(store, settings=backend_settings, watchlist=WATCHLIST, clock=clock)
    with store.transaction() as session:
        session.add(Subscription(channel="console:api", filters={}, origin="api", created_at=clock()))
    smaller = Watchlist(labs=WATCHLIST.labs, subscriptions=WATCHLIST.subscriptions[:1], source="t")

    dispatch_pending(store, settings=backend_settings, watchlist=smaller, clock=clock)

    with store.transaction() as session:
        subs = {s.channel: s for s in session.scalars(select(Subscription))}
        assert subs["console:all"].disabled_at is None
        assert subs["webhook:http://127.0.0.1:9/big"].disabled_at is not None
        assert subs["webhook:http://127.0.0.1:9/big"].filters == {"min_params_b": 30.0}
        assert subs["console:api"].disabled_at is None
        add_alert_event(session, params_total_b=300)
    summary = dispatch_pending(store, settings=backend_settings, watchlist=smaller, clock=clock)
    assert sorted(r.channel for r in _deliveries(store)) == ["console:all", "console:api"]
    assert len(summary.delivery_ids) == 2

    dispatch_pending(store, settings=backend_settings, watchlist=WATCHLIST, clock=clock)  # back again
    with store.transaction() as session:
        assert (
            session.scalars(select(Subscription).where(Subscription.channel == "webhook:http://127.0.0.1:9/big"))
            .one()
            .disabled_at
            is None
        )


def test_deliver_task_requeues_a_transient_failure_after_retry_after(
    store: Store, backend_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracker.outbox.deliver
    from tests.fakes import RecordingNotifier
    from tracker.errors import DeliveryError
    from workers.app import create_celery
    from workers.schedule import DELIVER_TASK, DISPATCH_TASK

    with store.transaction() as session:
        add_alert_event(session)
    notifier = RecordingNotifier(failures=[DeliveryError("429 from the channel", retry_after=5)])
    monkeypatch.setattr(tracker.outbox.deliver, "build_notifier", lambda settings, channel: notifier)
    app = create_celery(backend_settings, WATCHLIST)
    queued: list[tuple[str, list, dict]] = []
    monkeypatch.setattr(app, "send_task", lambda name, args=(), **kw: queued.append((name, list(args), kw)))

    dispatched = app.tasks[DISPATCH_TASK].apply().result
    assert dispatched["deliveries"] == 1
    ((_name, args, _options),) = [q for q in queued if q[0] == DELIVER_TASK]
    result = app.tasks[DELIVER_TASK].apply(args=args).result

    assert result["status"] == "pending"
    # never sooner than Retry-After (5 s, minus the moments spent recording); the first backoff is <= 30 s
    assert 4 <= result["retry_in_s"] <= 30
    retry = queued[-1]
    assert retry[0] == DELIVER_TASK and retry[1] == args
    assert retry[2]["countdown"] == pytest.approx(result["retry_in_s"], abs=0.001)
    assert notifier.sent == []
