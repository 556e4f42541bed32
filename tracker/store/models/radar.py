"""The radar: orgs outside the watchlist whose repos show a lab's traction, with a score and its reasons."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, Index, Integer, String, UniqueConstraint
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


class RadarRepo(Base):
    """One repo the radar saw in a global listing (or a derivative scan), updated in place.

    Attributes:
        repo_key: ``repo_id`` lower-cased (unique). org_key / name_key: its org and its name
            (after the ``/``), lower-cased: a re-upload shares the name of an earlier repo.
        object_id: the Hub ``_id``. created_at: Hub ``createdAt`` (UTC) or None.
        first_seen_at / last_seen_at: radar sightings (UTC).
        likes, downloads: the counters when last seen (``downloads`` = last 30 days).
        trending_rank / trending_at: its rank (1 = top) the last time it was in the trending
            listing, and when.
        relation: what its lineage says: ``original`` (no base model of another org), ``finetune``,
            ``quantized``, ``adapter``, ``merge`` (from ``base_model:`` tags) or ``reupload``
            (no base model tag, same name as an earlier repo of another org).
        base_repo_id: the other org's base model its tags name, if any.
        arxiv_id: the first ``arxiv:`` tag. custom_code: tagged ``custom_code`` (ships its own
            modeling code). scanned_at: when its derivatives were last listed.
    """

    __tablename__ = "radar_repos"
    __table_args__ = (Index("ix_radar_repos_org_key", "org_key"), Index("ix_radar_repos_name_key", "name_key"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repo_key: Mapped[str] = mapped_column(String(300), unique=True)
    repo_id: Mapped[str] = mapped_column(String(300))
    org_key: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    object_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    likes: Mapped[int | None] = mapped_column(Integer)
    downloads: Mapped[int | None] = mapped_column(Integer)
    trending_rank: Mapped[int | None] = mapped_column(Integer)
    trending_at: Mapped[datetime | None]
    relation: Mapped[str] = mapped_column(String(16), default="original")
    base_repo_id: Mapped[str | None] = mapped_column(String(300))
    arxiv_id: Mapped[str | None] = mapped_column(String(32))
    custom_code: Mapped[bool] = mapped_column(Boolean, default=False)
    scanned_at: Mapped[datetime | None]


class RadarSnapshot(Base):
    """A repo's counters at one time (at most one an hour, kept two days): the radar's growth.

    Attributes:
        repo_key: ``RadarRepo.repo_key``. taken_at: UTC. likes, downloads: as the listing showed them.
    """

    __tablename__ = "radar_snapshots"
    __table_args__ = (Index("ix_radar_snapshots_repo_key_taken_at", "repo_key", "taken_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repo_key: Mapped[str] = mapped_column(String(300))
    taken_at: Mapped[datetime]
    likes: Mapped[int | None] = mapped_column(Integer)
    downloads: Mapped[int | None] = mapped_column(Integer)


class RadarDerivative(Base):
    """A third party's repo naming a radar repo as its base model (from tags, listings or scans).

    Attributes:
        base_key / base_org_key: the base repo and its org, lower-cased.
        repo_key / org_key: the derivative and its org, lower-cased (never the base's org).
        relation: ``finetune``, ``quantized``, ``adapter``, ``merge`` or None (plain tag).
        seen_at: first sighting (UTC).
    """

    __tablename__ = "radar_derivatives"
    __table_args__ = (
        UniqueConstraint("base_key", "repo_key", name="uq_radar_derivatives_base_key_repo_key"),
        Index("ix_radar_derivatives_base_org_key", "base_org_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    base_key: Mapped[str] = mapped_column(String(300))
    base_org_key: Mapped[str] = mapped_column(String(200))
    repo_key: Mapped[str] = mapped_column(String(300))
    org_key: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str | None] = mapped_column(String(16))
    seen_at: Mapped[datetime]
