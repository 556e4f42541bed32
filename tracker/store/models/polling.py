"""Poll-unit state: health, baseline and cursors of each (source, lab)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tracker.store.models.base import Base


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
