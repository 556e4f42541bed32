"""Delivery rows: create once by idempotency key, claim by compare-and-set, record the outcome.

Every message tracker sends (an alert to a channel, a digest for a period, a weekly pulse) is a
``Delivery`` row with a unique ``idempotency_key``. Creating it twice is a no-op; sending it
requires winning a conditional UPDATE (``pending`` -> ``sending``), so two workers or a
redelivered Celery message never both send. Functions take a keyword-only ``session`` and never
commit: the caller owns the transaction (claim in its own short transaction, then send, then
record in another).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker import external
from tracker.store.models import Delivery

PENDING, SENDING, SENT, FAILED, UNKNOWN = "pending", "sending", "sent", "failed", "unknown"
#: Every delivery state, in lifecycle order.
STATES: tuple[str, ...] = (PENDING, SENDING, SENT, FAILED, UNKNOWN)

#: Starts ``last_error`` of an attempt whose message may have gone out (no complete answer): the
#: next attempt asks the channel first (``tracker.outbox.deliver``).
OUTCOME_UNKNOWN_MARK = "outcome unknown: "
#: Sent deliveries whose latency ``GET /metrics`` reports.
LATENCY_SAMPLE = 1000


def create_delivery(
    *,
    session: Session,
    idempotency_key: str,
    kind: str,
    channel: str,
    now: datetime,
    event_id: int | None = None,
    subscription_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> Delivery | None:
    """Insert a pending delivery unless one with ``idempotency_key`` exists.

    Returns:
        Delivery | None: the new row, or None when the key already existed (nothing inserted).
    """
    if session.scalars(select(Delivery.id).where(Delivery.idempotency_key == idempotency_key)).first():
        return None
    row = Delivery(
        idempotency_key=idempotency_key,
        kind=kind,
        channel=channel,
        event_id=event_id,
        subscription_id=subscription_id,
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        payload=payload or {},
        external_ref={},
        created_at=now,
    )
    try:
        with session.begin_nested():  # a concurrent creator may win the unique key
            session.add(row)
    except IntegrityError:
        return None
    return row


def claim(*, session: Session, delivery_id: int, worker: str, now: datetime) -> bool:
    """Claim a due pending delivery for sending (``pending`` -> ``sending``), compare-and-set.

    Returns:
        bool: True when this caller won the claim; False when another worker has it, it is not
        due yet, or it is no longer pending.
    """
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == PENDING, Delivery.next_attempt_at <= now)
        .values(status=SENDING, claimed_at=now, claimed_by=worker, attempts=Delivery.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def record_sent(
    *, session: Session, delivery_id: int, now: datetime, external_ref: dict[str, Any] | None = None
) -> None:
    """Mark a claimed delivery sent, keeping what the channel returned (ids, ts, Message-ID)."""
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(status=SENT, sent_at=now, last_error=None, external_ref=external_ref or {})
        .execution_options(synchronize_session=False)
    )


def backoff_s(attempts: int, *, base_s: float = 30.0, cap_s: float = 3600.0) -> float:
    """Exponential backoff with full jitter: a random wait in [0, min(cap, base x 2^(n-1))] seconds."""
    return random.uniform(0, min(cap_s, base_s * 2 ** max(attempts - 1, 0)))


def record_failure(
    *,
    session: Session,
    delivery_id: int,
    now: datetime,
    error: str,
    permanent: bool,
    attempts: int,
    max_attempts: int,
    retry_after_s: float | None = None,
) -> str:
    """Record a failed attempt: back to ``pending`` with a later ``next_attempt_at``, or ``failed``.

    Args:
        attempts (int): attempts made so far (including this one).
        max_attempts (int): give up (status ``failed``) once reached.
        retry_after_s (float, optional): the channel's Retry-After, in seconds; waited at least.

    Returns:
        str: the new status (``pending`` or ``failed``).
    """
    if permanent or attempts >= max_attempts:
        status, next_at = FAILED, now
    else:
        # A channel's Retry-After is untrusted: a nonsensical one must not overflow the timedelta.
        wait = max(backoff_s(attempts), external.wait_seconds(retry_after_s, what="channel Retry-After") or 0.0)
        status, next_at = PENDING, now + timedelta(seconds=wait)
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(status=status, last_error=error[:2000], next_attempt_at=next_at)
        .execution_options(synchronize_session=False)
    )
    return status


def delivery_counts(session: Session) -> dict[str, int]:
    """Deliveries by state (every known state present, 0 when none), from ``deliveries.status``."""
    counts = dict.fromkeys(STATES, 0)
    for state, n in session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)):
        counts[state] = int(n)
    return counts


def delivery_latencies(session: Session, *, limit: int = LATENCY_SAMPLE) -> list[float]:
    """Seconds from ``created_at`` to ``sent_at`` of the ``limit`` most recently sent deliveries."""
    rows = session.execute(
        select(Delivery.created_at, Delivery.sent_at)
        .where(Delivery.status == SENT, Delivery.sent_at.is_not(None))
        .order_by(Delivery.sent_at.desc())
        .limit(limit)
    )
    return [max(0.0, (sent - created).total_seconds()) for created, sent in rows]
