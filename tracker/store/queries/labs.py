"""Lab rows: kept in step with the watchlist, looked up by slug, summarised for lab lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.domain import as_utc
from tracker.store.models import Lab, Release
from tracker.watchlist import LabConfig


def sync_labs(*, session: Session, labs: Iterable[LabConfig]) -> dict[str, Lab]:
    """Insert or update lab rows from the watchlist; return every stored lab by slug.

    Labs removed from the watchlist keep their rows so that their history stays queryable.
    """
    stored = {lab.slug: lab for lab in session.scalars(select(Lab))}
    for cfg in labs:
        row = stored.get(cfg.slug)
        if row is None:
            try:
                with session.begin_nested():  # another process may insert the same lab right now
                    row = Lab(slug=cfg.slug, name=cfg.name, country=cfg.country)
                    session.add(row)
            except IntegrityError:
                row = session.scalars(select(Lab).where(Lab.slug == cfg.slug)).one()
            stored[cfg.slug] = row
        if (row.name, row.country) != (cfg.name, cfg.country):
            row.name, row.country = cfg.name, cfg.country
    session.flush()
    return stored


def get_lab_by_slug(*, session: Session, slug: str) -> Lab | None:
    """Return the lab row with ``slug``, or None."""
    return session.scalars(select(Lab).where(Lab.slug == slug)).one_or_none()


def lab_summaries(*, session: Session) -> list[tuple[Lab, int, datetime | None]]:
    """Return every lab with its number of releases and its latest ``released_at`` (or None)."""
    stmt = (
        select(Lab, func.count(Release.id), func.max(Release.released_at))
        .outerjoin(Release)
        .group_by(Lab.id)
        .order_by(Lab.slug)
    )
    out = []
    for lab, count, latest in session.execute(stmt):
        # func.max bypasses the column type on SQLite (text comes back): normalise to aware UTC.
        if isinstance(latest, str):
            latest = datetime.fromisoformat(latest)
        out.append((lab, count, as_utc(latest) if latest else None))
    return out
