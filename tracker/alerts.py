"""Send pending outbox events to the configured notifiers (first version, before deliveries).

Each alert event is handed to every route whose filter matches, then marked ``notified_at``.
A transient failure leaves the event pending so the next run retries it (at-least-once: a
channel that succeeded before another failed may see the alert again); a permanent failure is
recorded in the event's payload and not retried.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from tracker.domain import utcnow
from tracker.errors import DeliveryError
from tracker.notify import Route
from tracker.notify.messages import ALERT_EVENTS, Message, build_message
from tracker.store import Store
from tracker.store import queries as q

log = logging.getLogger(__name__)


@dataclass(slots=True)
class AlertSummary:
    """What ``send_pending_alerts`` did: messages built, sends done, errors by channel."""

    messages: list[Message] = field(default_factory=list)
    sent: int = 0
    errors: list[str] = field(default_factory=list)


def send_pending_alerts(store: Store, routes: Sequence[Route]) -> AlertSummary:
    """Deliver every pending alert event to the matching routes and mark it notified.

    Returns:
        AlertSummary: the messages (also logged), the number of sends and the errors.
    """
    summary = AlertSummary()
    with store.transaction() as session:
        events = q.list_pending_events(session=session, types=[t.value for t in ALERT_EVENTS])
        for event in events:
            message = build_message(event.id, event.type, event.payload)
            summary.messages.append(message)
            log.info("alert: %s %s", message.headline, message.url)
            retry = False
            failures = []
            for route in routes:
                if not route.matches(message):
                    continue
                try:
                    route.notifier.send(message)
                    summary.sent += 1
                except DeliveryError as exc:
                    summary.errors.append(f"{route.notifier.name}: {exc}")
                    failures.append({"channel": route.notifier.name, "error": str(exc),
                                     "permanent": exc.permanent})
                    retry = retry or not exc.permanent
            if failures:
                event.payload = {**event.payload, "delivery_errors": failures}
            if not retry:
                event.notified_at = utcnow()
    return summary
