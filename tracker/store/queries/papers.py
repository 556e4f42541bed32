"""Paper artifacts (arXiv) and the links between papers and model releases."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker.store.models import Artifact, Lab, Release, ReleasePaper
from tracker.store.queries.filters import like_pattern


def list_papers(
    *,
    session: Session,
    lab: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    q: str | None = None,
    limit: int = 50,
) -> Sequence[Artifact]:
    """Return paper artifacts (arXiv), newest ``created_at`` (v1 published, UTC) first.

    Args:
        lab (str, optional): lab slug. since / until (datetime, optional): bounds on the v1
            published time (UTC; since inclusive, until exclusive). q (str, optional):
            case-insensitive substring of the title. limit (int): maximum rows.
    """
    stmt = select(Artifact).join(Lab, Artifact.lab_id == Lab.id).where(Artifact.kind == "paper")
    if lab:
        stmt = stmt.where(Lab.slug == lab)
    if since:
        stmt = stmt.where(Artifact.created_at >= since)
    if until:
        stmt = stmt.where(Artifact.created_at < until)
    if q:
        stmt = stmt.where(Artifact.name.ilike(like_pattern(q), escape="\\"))
    stmt = stmt.options(selectinload(Artifact.release).selectinload(Release.lab))
    stmt = stmt.order_by(Artifact.created_at.desc(), Artifact.id.desc()).limit(limit)
    return session.scalars(stmt).all()


def papers_for_release(*, session: Session, release_id: int) -> list[tuple[Artifact, str]]:
    """Return the paper artifacts linked to a release with how (``tag`` | ``title``), oldest paper first."""
    stmt = (
        select(Artifact, ReleasePaper.via)
        .join(ReleasePaper, ReleasePaper.paper_id == Artifact.id)
        .where(ReleasePaper.release_id == release_id)
        .order_by(Artifact.created_at, Artifact.id)
    )
    return [(paper, via) for paper, via in session.execute(stmt)]


def releases_for_paper(
    *, session: Session, paper_id: int | None = None, arxiv_id: str | None = None
) -> list[tuple[Release, str]]:
    """Return the model releases linked to a paper (by artifact id or arXiv id), newest first.

    Raises:
        ValueError: neither ``paper_id`` nor ``arxiv_id`` given.
    """
    if paper_id is None and arxiv_id is None:
        raise ValueError("releases_for_paper needs paper_id or arxiv_id")
    stmt = (
        select(Release, ReleasePaper.via)
        .join(ReleasePaper, ReleasePaper.release_id == Release.id)
        .join(Artifact, Artifact.id == ReleasePaper.paper_id)
        .options(selectinload(Release.lab))
        .order_by(Release.released_at.desc(), Release.id.desc())
    )
    if paper_id is not None:
        stmt = stmt.where(Artifact.id == paper_id)
    else:
        stmt = stmt.where(Artifact.source == "arxiv", Artifact.external_id == re.sub(r"v\d+$", "", arxiv_id or ""))
    return [(release, via) for release, via in session.execute(stmt)]
