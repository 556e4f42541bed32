"""The radar: orgs outside the watchlist whose repos show a lab's traction, with a score and its reasons."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.store.models.base import Base

RADAR_STATUSES = ("candidate", "adopted", "excluded")


class RadarCandidate(Base):
    """One org seen in the Hub's global listings that is not on the watchlist.

    Written by the radar cycle (``tracker.radar``); read by ``tracker radar``, ``/radar``, the
    dashboard, the pulse and the digest. One row per org, updated in place as evidence grows.

    Attributes:
        org: the Hub org or user name as the Hub shows it (``XiaomiMiMo``); unique, compared
            case-insensitively through ``org_key``.
        org_key: ``org`` lower-cased, the unique key.
        score: 0-100, the sum of the reasons' points clamped to that range.
        reasons: ``[{"code": str, "points": float, "text": str}, ...]``, highest points first;
            ``text`` is plain text built from outside data (escape it where it is shown).
        first_seen_at: when the radar first saw a repo of this org in a global listing (UTC).
        last_seen_at: the latest such sighting (UTC).
        crossed_at: when the score first reached ``TRACKER_RADAR_ALERT_SCORE`` (UTC); set once,
            never cleared, so the org is announced at most once.
        best_repo_id: the org's repo with the most traction (``org/name``).
        best_repo_likes, best_repo_downloads: that repo's likes and 30-day downloads when last seen.
        trending_rank: the best rank of the org's repos in the trending listing (1 = top), or None.
        repos: how many of the org's repos the radar has seen.
        derivatives: third-party derivatives (other orgs' repos naming one of this org's repos as
            base model) seen by the radar.
        arxiv_id: a technical report linked from one of its repos (``arxiv:`` tag), if any.
        country: ISO 3166-1 alpha-2 only when evidence says so (never guessed from names).
        status: ``candidate``; ``adopted`` once ``tracker radar adopt`` wrote it to the watchlist;
            ``excluded`` when a rule says it is noise (``excluded_reason`` says which).
        updated_at: when the row was last recomputed (UTC).
    """

    __tablename__ = "radar_candidates"
    __table_args__ = (Index("ix_radar_candidates_score", "score"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org: Mapped[str] = mapped_column(String(200))
    org_key: Mapped[str] = mapped_column(String(200), unique=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    crossed_at: Mapped[datetime | None]
    best_repo_id: Mapped[str | None] = mapped_column(String(300))
    best_repo_likes: Mapped[int | None] = mapped_column(Integer)
    best_repo_downloads: Mapped[int | None] = mapped_column(Integer)
    trending_rank: Mapped[int | None] = mapped_column(Integer)
    repos: Mapped[int] = mapped_column(Integer, default=0)
    derivatives: Mapped[int] = mapped_column(Integer, default=0)
    arxiv_id: Mapped[str | None] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16), default="candidate")
    excluded_reason: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime]
