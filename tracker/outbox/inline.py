"""Alerts without a worker: dispatch the outbox and deliver what is due, in this process.

``tracker poll`` calls ``process_outbox`` after its poll so that a user who runs no worker still
gets alerts, through exactly the code the workers run (``tracker.outbox.dispatch`` then
``tracker.outbox.deliver``), with the same guarantees: one delivery per (event, subscription), claimed by
compare-and-set before sending. A delivery that fails transiently stays ``pending`` with a
backoff; the next ``tracker poll`` (or a worker) sends it when it is due.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from tracker.config import Settings
from tracker.domain import utcnow
from tracker.outbox.deliver import DeliveryOutcome, NotifierFactory, deliver_due
from tracker.outbox.dispatch import DispatchSummary, dispatch_pending
from tracker.store import Store
from tracker.watchlist import Watchlist


@dataclass(slots=True)
class OutboxSummary:
    """What ``process_outbox`` did: the dispatch summary and one outcome per delivery attempted."""

    dispatch: DispatchSummary
    outcomes: list[DeliveryOutcome] = field(default_factory=list)

    @property
    def sent(self) -> int:
        """Messages sent by this run."""
        return sum(1 for o in self.outcomes if o.sent or o.resolved)

    @property
    def errors(self) -> list[str]:
        """``delivery <id>: <error>`` for every failed attempt of this run."""
        return [f"delivery {o.delivery_id}: {o.error}" for o in self.outcomes if o.error]


def process_outbox(
    store: Store,
    *,
    settings: Settings,
    watchlist: Watchlist,
    notifier_for: NotifierFactory | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> OutboxSummary:
    """Dispatch every pending outbox event, then deliver every due delivery, inline.

    Returns:
        OutboxSummary: deliveries created, and the outcome of each send attempted.
    """
    summary = dispatch_pending(store, settings=settings, watchlist=watchlist, clock=clock)
    outcomes = deliver_due(store, settings=settings, notifier_for=notifier_for, clock=clock)
    return OutboxSummary(dispatch=summary, outcomes=outcomes)
