"""Adoption: third-party derivatives of watched models and their counts over time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.store.models.base import Base


class Derivative(Base):
    """One Hub repo built on a watched model (a quantization, fine-tune, adapter or merge).

    Read from the Hub's ``base_model:<relation>:<repo>`` tags, either of a listing filtered by
    base model (``via = "filter"``) or of a listing tracker polls anyway (``via = "listing"``).
    A repo with several watched bases has one row per base.

    Attributes:
        repo_id: the derivative repo (``org/name``), as the Hub showed it when first seen.
        org: its owner (``unsloth``); never a watched lab's own org for counting purposes.
        relation: quantized | finetune | adapter | merge | None (a plain ``base_model:`` tag).
        base_artifact_id: the watched artifact it names as base.
        created_at: the Hub's ``createdAt`` of the derivative (UTC), when given.
        first_seen_at: when tracker first saw it (UTC).
    """

    __tablename__ = "derivatives"
    __table_args__ = (
        UniqueConstraint("repo_id", "base_artifact_id", name="uq_derivatives_repo_base"),
        Index("ix_derivatives_base_artifact_id_created_at", "base_artifact_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repo_id: Mapped[str] = mapped_column(String(300))
    org: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str | None] = mapped_column(String(16))
    base_artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"))
    created_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    via: Mapped[str] = mapped_column(String(16))


class DerivativeCount(Base):
    """The derivatives of one base artifact by relation, as one scan of the Hub counted them.

    ``complete`` is False when the scan stopped at its page limit: the counts are then lower
    bounds. Consecutive rows show growth ("84 quantizations in 48 h").
    """

    __tablename__ = "derivative_counts"
    __table_args__ = (Index("ix_derivative_counts_artifact_id_taken_at", "artifact_id", "taken_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"))
    taken_at: Mapped[datetime]
    quantized: Mapped[int] = mapped_column(Integer, default=0)
    finetune: Mapped[int] = mapped_column(Integer, default=0)
    adapter: Mapped[int] = mapped_column(Integer, default=0)
    merge: Mapped[int] = mapped_column(Integer, default=0)
    other: Mapped[int] = mapped_column(Integer, default=0)
    complete: Mapped[bool] = mapped_column(Boolean, default=True)
