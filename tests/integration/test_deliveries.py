"""Delivering: once per claim, unknown outcomes resolved before any resend, retries with backoff
and Retry-After, `failed` after permanent errors or max attempts, the `tracker deliveries` CLI,
Slack thread bookkeeping and the webhook notifier over a real socket; both backends."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.factories import make_watchlist, qwen, subscription
from tests.fakes import FakeClock, RecordingNotifier, WebhookReceiver, add_alert_event
from tracker.config import Settings
from tracker.domain import EventType
from tracker.errors import DeliveryError
from tracker.notify import Outgoing
from tracker.notify.webhook import WebhookNotifier
from tracker.outbox.deliver import deliver_one, list_due
from tracker.outbox.deliveries import create_delivery
from tracker.outbox.dispatch import dispatch_pending
from tracker.outbox.inline import process_outbox
from tracker.store import Store
from tracker.store.models import Delivery, Event, SlackThread

WATCHLIST = make_watchlist(qwen(), subscriptions=[subscription("console:test")])


def _one_delivery(store: Store, settings: Settings, clock: FakeClock) -> int:
    with store.transaction() as session:
        add_alert_event(session)
    summary = dispatch_pending(store, settings=settings, watchlist=WATCHLIST, clock=clock)
    assert len(summary.delivery_ids) == 1
    return summary.delivery_ids[0]


def _row(store: Store, delivery_id: int) -> Delivery:
    with store.transaction() as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        return row


def test_deliver_one_sends_once_and_records_it(store: Store, backend_settings: Settings) -> None:
    clock, notifier = FakeClock(), RecordingNotifier()
    delivery_id = _one_delivery(store, backend_settings, clock)

    first = deliver_one(store, delivery_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock)
    second = deliver_one(store, delivery_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock)

    assert (first.status, first.sent) == ("sent", True)
    assert second.status == "skipped"
    assert notifier.counts() == {delivery_id: 1}
    out = notifier.sent[0]
    assert out.message is not None and out.message.artifact == "Qwen/Qwen3-8B"
    assert out.idempotency_key.startswith("event:") and out.channel == "console:test"
    row = _row(store, delivery_id)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, clock())


def test_two_concurrent_deliveries_of_one_row_send_once(store: Store, backend_settings: Settings) -> None:
    clock = FakeClock()
    notifier = RecordingNotifier(gate=threading.Event())
    delivery_id = _one_delivery(store, backend_settings, clock)
    outcomes = []

    def run() -> None:
        outcomes.append(
            deliver_one(store, delivery_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock)
        )

    first = threading.Thread(target=run)
    first.start()
    assert notifier.entered.wait(30)  # the first worker is inside send(), its claim committed
    run()  # a redelivered task for the same delivery, while the first is still sending
    assert notifier.gate is not None
    notifier.gate.set()
    first.join(30)

    assert sorted(o.status for o in outcomes) == ["sent", "skipped"]
    assert notifier.counts() == {delivery_id: 1}


def _stuck_in_sending(store: Store, settings: Settings, clock: FakeClock) -> int:
    """A delivery claimed by a worker that died after sending and before recording."""
    delivery_id = _one_delivery(store, settings, clock)
    with store.transaction() as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        row.status, row.claimed_at, row.claimed_by, row.attempts = "sending", clock(), "dead:1", 1
    return delivery_id


def test_unknown_outcome_found_sent_is_not_sent_again(store: Store, backend_settings: Settings) -> None:
    clock = FakeClock()
    delivery_id = _stuck_in_sending(store, backend_settings, clock)
    notifier = RecordingNotifier(preexisting={delivery_id})

    early = deliver_one(store, delivery_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock)
    assert early.status == "skipped" and notifier.find_calls == 0  # its worker may still be running
    assert list_due(store, settings=backend_settings, clock=clock) == []

    clock.advance(backend_settings.delivery.stale_after_s + 1)
    assert list_due(store, settings=backend_settings, clock=clock) == [delivery_id]
    outcome = deliver_one(store, delivery_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock)

    assert outcome.status == "sent" and outcome.resolved and not outcome.sent
    assert notifier.sent == [] and notifier.find_calls == 1
    assert _row(store, delivery_id).external_ref == {"found": True}


def test_unknown_outcome_not_found_is_sent_once(store: Store, backend_settings: Settings) -> None:
    clock = FakeClock()
    delivery_id = _stuck_in_sending(store, backend_settings, clock)
    notifier = RecordingNotifier()
    clock.advance(backend_settings.delivery.stale_after_s + 1)

    outcomes = [
        deliver_one(store, delivery_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock)
        for _ in range(2)
    ]

    assert [o.status for o in outcomes] == ["sent", "skipped"]
    assert notifier.counts() == {delivery_id: 1}
    assert _row(store, delivery_id).attempts == 2


def test_transient_failure_backs_off_honouring_retry_after(store: Store, backend_settings: Settings) -> None:
    clock = FakeClock()
    notifier = RecordingNotifier(failures=[DeliveryError("Slack 429", retry_after=120)])
    delivery_id = _one_delivery(store, backend_settings, clock)
    start = clock()

    failed = deliver_one(store, delivery_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock)

    assert failed.status == "pending" and failed.error == "Slack 429"
    assert failed.next_attempt_at is not None and failed.next_attempt_at >= start + timedelta(seconds=120)
    clock.advance(60)  # before Retry-After: not due, nothing sent
    assert (
        deliver_one(store, delivery_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock).status
        == "skipped"
    )
    assert list_due(store, settings=backend_settings, clock=clock) == []
    clock.now = failed.next_attempt_at
    assert list_due(store, settings=backend_settings, clock=clock) == [delivery_id]
    done = deliver_one(store, delivery_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock)

    assert done.status == "sent"
    assert notifier.counts() == {delivery_id: 1}
    assert _row(store, delivery_id).attempts == 2


def test_gives_up_after_max_attempts(store: Store, backend_settings: Settings) -> None:
    settings = backend_settings.model_copy(update={"delivery_max_attempts": 3})
    clock = FakeClock()
    notifier = RecordingNotifier(failures=[DeliveryError("down") for _ in range(5)])
    delivery_id = _one_delivery(store, settings, clock)

    statuses = []
    for _ in range(3):
        outcome = deliver_one(store, delivery_id, settings=settings, notifier_for=lambda c: notifier, clock=clock)
        statuses.append(outcome.status)
        clock.advance(7200)  # past any backoff (capped at one hour)

    assert statuses == ["pending", "pending", "failed"]
    assert (
        deliver_one(store, delivery_id, settings=settings, notifier_for=lambda c: notifier, clock=clock).status
        == "skipped"
    )
    assert notifier.sent == []


def test_permanent_failure_is_listed_and_retried_by_the_cli(
    store: Store, backend_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.cli.app import app

    clock = FakeClock()
    notifier = RecordingNotifier(failures=[DeliveryError("channel_not_found", permanent=True)])
    delivery_id = _one_delivery(store, backend_settings, clock)
    outcome = deliver_one(store, delivery_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock)
    assert outcome.status == "failed"
    with store.transaction() as session:  # a second, successful delivery must not be listed as failed
        add_alert_event(session, name="Qwen/Qwen3-4B")
    other = dispatch_pending(store, settings=backend_settings, watchlist=WATCHLIST, clock=clock).delivery_ids[0]
    deliver_one(store, other, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock)

    monkeypatch.setenv("TRACKER_DATA_DIR", str(backend_settings.data_dir))
    monkeypatch.setenv("TRACKER_DATABASE_URL", backend_settings.resolved_database_url)
    runner = CliRunner()
    listed = runner.invoke(app, ["deliveries", "--failed"], env={"COLUMNS": "250"})
    assert listed.exit_code == 0, listed.output
    assert "1 failed delivery" in listed.output and "channel_not_found" in listed.output
    assert [line.split("│")[1].strip() for line in listed.output.splitlines() if "channel_not_found" in line] == [
        str(delivery_id)
    ]
    assert "Qwen/Qwen3-4B" not in listed.output

    bad = runner.invoke(app, ["deliveries", "retry"])
    assert bad.exit_code == 2
    retried = runner.invoke(app, ["deliveries", "retry", str(delivery_id)])
    assert retried.exit_code == 0, retried.output
    assert f"re-queued 1 delivery: {delivery_id}" in retried.output

    row = _row(store, delivery_id)
    assert (row.status, row.attempts) == ("pending", 0)
    assert list_due(store, settings=backend_settings, clock=lambda: row.next_attempt_at) == [delivery_id]
    assert (
        deliver_one(
            store,
            delivery_id,
            settings=backend_settings,
            notifier_for=lambda c: notifier,
            clock=lambda: row.next_attempt_at,
        ).status
        == "sent"
    )
    assert runner.invoke(app, ["deliveries", "--failed"]).output.count("0 failed deliveries") == 1


def test_slack_thread_is_stored_and_variants_reply_in_it(store: Store, backend_settings: Settings) -> None:
    clock = FakeClock()
    notifier = RecordingNotifier(thread_ts="1714300000.000100")
    with store.transaction() as session:
        first = add_alert_event(session)
        release_id = first.release_id
    for name in ("Qwen/Qwen3-8B-Base", "Qwen/Qwen3-4B"):
        with store.transaction() as session:
            from tracker.store.models import Release

            release = session.get(Release, release_id)
            add_alert_event(session, name=name, event_type=EventType.VARIANT_ADDED, release=release)
        summary = dispatch_pending(store, settings=backend_settings, watchlist=WATCHLIST, clock=clock)
        for delivery_id in summary.delivery_ids:
            deliver_one(store, delivery_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock)

    assert next(o.thread for o in notifier.sent) is None
    assert all(o.thread is not None and o.thread.ts == "1714300000.000100" for o in notifier.sent[1:])
    with store.transaction() as session:
        thread = session.scalars(select(SlackThread)).one()
        assert (thread.release_id, thread.channel, thread.variant_count) == (release_id, "console:test", 3)


def test_a_variant_waits_while_its_release_parent_is_in_flight(store: Store, backend_settings: Settings) -> None:
    """Found by the SIGKILL test: a variant delivered while the parent send is in flight (or its
    worker died) must not post a second parent message; it waits, then replies in the thread."""
    from tracker.outbox.claim import PARENT_WAIT_S
    from tracker.store.models import Release

    clock = FakeClock()
    notifier = RecordingNotifier(thread_ts="1714300000.000200", gate=threading.Event())
    with store.transaction() as session:
        release_id = add_alert_event(session).release_id
    (parent_id,) = dispatch_pending(store, settings=backend_settings, watchlist=WATCHLIST, clock=clock).delivery_ids
    with store.transaction() as session:
        add_alert_event(
            session,
            name="Qwen/Qwen3-8B-FP8",
            event_type=EventType.VARIANT_ADDED,
            release=session.get(Release, release_id),
        )
    (variant_id,) = dispatch_pending(store, settings=backend_settings, watchlist=WATCHLIST, clock=clock).delivery_ids

    parent = threading.Thread(
        target=deliver_one,
        args=(store, parent_id),
        kwargs={"settings": backend_settings, "notifier_for": lambda c: notifier, "clock": clock},
    )
    parent.start()
    assert notifier.entered.wait(10), "the parent send never started"
    waited = deliver_one(store, variant_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock)
    assert waited.status == "pending" and waited.next_attempt_at == clock.now + timedelta(seconds=PARENT_WAIT_S)
    assert _row(store, variant_id).attempts == 0, "waiting for the parent is not a failed attempt"
    notifier.gate.set()
    parent.join(10)

    clock.advance(PARENT_WAIT_S)
    notifier.gate = None
    sent = deliver_one(store, variant_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock)
    assert sent.sent
    assert [o.delivery_id for o in notifier.sent] == [parent_id, variant_id]
    assert notifier.sent[0].thread is None and notifier.sent[1].thread.ts == "1714300000.000200"


def test_parent_and_variant_claimed_at_the_same_moment_post_one_parent(
    store: Store, backend_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers claim a release's first delivery and its variant in the same instant: on
    PostgreSQL (READ COMMITTED) neither claim transaction saw the other's uncommitted ``sending``
    row, so both posted a parent message. The claim now locks the release row: the second claim
    waits for the first to commit, sees its send in flight and waits for the parent."""
    import tracker.outbox.claim as deliver_mod
    from tracker.outbox.claim import PARENT_WAIT_S
    from tracker.store.models import Release

    clock = FakeClock()
    notifier = RecordingNotifier(thread_ts="1714300000.000300")
    with store.transaction() as session:
        release_id = add_alert_event(session).release_id
        add_alert_event(
            session,
            name="Qwen/Qwen3-8B-FP8",
            event_type=EventType.VARIANT_ADDED,
            release=session.get(Release, release_id),
        )
    ids = dispatch_pending(store, settings=backend_settings, watchlist=WATCHLIST, clock=clock).delivery_ids
    assert len(ids) == 2

    # Hold each claim transaction at its in-flight check until the other arrives there too (or
    # 2 s pass): without the release lock both arrive, both see nothing in flight, both send.
    arrived = [threading.Event(), threading.Event()]
    original = deliver_mod._parent_in_flight

    def rendezvous(session, delivery, rid):  # type: ignore[no-untyped-def]
        me = ids.index(delivery.id)
        arrived[me].set()
        arrived[1 - me].wait(2.0)
        return original(session, delivery, rid)

    monkeypatch.setattr(deliver_mod, "_parent_in_flight", rendezvous)
    outcomes = []

    def run(delivery_id: int) -> None:
        outcomes.append(
            deliver_one(store, delivery_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock)
        )

    threads = [threading.Thread(target=run, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    parents = [o for o in notifier.sent if o.thread is None]
    assert len(parents) == 1, f"{len(parents)} parent messages for one release"
    assert {o.status for o in outcomes} <= {"pending", "sent"}
    for waiting in (o for o in outcomes if o.status == "pending"):  # the variant waited for the parent
        clock.advance(PARENT_WAIT_S)
        assert deliver_one(
            store, waiting.delivery_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock
        ).sent
    assert notifier.counts() == {ids[0]: 1, ids[1]: 1}
    assert [o.thread is None for o in notifier.sent] == [True, False], "the variant replies in the thread"


def test_process_outbox_dispatches_and_delivers_inline(store: Store, backend_settings: Settings) -> None:
    notifier = RecordingNotifier()
    with store.transaction() as session:
        add_alert_event(session)
        add_alert_event(session, name="Qwen/Qwen3-8B-FP8", kinds=("instruct", "quantized"))

    summary = process_outbox(store, settings=backend_settings, watchlist=WATCHLIST, notifier_for=lambda c: notifier)
    again = process_outbox(store, settings=backend_settings, watchlist=WATCHLIST, notifier_for=lambda c: notifier)

    assert summary.sent == 1 and again.sent == 0  # the FP8 re-upload is filtered out
    assert [o.message.artifact for o in notifier.sent if o.message] == ["Qwen/Qwen3-8B"]


def test_unconfigured_channel_fails_permanently(store: Store, backend_settings: Settings) -> None:
    clock = FakeClock()
    with store.transaction() as session:
        event = add_alert_event(session)
        delivery = create_delivery(
            session=session,
            idempotency_key="x",
            kind="alert",
            channel="email:someone@example.org",
            now=clock(),
            event_id=event.id,
        )
        assert delivery is not None
        session.flush()
        delivery_id = delivery.id
    outcome = deliver_one(store, delivery_id, settings=backend_settings, clock=clock)
    assert outcome.status == "failed" and "not configured yet" in (outcome.error or "")


# --------------------------------------------------------------------------- webhook notifier


def _outgoing(n: int = 7) -> Outgoing:
    return Outgoing(delivery_id=n, idempotency_key=f"event:{n}:1", kind="alert", channel="webhook:x")


def test_webhook_notifier_posts_json_with_idempotency_headers() -> None:
    with WebhookReceiver() as receiver:
        result = WebhookNotifier(receiver.url).send(_outgoing())
    assert result.external_ref == {"status": 200}
    call = receiver.calls[0]
    assert call["headers"]["Idempotency-Key"] == "event:7:1"
    assert call["headers"]["X-Tracker-Delivery"] == "7"
    assert call["json"]["delivery_id"] == 7 and call["json"]["kind"] == "alert"


@pytest.mark.parametrize(
    ("status", "headers", "permanent", "retry_after"),
    [
        (429, {"Retry-After": "42"}, False, 42.0),
        (503, {}, False, None),
        (500, {}, False, None),
        (400, {}, True, None),
        (404, {}, True, None),
        (410, {}, True, None),
    ],
)
def test_webhook_notifier_classifies_errors(
    status: int, headers: dict, permanent: bool, retry_after: float | None
) -> None:
    with WebhookReceiver() as receiver:
        receiver.responses.append((status, headers))
        with pytest.raises(DeliveryError) as info:
            WebhookNotifier(receiver.url).send(_outgoing())
    assert info.value.permanent is permanent
    assert info.value.retry_after == retry_after


def test_webhook_notifier_network_error_is_transient() -> None:
    with WebhookReceiver() as receiver:
        url = receiver.url
    with pytest.raises(DeliveryError) as info:
        WebhookNotifier(url, timeout_s=2).send(_outgoing())
    assert info.value.permanent is False


@pytest.mark.parametrize("backend_settings", ["postgresql"], indirect=True)  # SQLite has no row locks
def test_a_claim_whose_release_stays_locked_is_handed_back(
    store: Store, backend_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review: the claim waits for its release's row lock; a long transaction holding it (a
    `tracker regroup`) must not hold the delivery up indefinitely."""
    import tracker.outbox.claim as deliver_mod
    from tracker.store.models import Release

    monkeypatch.setattr(deliver_mod, "RELEASE_LOCK_TIMEOUT_S", 0.2)
    clock = FakeClock()
    notifier = RecordingNotifier()
    delivery_id = _one_delivery(store, backend_settings, clock)
    with store.transaction() as session:
        release_id = session.get(Event, _row(store, delivery_id).event_id).release_id
    with store.engine.connect() as holder:
        holder.execute(select(Release.id).where(Release.id == release_id).with_for_update())  # held
        outcome = deliver_one(
            store, delivery_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock
        )
        holder.rollback()
    assert outcome.status == "pending" and outcome.next_attempt_at is not None
    row = _row(store, delivery_id)
    assert (row.status, row.attempts, notifier.sent) == ("pending", 0, [])
    assert deliver_one(
        store, delivery_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock
    ).sent  # lock released: sent normally


@pytest.mark.parametrize("retry_after", [-5.0, float("inf"), 999_999_999_999.0, float("nan")])
def test_a_nonsensical_retry_after_is_ignored_not_a_crash(
    store: Store, backend_settings: Settings, retry_after: float
) -> None:
    clock = FakeClock()
    notifier = RecordingNotifier(failures=[DeliveryError("Slack 429", retry_after=retry_after)])
    delivery_id = _one_delivery(store, backend_settings, clock)

    failed = deliver_one(store, delivery_id, settings=backend_settings, notifier_for=lambda c: notifier, clock=clock)

    assert failed.status == "pending"  # never stuck in sending; the backoff alone decides
    assert failed.next_attempt_at is not None and failed.next_attempt_at <= clock() + timedelta(hours=1)


def test_one_send_raising_something_unexpected_does_not_stop_the_others(
    store: Store, backend_settings: Settings
) -> None:
    from tracker.outbox.deliver import deliver_due

    clock = FakeClock()
    with store.transaction() as session:
        add_alert_event(session, title="Qwen3", name="Qwen/Qwen3-8B")
        add_alert_event(session, title="Qwen4", name="Qwen/Qwen4-8B")
    first, second = dispatch_pending(store, settings=backend_settings, watchlist=WATCHLIST, clock=clock).delivery_ids
    notifier = RecordingNotifier()

    class Broken:
        def send(self, out: Outgoing):  # a library's own error, not a DeliveryError
            if out.delivery_id == first:
                raise OverflowError("cannot convert float infinity to integer")
            return notifier.send(out)

        def find_sent(self, out: Outgoing):
            return None

    outcomes = deliver_due(store, settings=backend_settings, notifier_for=lambda c: Broken(), clock=clock)

    assert [(o.delivery_id, o.status) for o in outcomes] == [(first, "sending"), (second, "sent")]
    assert "OverflowError" in (outcomes[0].error or "")
    assert notifier.counts() == {second: 1}
