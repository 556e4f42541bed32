"""A release withdrawn as a whole, and restored: the ``release_withdrawn`` / ``release_restored`` events.

A repo public for forty minutes and then deleted must not stay announced, yet a repo made
private for a quick fix and restored within the hour must change nothing visible. After a poll
unit applies its withdrawals and restorations (``pipeline.known``), :func:`settle_releases`
looks at each release they touched:

* every artifact withdrawn: ``release.withdrawn_at`` is set (grouping never joins such a release,
  so the next repo of the family starts a new, announced release) and, for an announced release
  (a live one with a ``release_detected`` event), a ``release_withdrawn`` event is written with
  ``not_before = withdrawn_at + grouping.withdrawal_grace_s``: delivery holds it that long;
* an artifact listed again: ``release.withdrawn_at`` is cleared; a ``release_withdrawn`` still held
  (not dispatched) gets ``cancelled_at`` (nothing is ever sent), one already dispatched is
  answered by a ``release_restored`` event.

Payloads (shared contract): ``release_withdrawn`` ``{"withdrawn_at": ISO-8601 UTC,
"public_for_s": int}``; ``release_restored`` ``{"restored_at": ISO-8601 UTC}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.domain import EventType
from tracker.store.models import Artifact, Event, Release

__all__ = ["settle_releases"]


def _announced(session: Session, release_id: int) -> bool:
    stmt = select(func.count(Event.id)).where(
        Event.release_id == release_id, Event.type == EventType.RELEASE_DETECTED.value
    )
    return bool(session.scalar(stmt))


def _pending_withdrawal(session: Session, release_id: int) -> Event | None:
    """The release's newest ``release_withdrawn`` not cancelled, or None."""
    stmt = (
        select(Event)
        .where(
            Event.release_id == release_id,
            Event.type == EventType.RELEASE_WITHDRAWN.value,
            Event.cancelled_at.is_(None),
        )
        .order_by(Event.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def settle_releases(session: Session, releases: Iterable[Release], *, now: datetime, grace: timedelta) -> None:
    """Mark, unmark and announce whole-release withdrawals for the releases a poll touched.

    Args:
        session: the unit's session (artifact changes already applied and flushed here).
        releases: releases with an artifact withdrawn or restored by this poll.
        now: the poll time (UTC). grace: ``grouping.withdrawal_grace_s`` as a timedelta.
    """
    session.flush()
    for release in {r.id: r for r in releases}.values():
        stmt = select(func.count(Artifact.id)).where(Artifact.release_id == release.id, Artifact.withdrawn_at.is_(None))
        listed = session.scalar(stmt) or 0
        if listed == 0 and release.withdrawn_at is None:
            release.withdrawn_at = release.updated_at = now
            if not release.baseline and _announced(session, release.id):
                public_for = max(0, int((now - release.released_at).total_seconds()))
                session.add(
                    Event(
                        type=EventType.RELEASE_WITHDRAWN.value,
                        release_id=release.id,
                        payload={"withdrawn_at": now.isoformat(), "public_for_s": public_for},
                        created_at=now,
                        not_before=now + grace,
                    )
                )
        elif listed > 0 and release.withdrawn_at is not None:
            release.withdrawn_at = None
            pending = _pending_withdrawal(session, release.id)
            if pending is None:
                continue
            if pending.dispatched_at is None:
                pending.cancelled_at = now  # restored within the grace: nothing visible happens
            else:
                release.updated_at = now
                session.add(
                    Event(
                        type=EventType.RELEASE_RESTORED.value,
                        release_id=release.id,
                        payload={"restored_at": now.isoformat()},
                        created_at=now,
                    )
                )
