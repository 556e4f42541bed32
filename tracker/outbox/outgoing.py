"""What a delivery hands its notifier, and the release threads the channels report back.

``build_outgoing`` turns a ``Delivery`` row into the ``tracker.notify.Outgoing`` a notifier
sends: the alert content of its event (built at send time, after the poll that found the release
committed), its frozen payload, and the release's parent message in the delivery's channel
(``SlackThread``), when one exists, so a later variant replies in that thread. ``store_thread``
records the parent a notifier reports after a send.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.domain import EventType
from tracker.notify import Outgoing, ThreadRef
from tracker.notify.content import Message
from tracker.outbox import deliveries as dl
from tracker.outbox.content import build_alert
from tracker.store.models import Artifact, Delivery, Event, SlackThread


def _thread_for(session: Session, release_id: int | None, channel: str) -> ThreadRef | None:
    if release_id is None:
        return None
    row = session.scalars(
        select(SlackThread).where(SlackThread.release_id == release_id, SlackThread.channel == channel)
    ).first()
    return None if row is None else ThreadRef(channel_id=row.channel_id, ts=row.ts, variant_count=row.variant_count)


def _batch_sent(session: Session, delivery: Delivery, event: Event) -> bool:
    """True when another delivery of the same poll's variants of the release, to the same channel, was sent.

    The database remembers what was posted, for every process and every channel mode: webhook
    mode and a bot token without history access cannot ask the channel. Claims of one release's
    deliveries are serialized (``tracker.outbox.claim``), so this read cannot race another send.
    """
    if event.type != EventType.VARIANT_ADDED or event.release_id is None or event.artifact_id is None:
        return False
    first_seen = session.scalar(select(Artifact.first_seen_at).where(Artifact.id == event.artifact_id))
    if first_seen is None:
        return False
    stmt = (
        select(Delivery.id)
        .join(Event, Event.id == Delivery.event_id)
        .join(Artifact, Artifact.id == Event.artifact_id)
        .where(
            Event.release_id == event.release_id,
            Event.type == EventType.VARIANT_ADDED,
            Artifact.first_seen_at == first_seen,
            Delivery.channel == delivery.channel,
            Delivery.status == dl.SENT,
            Delivery.id != delivery.id,
        )
        .limit(1)
    )
    return session.scalars(stmt).first() is not None


def _with_batch_memory(session: Session, delivery: Delivery, event: Event, message: Message) -> Message:
    if message.batch_key and not message.batch_sent and _batch_sent(session, delivery, event):
        return dataclasses.replace(message, batch_sent=True)
    return message


def build_outgoing(*, session: Session, delivery: Delivery) -> tuple[Outgoing, int | None]:
    """Return the ``Outgoing`` for a delivery and the release id it concerns (None for non-alerts).

    Alert content comes from ``tracker.outbox.content.build_alert``; ``thread`` is the release's
    stored Slack parent message in this delivery's channel, when there is one. A variant whose
    poll's batch was already delivered to this channel carries ``batch_sent`` (it is folded).
    """
    message, release_id = None, None
    if delivery.event_id is not None:
        event = session.get(Event, delivery.event_id)
        if event is not None:
            message = _with_batch_memory(session, delivery, event, build_alert(session=session, event=event))
            release_id = event.release_id
    out = Outgoing(
        delivery_id=delivery.id,
        idempotency_key=delivery.idempotency_key,
        kind=delivery.kind,
        channel=delivery.channel,
        message=message,
        payload=dict(delivery.payload or {}),
        thread=_thread_for(session, release_id, delivery.channel),
    )
    return out, release_id


def store_thread(session: Session, *, release_id: int, channel: str, thread: ThreadRef, now: datetime) -> None:
    """Insert or update the release's Slack parent message in ``channel`` (unique per pair)."""
    stmt = select(SlackThread).where(SlackThread.release_id == release_id, SlackThread.channel == channel)
    row = session.scalars(stmt).first()
    if row is None:
        try:
            with session.begin_nested():
                session.add(
                    SlackThread(
                        release_id=release_id,
                        channel=channel,
                        channel_id=thread.channel_id,
                        ts=thread.ts,
                        variant_count=thread.variant_count,
                        created_at=now,
                        updated_at=now,
                    )
                )
            return
        except IntegrityError:  # a concurrent delivery of the same release stored it first
            row = session.scalars(stmt).one()
    row.channel_id, row.ts = thread.channel_id, thread.ts
    row.variant_count = max(row.variant_count or 1, thread.variant_count)
    row.updated_at = now
