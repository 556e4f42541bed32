"""Radar candidates as the faces read them: the CLI table, ``/radar``, the dashboard, pulse and digest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.store.models import RadarCandidate


def list_radar(
    *,
    session: Session,
    min_score: float | None = None,
    crossed_since: datetime | None = None,
    statuses: Sequence[str] = ("candidate",),
    limit: int = 50,
) -> Sequence[RadarCandidate]:
    """Return radar candidates, highest score first (then most recently seen).

    Args:
        min_score: only candidates scoring at least this (0-100).
        crossed_since: only candidates that crossed the alert score at or after this time (UTC):
            "new on the radar" in a pulse or digest period.
        statuses: which statuses to include (``candidate``, ``adopted``, ``excluded``).
        limit: maximum rows (clamped to 1..1000).
    """
    stmt = select(RadarCandidate).where(RadarCandidate.status.in_(list(statuses)))
    if min_score is not None:
        stmt = stmt.where(RadarCandidate.score >= min_score)
    if crossed_since is not None:
        stmt = stmt.where(RadarCandidate.crossed_at >= crossed_since)
    stmt = stmt.order_by(RadarCandidate.score.desc(), RadarCandidate.last_seen_at.desc(), RadarCandidate.id)
    return session.scalars(stmt.limit(max(1, min(int(limit), 1000)))).all()


def get_radar_candidate(*, session: Session, org: str) -> RadarCandidate | None:
    """Return the candidate row of ``org`` (matched case-insensitively), or None."""
    return session.scalar(select(RadarCandidate).where(RadarCandidate.org_key == org.strip().lower()))
