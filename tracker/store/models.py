"""SQLAlchemy 2.0 typed ORM models: labs, releases, artifacts, outbox events, source state.

Every datetime column is ``UTCDateTime``: values go in as aware UTC and come back aware UTC,
on SQLite (which stores naive text) as on PostgreSQL (``timestamptz``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from tracker.domain import as_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite returns naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        # SQLite has no time zone support: store naive UTC so text comparison orders correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    """Declarative base with a naming convention so Alembic names constraints deterministically."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


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

    lab: Mapped[Lab] = relationship(back_populates="releases")
    artifacts: Mapped[list[Artifact]] = relationship(back_populates="release", order_by="Artifact.id")
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


class Event(Base):
    """An outbox row: a domain event written in the same transaction as the change it describes.

    ``dispatched_at`` is set once ``tracker.outbox.dispatch`` has turned it into deliveries.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"), index=True)
    artifact_id: Mapped[int | None] = mapped_column(ForeignKey("artifacts.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    #: unique when set: an event that must exist once (``quiet:<lab>:<release_id>``, ...)
    dedupe_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    #: set once the dispatcher has turned the event into deliveries (undispatched events are the queue)
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)


class SourceState(Base):
    """Health and baseline state of one (source, lab) poll unit.

    Attributes:
        baseline_at: when the first successful poll recorded the baseline; None means the next
            successful poll is the baseline (nothing it finds is alerted).
        last_polled_at / last_success_at / last_error_at: UTC times of the latest poll outcomes.
        last_error: the latest failure, readable by a user; cleared on success.
        consecutive_failures: polls in a row with at least one failed scope.
        cursor: source-specific resume data (ETags, ...) as JSON.
    """

    __tablename__ = "source_states"
    __table_args__ = (UniqueConstraint("source", "lab_slug", name="uq_source_states_source_lab"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    lab_slug: Mapped[str] = mapped_column(String(64))
    baseline_at: Mapped[datetime | None]
    last_polled_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    cursor: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --------------------------------------------------------------------------- delivery


class Subscription(Base):
    """A channel and its filter, synchronised from the watchlist or created through the API.

    Attributes:
        channel: ``slack:#chan``, ``slack:default``, ``email:addr``, ``webhook:https://...``.
        filters: ``{"labs": [...], "countries": [...], "kinds": [...], "min_params_b": float,
            "significance": float, "licences": [...]}``; missing keys mean "any".
        digest: ``daily`` | ``weekly`` for email digests, else None.
        origin: ``watchlist`` (re-synced on start) or ``api`` (managed through the API).
        disabled_at / disabled_reason: set when the channel failed permanently (e.g. invalid_auth).
    """

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(500), unique=True)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    digest: Mapped[str | None] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16), default="watchlist")
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)


class Delivery(Base):
    """One message to one channel: an alert (event x subscription), a digest, a pulse.

    ``idempotency_key`` is unique: ``event:<event_id>:<subscription_id>``,
    ``digest:<subscription_id>:<period start ISO>``, ``pulse:<channel>:<ISO week>``... A second
    attempt to create the same delivery is a no-op, so nothing is ever sent twice by design.

    Attributes:
        status: ``pending`` -> ``sending`` (claimed by a worker, compare-and-set) -> ``sent`` |
            ``failed`` (gave up after max attempts or a permanent error); ``unknown`` when a worker
            died between sending and recording (resolved before any resend where possible).
        attempts: sends tried. next_attempt_at: earliest UTC time for the next try (backoff).
        claimed_at / claimed_by: when and by which worker the current attempt was claimed.
        external_ref: what the channel returned (Slack ``{"channel", "ts"}``, SMTP Message-ID...).
        payload: what to send when it is not derived from the event (digest period, pulse week...).
    """

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # alert | digest | pulse | cadence | test
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    channel: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    external_ref: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]


# --------------------------------------------------------------------------- Slack threads


class SlackThread(Base):
    """The parent Slack message of a release in one channel: later variants reply in its thread.

    Attributes:
        channel_id / ts: the parent message (``chat.postMessage`` answer), used as ``thread_ts``.
        variant_count: variants shown in the parent (updated with ``chat.update``).
    """

    __tablename__ = "slack_threads"
    __table_args__ = (UniqueConstraint("release_id", "channel", name="uq_slack_threads_release_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    channel: Mapped[str] = mapped_column(String(500))  # the subscription channel (slack:#x)
    channel_id: Mapped[str] = mapped_column(String(64))
    ts: Mapped[str] = mapped_column(String(32))
    variant_count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


# --------------------------------------------------------------------------- lineage and paper links


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


# --------------------------------------------------------------------------- history


class DownloadSnapshot(Base):
    """Downloads and likes of one artifact at one poll (from the listing already fetched)."""

    __tablename__ = "download_snapshots"
    __table_args__ = (Index("ix_download_snapshots_artifact_id_taken_at", "artifact_id", "taken_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"))
    taken_at: Mapped[datetime]
    downloads: Mapped[int | None] = mapped_column(Integer)
    likes: Mapped[int | None] = mapped_column(Integer)


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
