"""Labs, releases, artifacts and release-paper links: what tracker has seen, grouped into launches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.store.models.base import Base


class Lab(Base):
    """A watched lab, synchronised from the watchlist on every poll.

    ``slug`` is the stable key used in filters; a lab removed from the watchlist keeps its row
    (and its history).
    """

    __tablename__ = "labs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), index=True)

    releases: Mapped[list[Release]] = relationship(back_populates="lab")


class Release(Base):
    """One launch: a family's repos first seen together, or one paper.

    Attributes:
        family: the family key (``Qwen3``, ``DeepSeek-V3.1``) the artifacts share, or the arXiv id
            for a paper release.
        kind: model | paper | code (``tracker.domain.ArtifactKind``).
        released_at: when it became public as far as tracker can tell (UTC): for a live detection
            the first poll that saw it; for baseline history the source's createdAt/published.
        first_seen_at: when tracker first saw any of its artifacts (UTC).
        baseline: recorded on the first poll of its (source, lab); never alerted.
    """

    __tablename__ = "releases"
    __table_args__ = (
        Index("ix_releases_released_at_id", "released_at", "id"),
        Index("ix_releases_lab_id_family", "lab_id", "family"),
        # one lab's releases newest first without a sort, and its cadence (bench/query.py)
        Index("ix_releases_lab_id_released_at_id", "lab_id", "released_at", "id"),
        # ``baseline`` pages newest first (baseline history is the oldest third or so:
        # a newest-first scan of ``released_at`` would read the live rows before reaching it)
        Index("ix_releases_baseline_released_at_id", "baseline", "released_at", "id"),
        # cadence over one kind reads (lab, time) from the index alone (index-only scan)
        Index("ix_releases_kind_lab_id_released_at", "kind", "lab_id", "released_at"),
        # ``q`` (ILIKE '%x%') on PostgreSQL through pg_trgm; a plain b-tree on SQLite,
        # where ``q`` is a scan (the migration creates the extension on PostgreSQL only)
        Index("ix_releases_title_trgm", "title", postgresql_using="gin", postgresql_ops={"title": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("labs.id"), index=True)
    family: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    url: Mapped[str] = mapped_column(Text)
    released_at: Mapped[datetime]
    first_seen_at: Mapped[datetime]
    baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    #: documented score (tracker.grouping.significance), derivative of an earlier
    #: release of the same lab, new base model, third-party adoption count (48 h)
    significance: Mapped[float | None] = mapped_column(Float)
    derivative: Mapped[bool | None] = mapped_column(Boolean)
    new_base: Mapped[bool | None] = mapped_column(Boolean)
    adoption_count: Mapped[int | None] = mapped_column(Integer)
    #: what ``released_at`` rests on (``tracker.domain.ReleasedAtSource``): ``first_seen`` for a
    #: live detection, ``created_at``/``published`` for history dated by the source
    released_at_source: Mapped[str | None] = mapped_column(String(16))
    #: a later wave of a family: the family's first release (its announcement says "new sizes")
    family_release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"), index=True)
    #: a paper announced before its weights, folded into the launch that followed: history lists
    #: the launch once, with this paper among its papers
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"), index=True)
    #: when every artifact was withdrawn (cleared when one is listed again); a withdrawn release is
    #: never joined by later repos of its family
    withdrawn_at: Mapped[datetime | None]
    #: the last change a reader would see (a variant, a report joining, a withdrawal), UTC; feeds
    #: use it as an entry's ``updated``
    updated_at: Mapped[datetime | None]
    #: facts about the release itself: ``grouped_by`` (why its members joined), ``sizes`` summary...
    attrs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    lab: Mapped[Lab] = relationship(back_populates="releases")
    artifacts: Mapped[list[Artifact]] = relationship(
        back_populates="release", order_by="Artifact.id", foreign_keys="Artifact.release_id"
    )
    #: papers linked to this release, loaded in batch by the list queries
    paper_links: Mapped[list[ReleasePaper]] = relationship(
        foreign_keys="ReleasePaper.release_id", viewonly=True, order_by="ReleasePaper.id"
    )


class Artifact(Base):
    """One thing a source shows: a Hub repo (keyed by its ``_id``) or an arXiv paper (by its id).

    Attributes:
        source / external_id: unique together; the stable identity (Hub ``_id`` survives renames).
        name: the current name (repo id or paper title); updated on rename.
        org: the Hub org it is listed under now; None for papers.
        created_at: the source's createdAt (Hub) or v1 published (arXiv), UTC.
        first_seen_at: the first poll that listed it, UTC (when it was last confirmed is the
            ``last_success_at`` of its source state: steady-state polls write nothing per artifact).
        withdrawn_at: set when a complete listing no longer shows it; cleared if it comes back.
        version: arXiv version (latest seen).
        kinds / size_label / params_total_b / params_active_b / quantization: the variant facts
            parsed from the name (``tracker.grouping.families``); parameters in billions.
        attrs: source facts as JSON (tags, sha, gated, licence, pipeline tag, authors...).
    """

    __tablename__ = "artifacts"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_artifacts_source_external_id"),
        Index("ix_artifacts_source_org", "source", "org"),
        # ``q`` on artifact names (see ``Release.__table_args__``)
        Index("ix_artifacts_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    lab_id: Mapped[int] = mapped_column(ForeignKey("labs.id"), index=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    org: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int | None] = mapped_column(Integer)
    kinds: Mapped[list[Any]] = mapped_column(JSON, default=list)
    size_label: Mapped[str | None] = mapped_column(String(64))
    params_total_b: Mapped[float | None] = mapped_column(Float)
    params_active_b: Mapped[float | None] = mapped_column(Float)
    quantization: Mapped[str | None] = mapped_column(String(32))
    attrs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    release: Mapped[Release] = relationship(back_populates="artifacts")
    #: for a paper: the releases it is linked to (``ReleasePaper.paper_id``)
    model_links: Mapped[list[ReleasePaper]] = relationship(
        foreign_keys="ReleasePaper.paper_id", viewonly=True, order_by="ReleasePaper.id"
    )


class ReleasePaper(Base):
    """A release linked to a paper artifact (``via``: ``tag`` from ``arxiv:`` tags, ``title``)."""

    __tablename__ = "release_papers"
    __table_args__ = (UniqueConstraint("release_id", "paper_id", name="uq_release_papers_release_paper"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"), index=True)
    via: Mapped[str] = mapped_column(String(16))

    release: Mapped[Release] = relationship(foreign_keys=[release_id], viewonly=True)
    paper: Mapped[Artifact] = relationship(foreign_keys=[paper_id], viewonly=True)
