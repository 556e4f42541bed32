"""The one fan-out: active subscriptions -> keyed deliveries (alerts, digests, the weekly pulse).

Every message tracker sends to its subscribers goes through here, inside the caller's transaction:

1. ``Audience(...)`` syncs the watchlist's subscriptions into the table, keeps the active ones
   this kind of message is for (``wants``) and sets aside the channels that cannot get it: a
   refusal of the kind (``refuse``: digests go by email only) or of the settings
   (``tracker.notify.channel_problem``: Slack without a token...), each logged once;
2. ``Audience.fan_out(...)`` keeps the subscriptions whose filter passes (``passes``) and
   creates one delivery per subscription by its idempotency key (``key``). A key that exists is
   reported (``existing``), never created twice, and its content is not built: ``payload`` is
   called only for new deliveries, and may decline with ``Skip``.

Keys are the callers': ``event:<event_id>:<subscription_id>`` (alerts,
``tracker.outbox.dispatch``), ``digest:<subscription id>:<kind>:<start>`` (digests) and
``pulse:<channel>:<ISO week>`` (the pulse). The unique key in the database makes concurrent
fan-outs (two workers, a retried task) create each delivery once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.config import Settings
from tracker.notify import channel_problem
from tracker.outbox.deliveries import PENDING, create_delivery
from tracker.outbox.subscriptions import list_active, sync_subscriptions
from tracker.store.models import Delivery, Subscription
from tracker.watchlist import Subscription as WatchlistSubscription

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Skip:
    """A ``payload`` callback's answer for a subscription that gets nothing this time, and why."""

    reason: str


@dataclass(slots=True)
class FanOut:
    """What one ``Audience.fan_out`` did.

    Attributes:
        created (dict[str, int]): channel -> id of the delivery created (subscription order).
        existing (list[str]): channels whose delivery already existed (nothing created).
        pending (list[int]): ids of those existing deliveries that are still pending.
    """

    created: dict[str, int] = field(default_factory=dict)
    existing: list[str] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)


class Audience:
    """The subscriptions one kind of message goes to, synced and checked once per transaction.

    Args:
        session (Session): the caller's transaction (never committed here).
        settings (Settings): decides which channels can be served.
        subscriptions (Iterable[watchlist.Subscription]): the watchlist's, synced into the table first.
        now (datetime): UTC; sync and ``created_at`` time.
        wants (callable): ``Subscription -> bool``: the active subscriptions this message is for.
        refuse (callable, optional): ``Subscription -> str | None``: why this kind of message
            cannot go to the subscription's channel (checked before the settings).
        what (str): the message in log lines (``alerts``, ``weekly digest``, ``pulse``).
        skipped (dict[str, str], optional): channel -> why it gets nothing; pass one dict to
            several audiences (batches of one run) to log each channel once.

    Attributes:
        skipped (dict[str, str]): channels set aside, and why.
    """

    def __init__(
        self,
        session: Session,
        *,
        settings: Settings,
        subscriptions: Iterable[WatchlistSubscription],
        now: datetime,
        wants: Callable[[Subscription], bool],
        refuse: Callable[[Subscription], str | None] | None = None,
        what: str,
        skipped: dict[str, str] | None = None,
    ):
        self.session, self.settings, self.now, self.what = session, settings, now, what
        self.wants, self.refuse = wants, refuse
        self.skipped = skipped if skipped is not None else {}
        sync_subscriptions(session=session, subscriptions=subscriptions, now=now)
        self._servable: list[Subscription] | None = None

    @property
    def subscriptions(self) -> list[Subscription]:
        """The servable subscriptions, oldest first (checked on first use: nothing is logged for
        a run that has nothing to send)."""
        if self._servable is None:
            self._servable = []
            for sub in list_active(session=self.session):
                if not self.wants(sub):
                    continue
                problem = (self.refuse(sub) if self.refuse else None) or channel_problem(self.settings, sub.channel)
                if problem is None:
                    self._servable.append(sub)
                else:
                    self.skip(sub.channel, problem)
        return self._servable

    def skip(self, channel: str, reason: str) -> None:
        """Record that ``channel`` gets nothing, and why (logged the first time only)."""
        if channel not in self.skipped:
            self.skipped[channel] = reason
            log.info("subscription %s gets no %s: %s", channel, self.what, reason)

    def fan_out(
        self,
        *,
        kind: str,
        key: Callable[[Subscription], str],
        passes: Callable[[Subscription], bool] | None = None,
        payload: Callable[[Subscription], dict[str, Any] | Skip] | None = None,
        event_id: int | None = None,
        link_subscription: bool = True,
    ) -> FanOut:
        """Create one ``kind`` delivery per servable subscription that ``passes``, keyed by ``key(sub)``.

        Args:
            kind (str): the delivery kind (``alert``, ``digest``, ``pulse``).
            key (callable): the subscription's idempotency key for this message.
            passes (callable, optional): the subscription's filter; None = every subscription.
            payload (callable, optional): the new delivery's payload (content frozen for the
                send), or ``Skip``; called only when the key does not exist yet.
            event_id (int, optional): the outbox event the deliveries are about.
            link_subscription (bool): record the subscription on the delivery.

        Returns:
            FanOut: the deliveries created and the ones that already existed.
        """
        run = FanOut()
        targets = [(sub, key(sub)) for sub in self.subscriptions if passes is None or passes(sub)]
        if not targets:
            return run
        found = {
            k: (i, status)
            for k, i, status in self.session.execute(
                select(Delivery.idempotency_key, Delivery.id, Delivery.status).where(
                    Delivery.idempotency_key.in_([k for _, k in targets])
                )
            )
        }
        for sub, k in targets:
            if k in found:
                run.existing.append(sub.channel)
                if found[k][1] == PENDING:
                    run.pending.append(found[k][0])
                continue
            content = payload(sub) if payload is not None else None
            if isinstance(content, Skip):
                self.skip(sub.channel, content.reason)
                continue
            row = create_delivery(
                session=self.session,
                idempotency_key=k,
                kind=kind,
                channel=sub.channel,
                now=self.now,
                event_id=event_id,
                payload=content,
                subscription_id=sub.id if link_subscription else None,
            )
            if row is None:  # a concurrent fan-out created it first
                run.existing.append(sub.channel)
                continue
            self.session.flush()
            run.created[sub.channel] = row.id
        return run
