"""Send one delivery: claim it, build its message, call the channel's notifier, record the outcome.

``deliver_one`` is what the ``tracker.deliver.one`` Celery task and ``tracker poll`` call. It is
safe to run any number of times, concurrently, for the same delivery:

1. **Claim** (own short transaction, committed before anything is sent): the compare-and-set
   ``pending -> sending`` of ``tracker.outbox.deliveries.claim``. Losing the claim means another worker
   has it, it is not due yet, or it is already done: nothing is sent. The claim transaction also
   locks the release's row, so claims of one release's deliveries (a release and its variants)
   are serialized: a variant whose parent message is still in flight waits ``PARENT_WAIT_S``
   instead of posting a second parent.
2. **Send** outside any transaction, through ``notifier_for(channel)``.
3. **Record** (another transaction): ``sent`` with what the channel returned (and the release's
   Slack thread when the notifier reports one), or a failure: back to ``pending`` with a
   jittered exponential backoff that honours ``Retry-After``, or ``failed`` after
   ``settings.delivery_max_attempts`` sends or at once for a permanent error.

**Unknown outcomes.** A worker killed after the send and before step 3 leaves the row in
``sending``. Once its claim is older than ``settings.delivery_stale_after_s`` (longer than the
task's hard time limit, so its worker is surely gone) the next ``deliver_one`` takes it over with
another compare-and-set (``sending -> unknown``) and asks the channel first
(``notifier.find_sent``: Slack looks for the delivery id in message metadata): found means
``sent`` without a second message; not found (or a channel that cannot tell) means a normal
resend. An unexpected exception during the send (not a ``DeliveryError``) is treated the same
way: the row stays ``sending`` and is resolved later, because the message may have gone out.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from tracker.outbox import deliveries as dl
from tracker.config import Settings
from tracker.domain import utcnow
from tracker.errors import DeliveryError
from tracker.notify import Notifier, Outgoing, SendResult, ThreadRef, build_notifier
from tracker.outbox.content import build_alert
from tracker.store import Store
from tracker.store.models import Delivery, Event, Release, SlackThread

log = logging.getLogger(__name__)

#: PostgreSQL SQLSTATE of a lock wait that exceeded ``lock_timeout``.
LOCK_NOT_AVAILABLE = "55P03"

NotifierFactory = Callable[[str], Notifier]
Clock = Callable[[], datetime]


def worker_name() -> str:
    """Return ``<host>:<pid>``, recorded as ``Delivery.claimed_by``."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What ``deliver_one`` did.

    Attributes:
        delivery_id (int): the row.
        status (str): the row's status afterwards (``sent``, ``pending``, ``failed``,
            ``sending``), or ``skipped`` when this call did not win the claim (nothing was sent).
        sent (bool): True when this call sent a message.
        resolved (bool): True when an unknown outcome was resolved as already sent (no resend).
        next_attempt_at (datetime, optional): when a ``pending`` row is due again (UTC).
        error (str, optional): the failure, when there was one.
    """

    delivery_id: int
    status: str
    sent: bool = False
    resolved: bool = False
    next_attempt_at: datetime | None = None
    error: str | None = None


def _thread_for(session: Session, release_id: int | None, channel: str) -> ThreadRef | None:
    if release_id is None:
        return None
    row = session.scalars(select(SlackThread).where(SlackThread.release_id == release_id,
                                                    SlackThread.channel == channel)).first()
    return None if row is None else ThreadRef(channel_id=row.channel_id, ts=row.ts,
                                              variant_count=row.variant_count)


#: Seconds a variant waits for the parent message of its release that another worker is sending.
PARENT_WAIT_S = 5.0


#: Seconds a claim waits for the lock on its release's row (PostgreSQL ``lock_timeout``): another
#: claim of the same release holds it for milliseconds, a long ``tracker regroup`` for longer.
RELEASE_LOCK_TIMEOUT_S = 5.0


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
        .where(Event.release_id == release_id, Delivery.channel == delivery.channel,
               Delivery.id != delivery.id, Delivery.status.in_([dl.SENDING, dl.UNKNOWN]))
        .limit(1)
    )
    return session.scalars(stmt).first() is not None


def build_outgoing(*, session: Session, delivery: Delivery) -> tuple[Outgoing, int | None]:
    """Return the ``Outgoing`` for a delivery and the release id it concerns (None for non-alerts).

    Alert content comes from ``messages.build_alert``; ``thread`` is the release's stored Slack
    parent message in this delivery's channel, when there is one.
    """
    message, release_id = None, None
    if delivery.event_id is not None:
        event = session.get(Event, delivery.event_id)
        if event is not None:
            message = build_alert(session=session, event=event)
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


def _store_thread(session: Session, *, release_id: int, channel: str, thread: ThreadRef, now: datetime) -> None:
    """Insert or update the release's Slack parent message in ``channel`` (unique per pair)."""
    stmt = select(SlackThread).where(SlackThread.release_id == release_id, SlackThread.channel == channel)
    row = session.scalars(stmt).first()
    if row is None:
        try:
            with session.begin_nested():
                session.add(SlackThread(release_id=release_id, channel=channel, channel_id=thread.channel_id,
                                        ts=thread.ts, variant_count=thread.variant_count,
                                        created_at=now, updated_at=now))
            return
        except IntegrityError:  # a concurrent delivery of the same release stored it first
            row = session.scalars(stmt).one()
    row.channel_id, row.ts = thread.channel_id, thread.ts
    row.variant_count = max(row.variant_count or 1, thread.variant_count)
    row.updated_at = now


def _record_success(store: Store, *, delivery_id: int, release_id: int | None, channel: str,
                    result: SendResult, now: datetime) -> None:
    with store.transaction() as session:
        dl.record_sent(session=session, delivery_id=delivery_id, now=now, external_ref=result.external_ref)
        if result.thread is not None and release_id is not None:
            _store_thread(session, release_id=release_id, channel=channel, thread=result.thread, now=now)


def _take_over_stale(store: Store, *, delivery_id: int, now: datetime, stale_after_s: float,
                     worker: str) -> bool:
    """Compare-and-set a stale ``sending``/``unknown`` claim to ``unknown`` owned by ``worker``."""
    stale_before = now - timedelta(seconds=stale_after_s)
    with store.transaction() as session:
        result = session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id,
                   Delivery.status.in_((dl.SENDING, dl.UNKNOWN)),
                   or_(Delivery.claimed_at.is_(None), Delivery.claimed_at < stale_before))
            .values(status=dl.UNKNOWN, claimed_at=now, claimed_by=worker)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def _resolve_unknown(store: Store, *, delivery_id: int, notifier_for: NotifierFactory,
                     now: datetime) -> DeliveryOutcome | None:
    """Ask the channel whether the unknown send happened; record ``sent`` or release the row.

    Returns:
        DeliveryOutcome | None: the outcome when it was found sent; None when the row went back
        to ``pending`` (due now) for a normal resend.
    """
    with store.transaction() as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        out, release_id = build_outgoing(session=session, delivery=delivery)
    found: SendResult | None = None
    try:
        found = notifier_for(out.channel).find_sent(out)
    except DeliveryError as exc:
        log.warning("delivery %d: cannot check whether it was sent (%s); sending again", delivery_id, exc)
    if found is not None:
        _record_success(store, delivery_id=delivery_id, release_id=release_id, channel=out.channel,
                        result=found, now=now)
        log.info("delivery %d: the channel already has it; recorded as sent without resending", delivery_id)
        return DeliveryOutcome(delivery_id, dl.SENT, resolved=True)
    with store.transaction() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.status == dl.UNKNOWN)
            .values(status=dl.PENDING, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
    return None


def deliver_one(
    store: Store,
    delivery_id: int,
    *,
    settings: Settings,
    notifier_for: NotifierFactory | None = None,
    clock: Clock = utcnow,
    worker: str | None = None,
) -> DeliveryOutcome:
    """Send one delivery at most once per claim (see the module docstring).

    Args:
        store (Store): the database.
        delivery_id (int): the ``Delivery`` row.
        settings (Settings): ``delivery_max_attempts``, ``delivery_stale_after_s`` (seconds) and
            the channels' credentials.
        notifier_for (callable, optional): channel -> Notifier; defaults to
            ``tracker.notify.build_notifier(settings, channel)``.
        clock (callable, optional): returns the current UTC time.
        worker (str, optional): recorded as ``claimed_by``; defaults to ``<host>:<pid>``.

    Returns:
        DeliveryOutcome: the resulting status; ``skipped`` when the claim was lost.

    Raises:
        Exception: whatever the notifier raised other than ``DeliveryError``; the row then stays
            ``sending`` and is resolved as an unknown outcome later.
    """
    notifier_for = notifier_for or (lambda channel: build_notifier(settings, channel))
    worker = worker or worker_name()
    now = clock()
    if _take_over_stale(store, delivery_id=delivery_id, now=now,
                        stale_after_s=settings.delivery_stale_after_s, worker=worker):
        resolved = _resolve_unknown(store, delivery_id=delivery_id, notifier_for=notifier_for, now=now)
        if resolved is not None:
            return resolved
    try:
        claimed = _claim(store, delivery_id, worker=worker, now=now)
    except _ReleaseBusy as busy:  # the claim was rolled back: still pending, no attempt counted
        retry_at = now + timedelta(seconds=PARENT_WAIT_S)
        log.info("delivery %d waits %ss: release %s is locked by another transaction",
                 delivery_id, PARENT_WAIT_S, busy.args[0])
        return DeliveryOutcome(delivery_id, dl.PENDING, next_attempt_at=retry_at)
    if isinstance(claimed, DeliveryOutcome):
        return claimed
    out, release_id, attempts = claimed
    return _send_claimed(store, out, release_id=release_id, attempts=attempts, settings=settings,
                         notifier_for=notifier_for, clock=clock)


def _claim(store: Store, delivery_id: int, *, worker: str, now: datetime
           ) -> DeliveryOutcome | tuple[Outgoing, int | None, int]:
    """Claim transaction: win the row, lock its release, build the message or hand the row back.

    Returns:
        DeliveryOutcome | tuple: ``skipped`` (claim lost) or ``pending`` (waits for its parent
        message); else ``(outgoing, release id, attempts)`` to send, the row now ``sending``.

    Raises:
        _ReleaseBusy: the release's row stayed locked; nothing was changed (rolled back).
    """
    with store.transaction() as session:
        if not dl.claim(session=session, delivery_id=delivery_id, worker=worker, now=now):
            return DeliveryOutcome(delivery_id, "skipped")
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
            session.execute(update(Delivery).where(Delivery.id == delivery_id).values(
                status=dl.PENDING, attempts=Delivery.attempts - 1, next_attempt_at=retry_at,
                claimed_at=None, claimed_by=None))
            log.info("delivery %d waits %ss for the parent message of release %s in %s",
                     delivery_id, PARENT_WAIT_S, release_id, delivery.channel)
            return DeliveryOutcome(delivery_id, dl.PENDING, next_attempt_at=retry_at)
    return out, release_id, attempts


def _send_claimed(store: Store, out: Outgoing, *, release_id: int | None, attempts: int, settings: Settings,
                  notifier_for: NotifierFactory, clock: Clock) -> DeliveryOutcome:
    """Send a claimed delivery and record the outcome (``sent``, or a failure with its backoff)."""
    delivery_id = out.delivery_id
    try:
        result = notifier_for(out.channel).send(out)
    except DeliveryError as exc:
        now = clock()
        with store.transaction() as session:
            status = dl.record_failure(session=session, delivery_id=delivery_id, now=now, error=str(exc),
                                       permanent=exc.permanent, attempts=attempts,
                                       max_attempts=settings.delivery_max_attempts,
                                       retry_after_s=exc.retry_after)
            next_at = session.scalar(select(Delivery.next_attempt_at).where(Delivery.id == delivery_id))
        (log.error if status == dl.FAILED else log.warning)(
            "delivery %d to %s: attempt %d failed (%s): %s", delivery_id, out.channel, attempts,
            "gave up" if status == dl.FAILED else f"retry at {next_at:%H:%M:%S}", exc)
        return DeliveryOutcome(delivery_id, status, next_attempt_at=next_at if status == dl.PENDING else None,
                               error=str(exc))
    _record_success(store, delivery_id=delivery_id, release_id=release_id, channel=out.channel,
                    result=result, now=clock())
    log.info("delivery %d sent to %s", delivery_id, out.channel)
    return DeliveryOutcome(delivery_id, dl.SENT, sent=True)


def list_due(store: Store, *, settings: Settings, clock: Clock = utcnow, limit: int = 500) -> list[int]:
    """Return ids of deliveries that need a ``deliver_one``: pending and due, or stale claims.

    Stale claims are ``sending``/``unknown`` rows claimed more than
    ``settings.delivery_stale_after_s`` seconds ago (their worker died; see the module docstring).
    """
    now = clock()
    stale_before = now - timedelta(seconds=settings.delivery_stale_after_s)
    with store.transaction() as session:
        stmt = (select(Delivery.id)
                .where(or_((Delivery.status == dl.PENDING) & (Delivery.next_attempt_at <= now),
                           Delivery.status.in_((dl.SENDING, dl.UNKNOWN)) & (Delivery.claimed_at < stale_before)))
                .order_by(Delivery.id).limit(limit))
        return list(session.scalars(stmt))


def deliver_due(store: Store, *, settings: Settings, notifier_for: NotifierFactory | None = None,
                clock: Clock = utcnow) -> list[DeliveryOutcome]:
    """Run ``deliver_one`` for every due delivery, in this process (``tracker poll`` without a worker)."""
    return [deliver_one(store, i, settings=settings, notifier_for=notifier_for, clock=clock)
            for i in list_due(store, settings=settings, clock=clock)]


def requeue_failed(store: Store, *, ids: list[int] | None = None, clock: Clock = utcnow) -> list[int]:
    """Put ``failed`` deliveries back to ``pending`` (due now, attempts reset) and return their ids.

    Args:
        ids (list[int], optional): the deliveries to retry; None means every failed one.
    """
    now = clock()
    with store.transaction() as session:
        stmt = select(Delivery.id).where(Delivery.status == dl.FAILED)
        if ids is not None:
            stmt = stmt.where(Delivery.id.in_(ids))
        found = list(session.scalars(stmt.order_by(Delivery.id)))
        if found:
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(found), Delivery.status == dl.FAILED)
                .values(status=dl.PENDING, attempts=0, next_attempt_at=now, claimed_at=None, claimed_by=None)
                .execution_options(synchronize_session=False)
            )
        return found
