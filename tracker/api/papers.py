"""``GET /papers``: technical reports and papers (arXiv artifacts), newest first."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from tracker.api.deps import SessionDep
from tracker.api.releases import MAX_LIMIT, Format, csv_response, invalid, parse_when
from tracker.store.models import Lab
from tracker.store.queries import list_papers
from tracker.store.serialize import paper_to_dict

router = APIRouter(tags=["papers"])

PAPER_CSV_COLUMNS = ("arxiv_id", "version", "lab", "title", "published_at", "url", "release_id", "launch_id")


@router.get("/papers")
def get_papers(
    session: SessionDep,
    lab: Annotated[str | None, Query(description="lab slug")] = None,
    since: Annotated[str | None, Query(description="v1 published on/after (UTC)")] = None,
    until: Annotated[str | None, Query(description="v1 published before (UTC)")] = None,
    q: Annotated[str | None, Query(max_length=200, description="case-insensitive substring of the title")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    format: Annotated[Format, Query(description="json or csv")] = "json",
) -> Any:
    """Papers (arXiv), newest v1 ``published`` first: ``{"items": [paper...]}``.

    Every stored paper is listed, reports folded into their launch included: ``launch_id`` is the
    launch's release id for those (None for a paper standing alone).
    """
    if lab and session.scalar(select(Lab.id).where(Lab.slug == lab)) is None:
        raise invalid("lab", f"unknown lab {lab!r}", lab)
    rows = list_papers(
        session=session,
        lab=lab or None,
        since=parse_when(since, "since"),
        until=parse_when(until, "until"),
        q=q or None,
        limit=limit,
    )
    items = [
        {
            **paper_to_dict(a),
            "lab": a.release.lab.slug,
            "release_id": a.release_id,
            "launch_id": a.release.merged_into_id,
        }
        for a in rows
    ]
    if format == "csv":
        return csv_response(items, PAPER_CSV_COLUMNS, filename="papers.csv")
    return {"items": items}
