"""What tracker derives from releases: lineage links, paper candidates, download snapshots, history stamps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.store.models.base import Base


class ArtifactLink(Base):
    """Lineage from a ``base_model:`` tag: ``artifact`` derives from ``base_repo_id``.

    Attributes:
        relation: finetune | quantized | adapter | merge | None (plain ``base_model:`` tag).
        base_repo_id: the repo id as tagged (may be a pre-rename id such as ``THUDM/...``).
        base_artifact_id: the stored artifact it resolves to, when tracker knows it.
    """

    __tablename__ = "artifact_links"
    __table_args__ = (UniqueConstraint("artifact_id", "base_repo_id", name="uq_artifact_links_artifact_base"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"), index=True)
    relation: Mapped[str | None] = mapped_column(String(16))
    base_repo_id: Mapped[str] = mapped_column(String(300), index=True)
    base_artifact_id: Mapped[int | None] = mapped_column(ForeignKey("artifacts.id"), index=True)


class DownloadSnapshot(Base):
    """Downloads and likes of one artifact at one poll (from the listing already fetched).

    ``downloads`` is the Hub's rolling 30-day count; ``downloads_all_time`` its
    ``downloadsAllTime`` (only from ``expand[]`` listings, which the adoption step reads), else None.
    """

    __tablename__ = "download_snapshots"
    __table_args__ = (
        Index("ix_download_snapshots_artifact_id_taken_at", "artifact_id", "taken_at"),
        # the country download share reads one time range of snapshots (not every artifact's)
        Index("ix_download_snapshots_taken_at", "taken_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"))
    taken_at: Mapped[datetime]
    downloads: Mapped[int | None] = mapped_column(Integer)
    likes: Mapped[int | None] = mapped_column(Integer)
    downloads_all_time: Mapped[int | None] = mapped_column(BigInteger)


class ReleaseChange(Base):
    """One row per database transaction that ran a statement inserting, deleting, truncating or
    moving releases (``UPDATE OF lab_id, kind, released_at``; a statement trigger also fires when
    such a statement matched no row).

    Written only by a PostgreSQL statement trigger on ``releases`` (migration 0002), whatever the
    writer (pipeline, regroup, bulk loads): ``INSERT ... (txid_current()) ON CONFLICT DO NOTHING``,
    so concurrent writers never wait on each other. The row count (with the table's file node)
    is a stamp that changes whenever another committed transaction changed the releases, which
    lets ``analytics.lab_cadences`` reuse the whole-history part of the cadence (weekly counts,
    gaps) between changes. Append-only: one small row per writing transaction; never prune it by
    DELETE or TRUNCATE (the stamp would repeat, see ``analytics._cached_history``). Writes made
    with triggers disabled (``session_replication_role = replica``) are not seen. SQLite has no
    trigger (and ``lab_cadences`` no cache there).
    """

    __tablename__ = "release_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger, unique=True)


class PaperCandidate(Base):
    """A paper a lab's arXiv query returned, and whether it was attributed to the lab, with the evidence.

    Attributed papers are also stored as artifacts; rejected ones live only here, so that
    ``tracker explain <arXiv id>`` can say why a paper was not announced.

    Attributes:
        lab_id / arxiv_id: unique together; the arXiv id without version (``2505.09388``).
        title / authors / categories: the entry as last seen (authors in arXiv order).
        published_at: v1 submission time (UTC), when the feed gave a plausible one.
        first_seen_at / last_seen_at: polls that returned it (UTC).
        decision: ``attributed`` or ``rejected``.
        evidence: the reasons, e.g. ``["team author 'Qwen Team'", "arxiv tag on Qwen/Qwen3-8B"]``, or
            for a rejection what was missing (``["one known author only: 'An Yang'"]``).
        artifact_id: the stored paper artifact once attributed.
    """

    __tablename__ = "paper_candidates"
    __table_args__ = (UniqueConstraint("lab_id", "arxiv_id", name="uq_paper_candidates_lab_id_arxiv_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("labs.id"), index=True)
    arxiv_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    categories: Mapped[list[Any]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    decision: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    artifact_id: Mapped[int | None] = mapped_column(ForeignKey("artifacts.id"))
