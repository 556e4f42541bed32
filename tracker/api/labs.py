"""``GET /labs`` (every stored or watched lab with release counts) and ``GET /labs/{slug}`` (with cadence)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status

from tracker.analytics import lab_cadences
from tracker.api.deps import SessionDep, WatchlistDep
from tracker.api.releases import Format, csv_response, parse_when
from tracker.domain import utcnow
from tracker.store.queries import ReleaseFilter, get_lab_by_slug, lab_summaries, list_releases
from tracker.store.serialize import iso, release_to_dict

router = APIRouter(tags=["labs"])

LAB_CSV_COLUMNS = ("slug", "name", "country", "watched", "hf_orgs", "releases", "latest_release_at")


@router.get("/labs")
def get_labs(
    session: SessionDep, watchlist: WatchlistDep, format: Annotated[Format, Query(description="json or csv")] = "json"
) -> Any:
    """Every lab: watchlist facts, releases stored and the latest ``released_at`` (UTC).

    Labs removed from the watchlist keep their history (``watched: false``).
    """
    watched = {lab.slug: lab for lab in watchlist.labs}
    stored = {lab.slug: (lab, count, latest) for lab, count, latest in lab_summaries(session=session)}
    items = []
    for slug in sorted(set(watched) | set(stored)):
        cfg = watched.get(slug)
        row, count, latest = stored.get(slug, (None, 0, None))
        items.append(
            {
                "slug": slug,
                "name": cfg.name if cfg else row.name,  # type: ignore[union-attr]
                "country": cfg.country if cfg else row.country,  # type: ignore[union-attr]
                "watched": cfg is not None,
                "hf_orgs": list(cfg.hf_orgs) if cfg else [],
                "arxiv_queries": list(cfg.arxiv_queries) if cfg else [],
                "releases": count,
                "latest_release_at": iso(latest),
            }
        )
    if format == "csv":
        return csv_response(items, LAB_CSV_COLUMNS, filename="labs.csv")
    return {"items": items}


@router.get("/labs/{slug}")
def get_lab(
    slug: str,
    session: SessionDep,
    weeks: Annotated[int, Query(ge=1, le=520, description="ISO weeks of releases per week")] = 12,
    as_of: Annotated[
        str | None, Query(description="compute the cadence as of this UTC date/datetime (default now)")
    ] = None,
) -> dict[str, Any]:
    """One lab with its cadence (model releases) and its latest 10 releases; 404 when unknown."""
    lab = get_lab_by_slug(session=session, slug=slug)
    if lab is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"lab {slug!r} not found")
    now = parse_when(as_of, "as_of") or utcnow()
    cadence = lab_cadences(session=session, now=now, weeks=weeks, lab=slug)[0]
    latest = list_releases(session=session, flt=ReleaseFilter(lab=slug, until=now, limit=10))
    return {
        "slug": lab.slug,
        "name": lab.name,
        "country": lab.country,
        "cadence": cadence.to_dict(),
        "latest_releases": [release_to_dict(r) for r in latest],
    }
