"""A failed send whose message may have gone out (``outcome_unknown``): the next attempt asks first.

The failure is recorded like any other (``pending`` with a backoff, never ``sending``), its error
marked; the next attempt records ``sent`` without sending when the channel has the message, sends
once when it does not, and fails again (without sending) when the channel cannot be asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.factories import make_watchlist, qwen, subscription
from tests.fakes import FakeClock, RecordingNotifier, add_alert_event
from tracker.config import Settings
from tracker.errors import DeliveryError
from tracker.notify import Outgoing, SendResult
from tracker.outbox.deliver import deliver_one
from tracker.outbox.deliveries import OUTCOME_UNKNOWN_MARK
from tracker.outbox.dispatch import dispatch_pending
from tracker.store import Store
from tracker.store.models import Delivery

WATCHLIST = make_watchlist(qwen(), subscriptions=[subscription("console:test")])


def _one_delivery(store: Store, settings: Settings, clock: FakeClock) -> int:
    with store.transaction() as session:
        add_alert_event(session)
    summary = dispatch_pending(store, settings=settings, watchlist=WATCHLIST, clock=clock)
    assert len(summary.delivery_ids) == 1
    return summary.delivery_ids[0]


@dataclass
class CheckFails(RecordingNotifier):
    """``find_sent`` raises the next of ``find_failures`` (then answers as ``RecordingNotifier``)."""

    find_failures: list[DeliveryError] = field(default_factory=list)

    def find_sent(self, out: Outgoing) -> SendResult | None:
        if self.find_failures:
            self.find_calls += 1
            raise self.find_failures.pop(0)
        return super().find_sent(out)


def _attempt(store: Store, delivery_id: int, settings: Settings, notifier: RecordingNotifier, clock: FakeClock):
    outcome = deliver_one(store, delivery_id, settings=settings, notifier_for=lambda c: notifier, clock=clock)
    if outcome.next_attempt_at is not None:
        clock.now = outcome.next_attempt_at  # the backoff has passed
    return outcome


def _unknown() -> DeliveryError:
    return DeliveryError("Slack chat.postMessage: no complete answer within 2 s", outcome_unknown=True)


def test_a_post_that_went_out_is_recorded_sent_without_a_second_post(store: Store, backend_settings: Settings) -> None:
    clock = FakeClock()
    delivery_id = _one_delivery(store, backend_settings, clock)
    notifier = RecordingNotifier(failures=[_unknown()], preexisting={delivery_id})

    failed = _attempt(store, delivery_id, backend_settings, notifier, clock)
    asked_first = notifier.find_calls
    with store.transaction() as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        assert row.status == "pending" and (row.last_error or "").startswith(OUTCOME_UNKNOWN_MARK)
    done = _attempt(store, delivery_id, backend_settings, notifier, clock)

    assert failed.status == "pending" and asked_first == 0  # the first attempt asks nothing
    assert done.status == "sent" and done.resolved and not done.sent
    assert notifier.sent == [] and notifier.find_calls == 1


def test_a_check_that_fails_is_a_failure_not_a_blind_resend(store: Store, backend_settings: Settings) -> None:
    clock = FakeClock()
    delivery_id = _one_delivery(store, backend_settings, clock)
    notifier = CheckFails(failures=[_unknown()], find_failures=[DeliveryError("history: no complete answer")])

    outcomes = [_attempt(store, delivery_id, backend_settings, notifier, clock) for _ in range(3)]

    assert [o.status for o in outcomes] == ["pending", "pending", "sent"]
    assert (outcomes[1].error or "").startswith(OUTCOME_UNKNOWN_MARK)  # still unknown: asked again next time
    assert notifier.find_calls == 2 and notifier.counts() == {delivery_id: 1}


def test_an_ordinary_failure_is_retried_without_asking(store: Store, backend_settings: Settings) -> None:
    clock = FakeClock()
    delivery_id = _one_delivery(store, backend_settings, clock)
    notifier = RecordingNotifier(failures=[DeliveryError("Slack is unreachable")])

    outcomes = [_attempt(store, delivery_id, backend_settings, notifier, clock) for _ in range(2)]

    assert [o.status for o in outcomes] == ["pending", "sent"]
    assert notifier.find_calls == 0 and notifier.counts() == {delivery_id: 1}
