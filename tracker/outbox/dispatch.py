"""The outbox dispatcher: undispatched events -> one ``Delivery`` per (event, matching subscription).

The pipeline writes events in the same transaction as the releases they describe; this module
turns each one, once, into delivery rows and marks it ``dispatched_at``, in one transaction. The
delivery key ``event:<event_id>:<subscription_id>`` is unique in the database, so a dispatcher
run twice (a redelivered task, two workers, the periodic sweep racing the post-poll nudge)
creates every delivery once. On PostgreSQL concurrent dispatchers skip each other's locked events
(``FOR UPDATE SKIP LOCKED``); SQLite serialises writers anyway.

Alert events (``tracker.outbox.content.ALERT_EVENTS``) produce deliveries; so do follow-ups
of an announced release and org-move notices, to their own audiences (``tracker.outbox.follow_ups``:
only the channels that got the release, never email; one email per release, variants folded), and
radar alerts, to the alert subscriptions that follow no particular lab
(``tracker.outbox.radar_content``).
The others (renames, artifact withdrawals, revisions) are marked dispatched and stay in the
history. An event is not dispatched before its ``not_before`` (a withdrawal waiting out its
grace period, a paper waiting for its weights); one with ``cancelled_at`` set (the change was
undone in time) is marked dispatched and sends nothing. Subscriptions
with a ``digest`` period get digests, not alerts. The deliveries are created by the fan-out
(``tracker.outbox.fanout``): a subscription whose channel cannot be served with the current
settings (``tracker.notify.channel_problem``, e.g. Slack without a token) gets no delivery, and
the alert is still logged (``alert: <headline>``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tracker.config import Settings
from tracker.domain import utcnow
from tracker.outbox.content import ALERT_EVENTS, build_alert
from tracker.outbox.fanout import Audience, FanOut
from tracker.outbox.follow_ups import (
    FOLLOW_UP_TYPES,
    NOTICE_TYPES,
    email_alert_payload,
    fan_out_follow_up,
    fan_out_notice,
    hold_email_alerts,
    is_email,
)
from tracker.outbox.mutes import active_mutes, event_subjects, muted_by
from tracker.outbox.radar_content import RADAR_TYPES, fan_out_radar
from tracker.outbox.subscriptions import facts_for_event, matches
from tracker.store import Store
from tracker.store.models import Event, Subscription
from tracker.watchlist import Watchlist

log = logging.getLogger(__name__)

ALERT_TYPES = frozenset(t.value for t in ALERT_EVENTS)
DEFAULT_BATCH = 200


def delivery_key(event_id: int, subscription_id: int) -> str:
    """Return the idempotency key of an alert delivery: ``event:<event_id>:<subscription_id>``."""
    return f"event:{event_id}:{subscription_id}"


@dataclass(slots=True)
class DispatchSummary:
    """What one ``dispatch_pending`` run did.

    Attributes:
        events (int): events marked dispatched (alerts and others).
        alerts (int): alert events among them (follow-ups and notices included).
        cancelled (int): events marked dispatched without sending (``cancelled_at`` set).
        muted (int): alerts and follow-ups held back by a mute (no delivery, now or later).
        delivery_ids (list[int]): deliveries created (to enqueue for sending).
        skipped_channels (dict[str, str]): channels that got no delivery, and why.
    """

    events: int = 0
    alerts: int = 0
    cancelled: int = 0
    muted: int = 0
    delivery_ids: list[int] = field(default_factory=list)
    skipped_channels: dict[str, str] = field(default_factory=dict)


def dispatch_pending(
    store: Store,
    *,
    settings: Settings,
    watchlist: Watchlist,
    clock: Callable[[], datetime] = utcnow,
    batch: int = DEFAULT_BATCH,
) -> DispatchSummary:
    """Turn every undispatched outbox event into deliveries, in batches of ``batch`` events.

    Each batch is one transaction: the watchlist's subscriptions are synced, the events that are
    due read (oldest first; ``not_before`` passed or unset), deliveries created for matching
    subscriptions and the events marked ``dispatched_at``. Safe to run concurrently and repeatedly.

    Args:
        store (Store): the database.
        settings (Settings): decides which channels can be served.
        watchlist (Watchlist): its ``subscriptions`` are synced into the table first.
        clock (callable, optional): returns the current UTC time.
        batch (int, optional): events per transaction.

    Returns:
        DispatchSummary: counts and the ids of the deliveries created.
    """
    summary = DispatchSummary()
    while True:
        with store.transaction() as session:
            now = clock()
            audience = Audience(
                session,
                settings=settings,
                subscriptions=watchlist.subscriptions,
                now=now,
                wants=lambda sub: sub.digest is None,
                what="alerts",
                skipped=summary.skipped_channels,
            )
            stmt = (
                select(Event)
                .where(Event.dispatched_at.is_(None), or_(Event.not_before.is_(None), Event.not_before <= now))
                .order_by(Event.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
            events = list(session.scalars(stmt))
            if not events:
                return summary
            mutes = active_mutes(session=session, now=now)
            for event in events:
                event.dispatched_at = now
                summary.events += 1
                if event.cancelled_at is not None:  # undone before it was due: nothing to say
                    summary.cancelled += 1
                    continue
                mute = muted_by(mutes, event_subjects(session=session, event=event)) if mutes else None
                if mute is not None and (event.release_id is not None or event.type in RADAR_TYPES):
                    # held back on every channel
                    log.info("muted (%s): %s of release %s", mute.target, event.type, event.release_id)
                    summary.muted += 1
                    continue
                run = _fan_out_event(session, audience, event, settings=settings, watchlist=watchlist, now=now)
                if run is not None:
                    summary.alerts += 1
                    summary.delivery_ids.extend(run.created.values())
            if len(events) < batch:
                return summary


def _fan_out_event(
    session: Session, audience: Audience, event: Event, *, settings: Settings, watchlist: Watchlist, now: datetime
) -> FanOut | None:
    """The deliveries of one due event; None for an event that is recorded only."""
    if event.type in FOLLOW_UP_TYPES:
        log.info("follow-up: %s of release %s", event.type, event.release_id)
        return fan_out_follow_up(audience, session, event, settings=settings)
    if event.type in NOTICE_TYPES:
        log.info("notice: %s %s", event.type, (event.payload or {}).get("org"))
        return fan_out_notice(audience, event, watchlist=watchlist)
    if event.type in RADAR_TYPES:
        log.info("radar: %s", (event.payload or {}).get("org"))
        return fan_out_radar(audience, event)
    if event.type not in ALERT_TYPES:
        return None
    message = build_alert(session=session, event=event)
    log.info("alert: %s %s", message.headline, message.url)
    facts = facts_for_event(session=session, event=event)
    run = audience.fan_out(
        kind="alert",
        key=partial(_event_key, event.id),
        event_id=event.id,
        passes=lambda sub: matches(sub.filters or {}, facts),
        payload=lambda sub: email_alert_payload(event) if is_email(sub.channel) else None,
    )
    hold_email_alerts(session, run, event, settings=settings, now=now)
    return run


def _event_key(event_id: int, sub: Subscription) -> str:
    return delivery_key(event_id, sub.id)
