"""The outbox and what it becomes: events, subscriptions, deliveries, Slack parent messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.store.models.base import Base


class Event(Base):
    """An outbox row: a domain event written in the same transaction as the change it describes.

    ``dispatched_at`` is set once ``tracker.outbox.dispatch`` has turned it into deliveries.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"), index=True)
    artifact_id: Mapped[int | None] = mapped_column(ForeignKey("artifacts.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    #: unique when set: an event that must exist once (``quiet:<lab>:<release_id>``, ...)
    dedupe_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    #: set once the dispatcher has turned the event into deliveries (undispatched events are the queue)
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)
    #: not dispatched before this time (UTC): a paper waiting for its weights, a withdrawal waiting
    #: out its grace period; None means at once
    not_before: Mapped[datetime | None]
    #: set when the change it announced was undone before it was dispatched (a repo restored within
    #: the grace period, a held paper absorbed by its launch); it is then marked dispatched unsent
    cancelled_at: Mapped[datetime | None]


class Subscription(Base):
    """A channel and its filter, synchronised from the watchlist or created through the API.

    Attributes:
        channel: ``slack:#chan``, ``slack:default``, ``email:addr``, ``webhook:https://...``.
        filters: ``{"labs": [...], "countries": [...], "kinds": [...], "min_params_b": float,
            "significance": float, "licences": [...]}``; missing keys mean "any".
        digest: ``daily`` | ``weekly`` for email digests, else None.
        origin: ``watchlist`` (re-synced on start) or ``api`` (managed through the API).
        disabled_at / disabled_reason: set when the channel failed permanently (e.g. invalid_auth).
    """

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(500), unique=True)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    digest: Mapped[str | None] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16), default="watchlist")
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)


class Delivery(Base):
    """One message to one channel: an alert (event x subscription), a digest, a pulse.

    ``idempotency_key`` is unique: ``event:<event_id>:<subscription_id>``,
    ``digest:<subscription_id>:<period start ISO>``, ``pulse:<channel>:<ISO week>``... A second
    attempt to create the same delivery is a no-op, so nothing is ever sent twice by design.

    Attributes:
        status: ``pending`` -> ``sending`` (claimed by a worker, compare-and-set) -> ``sent`` |
            ``failed`` (gave up after max attempts or a permanent error); ``unknown`` when a worker
            died between sending and recording (resolved before any resend where possible).
        attempts: sends tried. next_attempt_at: earliest UTC time for the next try (backoff).
        claimed_at / claimed_by: when and by which worker the current attempt was claimed.
        external_ref: what the channel returned (Slack ``{"channel", "ts"}``, SMTP Message-ID...).
        payload: what to send when it is not derived from the event (digest period, pulse week...).
    """

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # alert | digest | pulse | cadence | test
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    channel: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    external_ref: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]


class SlackThread(Base):
    """The parent Slack message of a release in one channel: later variants reply in its thread.

    Attributes:
        channel_id / ts: the parent message (``chat.postMessage`` answer), used as ``thread_ts``.
        variant_count: variants shown in the parent (updated with ``chat.update``).
    """

    __tablename__ = "slack_threads"
    __table_args__ = (UniqueConstraint("release_id", "channel", name="uq_slack_threads_release_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    channel: Mapped[str] = mapped_column(String(500))  # the subscription channel (slack:#x)
    channel_id: Mapped[str] = mapped_column(String(64))
    ts: Mapped[str] = mapped_column(String(32))
    variant_count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
