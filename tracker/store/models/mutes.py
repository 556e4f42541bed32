"""Mutes: alerts about a repo, a release family or a lab held back from every channel for a while."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.store.models.base import Base


class Mute(Base):
    """One mute, set with ``tracker mute TARGET [--for 7d]``.

    Attributes:
        target: what is muted, lower-cased: a lab slug (``qwen``), a release family (``qwen3``)
            or a repo id (``qwen/qwen3-8b``); matched case-insensitively against each alert.
        until: when the mute ends (UTC); None mutes until ``tracker unmute``.
        created_at: when it was set (UTC).
    """

    __tablename__ = "mutes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(300), unique=True)
    until: Mapped[datetime | None]
    created_at: Mapped[datetime]
