"""Send one delivery: claim it, build its message, call the channel's notifier, record the outcome.

``deliver_one`` is what the ``tracker.deliver.one`` Celery task and ``tracker poll`` call. It is
safe to run any number of times, concurrently, for the same delivery:

1. **Claim** (own short transaction, committed before anything is sent; ``tracker.outbox.claim``):
   the compare-and-set ``pending -> sending``. Losing the claim means another worker has it, it
   is not due yet, or it is already done: nothing is sent. Claims of one release's deliveries
   (a release and its variants) are serialized: a variant whose parent message is still in
   flight waits ``PARENT_WAIT_S`` instead of posting a second parent.
2. **Send** outside any transaction, through ``notifier_for(channel)``, what
   ``tracker.outbox.outgoing.build_outgoing`` built from the row.
3. **Record** (another transaction): ``sent`` with what the channel returned (and the release's
   Slack thread when the notifier reports one), or a failure: back to ``pending`` with a
   jittered exponential backoff that honours ``Retry-After``, or ``failed`` after
   ``settings.delivery.max_attempts`` sends or at once for a permanent error.

**Unknown outcomes.** A worker killed after the send and before step 3 leaves the row in
``sending``. Once its claim is older than ``settings.delivery.stale_after_s`` (longer than the
task's hard time limit, so its worker is surely gone) the next ``deliver_one`` takes it over with
another compare-and-set (``sending -> unknown``) and asks the channel first
(``notifier.find_sent``: Slack looks for the delivery id in message metadata): found means
``sent`` without a second message; not found (or a channel that cannot tell) means a normal
resend. An unexpected exception during the send (not a ``DeliveryError``) is treated the same
way: the row stays ``sending`` and is resolved later, because the message may have gone out.
A ``DeliveryError`` with ``outcome_unknown`` (a post cut off by its deadline) is recorded as a
failure like any other, its error marked (``deliveries.OUTCOME_UNKNOWN_MARK``); the next attempt
asks the channel first and records ``sent`` without posting when the message is there. When
that check itself fails transiently, the attempt is recorded as failed again rather than risk a
second message.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from tracker.config import Settings
from tracker.domain import utcnow
from tracker.errors import DeliveryError
from tracker.notify import Notifier, Outgoing, SendResult, build_notifier
from tracker.outbox import deliveries as dl
from tracker.outbox.claim import HandedBack, claim_delivery, take_over_stale
from tracker.outbox.outgoing import build_outgoing, store_thread
from tracker.store import Store
from tracker.store.models import Delivery

log = logging.getLogger(__name__)

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


def _record_success(
    store: Store, *, delivery_id: int, release_id: int | None, channel: str, result: SendResult, now: datetime
) -> None:
    with store.transaction() as session:
        dl.record_sent(session=session, delivery_id=delivery_id, now=now, external_ref=result.external_ref)
        if result.thread is not None and release_id is not None:
            store_thread(session, release_id=release_id, channel=channel, thread=result.thread, now=now)


def _resolve_unknown(
    store: Store, *, delivery_id: int, notifier_for: NotifierFactory, now: datetime
) -> DeliveryOutcome | None:
    """Ask the channel whether the unknown send happened; record ``sent`` or release the row.

    Returns:
        DeliveryOutcome | None: the outcome when it was found sent; None when the row went back
        to ``pending`` (due now) for a normal resend.
    """
    with store.transaction(write=False) as session:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        out, release_id = build_outgoing(session=session, delivery=delivery)
    found: SendResult | None = None
    try:
        found = notifier_for(out.channel).find_sent(out)
    except DeliveryError as exc:
        log.warning("delivery %d: cannot check whether it was sent (%s); sending again", delivery_id, exc)
    if found is not None:
        _record_success(
            store, delivery_id=delivery_id, release_id=release_id, channel=out.channel, result=found, now=now
        )
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
    if take_over_stale(
        store, delivery_id=delivery_id, now=now, stale_after_s=settings.delivery.stale_after_s, worker=worker
    ):
        resolved = _resolve_unknown(store, delivery_id=delivery_id, notifier_for=notifier_for, now=now)
        if resolved is not None:
            return resolved
    claim = claim_delivery(store, delivery_id, worker=worker, now=now)
    if claim is None:
        return DeliveryOutcome(delivery_id, "skipped")
    if isinstance(claim, HandedBack):
        return DeliveryOutcome(delivery_id, dl.PENDING, next_attempt_at=claim.retry_at)
    return _send_claimed(
        store,
        claim.out,
        release_id=claim.release_id,
        attempts=claim.attempts,
        settings=settings,
        notifier_for=notifier_for,
        clock=clock,
    )


def _already_sent(store: Store, out: Outgoing, notifier: Notifier) -> SendResult | None:
    """After an attempt whose outcome was unknown, the channel's copy of ``out`` (None: send it).

    Raises:
        DeliveryError: the channel could not be asked (transient); marked ``outcome_unknown``.
    """
    with store.transaction(write=False) as session:
        last_error = session.scalar(select(Delivery.last_error).where(Delivery.id == out.delivery_id))
    if not (last_error or "").startswith(dl.OUTCOME_UNKNOWN_MARK):
        return None
    try:
        return notifier.find_sent(out)
    except DeliveryError as exc:
        if exc.permanent:  # the channel can never tell (a missing scope): send, as for a stale claim
            log.warning("delivery %d: cannot check whether it was sent (%s); sending again", out.delivery_id, exc)
            return None
        raise DeliveryError(
            f"cannot check whether the earlier attempt was sent: {exc}",
            retry_after=exc.retry_after,
            outcome_unknown=True,
        ) from exc


def _send_claimed(
    store: Store,
    out: Outgoing,
    *,
    release_id: int | None,
    attempts: int,
    settings: Settings,
    notifier_for: NotifierFactory,
    clock: Clock,
) -> DeliveryOutcome:
    """Send a claimed delivery and record the outcome (``sent``, or a failure with its backoff)."""
    delivery_id = out.delivery_id
    try:
        notifier = notifier_for(out.channel)
        found = _already_sent(store, out, notifier) if attempts > 1 else None
        if found is not None:
            _record_success(
                store, delivery_id=delivery_id, release_id=release_id, channel=out.channel, result=found, now=clock()
            )
            log.info("delivery %d: the channel already has it; recorded as sent without resending", delivery_id)
            return DeliveryOutcome(delivery_id, dl.SENT, resolved=True)
        result = notifier.send(out)
    except DeliveryError as exc:
        now = clock()
        error = (dl.OUTCOME_UNKNOWN_MARK if exc.outcome_unknown else "") + str(exc)
        with store.transaction() as session:
            status = dl.record_failure(
                session=session,
                delivery_id=delivery_id,
                now=now,
                error=error,
                permanent=exc.permanent,
                attempts=attempts,
                max_attempts=settings.delivery.max_attempts,
                retry_after_s=exc.retry_after,
            )
            next_at = session.scalar(select(Delivery.next_attempt_at).where(Delivery.id == delivery_id))
        (log.error if status == dl.FAILED else log.warning)(
            "delivery %d to %s: attempt %d failed (%s): %s",
            delivery_id,
            out.channel,
            attempts,
            "gave up" if status == dl.FAILED else f"retry at {next_at:%H:%M:%S}",
            exc,
        )
        return DeliveryOutcome(
            delivery_id, status, next_attempt_at=next_at if status == dl.PENDING else None, error=error
        )
    _record_success(
        store, delivery_id=delivery_id, release_id=release_id, channel=out.channel, result=result, now=clock()
    )
    log.info("delivery %d sent to %s", delivery_id, out.channel)
    return DeliveryOutcome(delivery_id, dl.SENT, sent=True)


def list_due(store: Store, *, settings: Settings, clock: Clock = utcnow, limit: int = 500) -> list[int]:
    """Return ids of deliveries that need a ``deliver_one``: pending and due, or stale claims.

    Stale claims are ``sending``/``unknown`` rows claimed more than
    ``settings.delivery.stale_after_s`` seconds ago (their worker died; see the module docstring).
    """
    now = clock()
    stale_before = now - timedelta(seconds=settings.delivery.stale_after_s)
    with store.transaction(write=False) as session:
        stmt = (
            select(Delivery.id)
            .where(
                or_(
                    (Delivery.status == dl.PENDING) & (Delivery.next_attempt_at <= now),
                    Delivery.status.in_((dl.SENDING, dl.UNKNOWN)) & (Delivery.claimed_at < stale_before),
                )
            )
            .order_by(Delivery.id)
            .limit(limit)
        )
        return list(session.scalars(stmt))


def deliver_due(
    store: Store, *, settings: Settings, notifier_for: NotifierFactory | None = None, clock: Clock = utcnow
) -> list[DeliveryOutcome]:
    """Run ``deliver_one`` for every due delivery, in this process (``tracker poll`` without a worker).

    A delivery whose send raised something unexpected (a bug, a library's error) does not stop
    the others: it is logged, reported with status ``sending``, and its row is resolved by the
    stale-claim check (``settings.delivery.stale_after_s``) like one whose worker died.
    """
    outcomes = []
    for i in list_due(store, settings=settings, clock=clock):
        try:
            outcomes.append(deliver_one(store, i, settings=settings, notifier_for=notifier_for, clock=clock))
        except Exception as exc:  # one broken send must not cost the rest of the run
            log.error("delivery %d: unexpected %s: %s; left for the stale-claim check", i, type(exc).__name__, exc)
            outcomes.append(DeliveryOutcome(i, dl.SENDING, error=f"{type(exc).__name__}: {exc}"))
    return outcomes


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
