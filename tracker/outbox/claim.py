"""Claiming a delivery: who may send it, and when a variant must wait for its parent message.

The claim is its own short transaction, committed before anything is sent: the compare-and-set
``pending -> sending`` of ``tracker.outbox.deliveries.claim``. The claim transaction also locks
the release's row, so claims of one release's deliveries (a release and its variants) are
serialized: a variant whose parent message is still in flight is handed back and waits
``PARENT_WAIT_S`` instead of posting a second parent. A claim whose worker died is taken over
(``take_over_stale``) once it is older than ``settings.delivery.stale_after_s``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tracker.notify import Outgoing
from tracker.outbox import deliveries as dl
from tracker.outbox.outgoing import build_outgoing
from tracker.store import Store
from tracker.store.models import Delivery, Event, Release

log = logging.getLogger(__name__)

#: PostgreSQL SQLSTATE of a lock wait that exceeded ``lock_timeout``.
LOCK_NOT_AVAILABLE = "55P03"

#: Seconds a variant waits for the parent message of its release that another worker is sending.
PARENT_WAIT_S = 5.0

#: Seconds a claim waits for the lock on its release's row (PostgreSQL ``lock_timeout``): another
#: claim of the same release holds it for milliseconds, a long ``tracker regroup`` for longer.
RELEASE_LOCK_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this worker won: its row is ``sending``.

    Attributes:
        out (Outgoing): what to hand the notifier. release_id (int, optional): the release it
            concerns (None for digests and pulses). attempts (int): sends so far, this one included.
    """

    out: Outgoing
    release_id: int | None
    attempts: int


@dataclass(frozen=True, slots=True)
class HandedBack:
    """A claim given back without counting an attempt: the row is ``pending``, due at ``retry_at`` (UTC)."""

    retry_at: datetime


class _ReleaseBusy(Exception):
    """Internal: the release's row stayed locked past ``RELEASE_LOCK_TIMEOUT_S``."""


def _lock_release(session: Session, delivery: Delivery) -> int | None:
    """Lock the row of the release ``delivery`` concerns until this claim transaction commits.

    Returns:
        int | None: the release id (None for deliveries that are not about a release).

    Raises:
        _ReleaseBusy: the row stayed locked for ``RELEASE_LOCK_TIMEOUT_S`` (PostgreSQL); the
            claim transaction must be rolled back.

    Claims of the same release's deliveries then run one after another: the second sees the
    first's committed ``sending`` row (``_parent_in_flight``) or its stored Slack thread, so two
    workers never both post a parent message. Without it, two claim transactions on PostgreSQL
    (READ COMMITTED) could each miss the other's uncommitted claim. SQLite needs no lock (one
    writer at a time).
    """
    event = session.get(Event, delivery.event_id) if delivery.event_id is not None else None
    release_id = event.release_id if event is not None else None  # build_outgoing's get is then a cache hit
    if release_id is None or session.get_bind().dialect.name != "postgresql":  # SQLite: one writer
        return release_id
    session.execute(text(f"SET LOCAL lock_timeout = '{int(RELEASE_LOCK_TIMEOUT_S * 1000)}ms'"))
    try:
        # FOR NO KEY UPDATE: conflicts with itself, not with inserts that merely reference the
        # release (artifacts, events, Slack threads take KEY SHARE locks through their foreign keys).
        session.execute(select(Release.id).where(Release.id == release_id).with_for_update(key_share=True))
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise _ReleaseBusy(release_id) from exc
        raise
    return release_id


def _parent_in_flight(session: Session, delivery: Delivery, release_id: int | None) -> bool:
    """True when another delivery of ``release_id`` to the same channel is ``sending``/``unknown``."""
    if release_id is None or delivery.event_id is None:
        return False
    stmt = (
        select(Delivery.id)
        .join(Event, Event.id == Delivery.event_id)
        .where(
            Event.release_id == release_id,
            Delivery.channel == delivery.channel,
            Delivery.id != delivery.id,
            Delivery.status.in_([dl.SENDING, dl.UNKNOWN]),
        )
        .limit(1)
    )
    return session.scalars(stmt).first() is not None


def claim_delivery(store: Store, delivery_id: int, *, worker: str, now: datetime) -> Claimed | HandedBack | None:
    """Claim transaction: win the row, lock its release, build the message or hand the row back.

    Args:
        store (Store): the database. delivery_id (int): the ``Delivery`` row.
        worker (str): recorded as ``claimed_by``. now (datetime): UTC.

    Returns:
        Claimed | HandedBack | None: ``Claimed`` (the row is now ``sending``: send it);
        ``HandedBack`` (still ``pending``, no attempt counted: its parent message is in flight
        or its release is locked); None when the claim was lost (another worker has it, it is
        not due yet, or it is done).
    """
    try:
        return _claim(store, delivery_id, worker=worker, now=now)
    except _ReleaseBusy as busy:  # the claim was rolled back: still pending, no attempt counted
        retry_at = now + timedelta(seconds=PARENT_WAIT_S)
        log.info(
            "delivery %d waits %ss: release %s is locked by another transaction",
            delivery_id,
            PARENT_WAIT_S,
            busy.args[0],
        )
        return HandedBack(retry_at)


def _claim(store: Store, delivery_id: int, *, worker: str, now: datetime) -> Claimed | HandedBack | None:
    """``claim_delivery``'s transaction; raises ``_ReleaseBusy`` (rolled back) when the release stays locked."""
    with store.transaction() as session:
        if not dl.claim(session=session, delivery_id=delivery_id, worker=worker, now=now):
            return None
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        attempts = delivery.attempts
        release_id = _lock_release(session, delivery)
        # In-flight before the thread: a parent send recorded between the two reads is then seen
        # as a stored thread; the other order could miss it both times and post a second parent.
        in_flight = _parent_in_flight(session, delivery, release_id)
        out, release_id = build_outgoing(session=session, delivery=delivery)
        if out.thread is None and in_flight:
            # Another delivery of this release to this channel is being sent (or its outcome is
            # unknown): it will create the parent message. Sending now would post a second parent,
            # so hand the claim back without counting an attempt and try again shortly.
            retry_at = now + timedelta(seconds=PARENT_WAIT_S)
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id)
                .values(
                    status=dl.PENDING,
                    attempts=Delivery.attempts - 1,
                    next_attempt_at=retry_at,
                    claimed_at=None,
                    claimed_by=None,
                )
            )
            log.info(
                "delivery %d waits %ss for the parent message of release %s in %s",
                delivery_id,
                PARENT_WAIT_S,
                release_id,
                delivery.channel,
            )
            return HandedBack(retry_at)
    return Claimed(out, release_id, attempts)


def take_over_stale(store: Store, *, delivery_id: int, now: datetime, stale_after_s: float, worker: str) -> bool:
    """Compare-and-set a stale ``sending``/``unknown`` claim to ``unknown`` owned by ``worker``.

    Stale: claimed more than ``stale_after_s`` seconds before ``now`` (its worker died between
    the send and recording it). Returns True when this caller took it over.
    """
    stale_before = now - timedelta(seconds=stale_after_s)
    with store.transaction() as session:
        result = session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.status.in_((dl.SENDING, dl.UNKNOWN)),
                or_(Delivery.claimed_at.is_(None), Delivery.claimed_at < stale_before),
            )
            .values(status=dl.UNKNOWN, claimed_at=now, claimed_by=worker)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1
