"""Atom feeds: ``/feeds/releases.atom`` (filters as on ``/releases``) and ``/feeds/labs/{slug}.atom``.

A feed is news: history recorded on the first run (``baseline``) is left out unless asked for
with ``?baseline=true`` (only history); months-old baseline entries would bury the real ones.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import Response

from tracker.api.atom import build_releases_feed, merged_reports
from tracker.api.deps import SessionDep
from tracker.api.releases import ReleaseFilterDep
from tracker.store.queries import ReleaseFilter, get_lab_by_slug, list_releases

router = APIRouter(prefix="/feeds", tags=["feeds"])

ATOM = "application/atom+xml; charset=utf-8"
LimitParam = Annotated[int, Query(ge=1, le=200, description="entries")]


def _urls(request: Request) -> tuple[str, str]:
    base = str(request.base_url)
    return base, base


@router.get("/releases.atom", response_class=Response, responses={200: {"content": {"application/atom+xml": {}}}})
def releases_feed(request: Request, session: SessionDep, flt: ReleaseFilterDep, limit: LimitParam = 50) -> Response:
    """The latest releases of every lab as an Atom feed (same filters as ``GET /releases``)."""
    live = flt.baseline if flt.baseline is not None else False
    rows = list_releases(session=session, flt=replace(flt, limit=limit, baseline=live))
    site, api = _urls(request)
    body = build_releases_feed(
        rows,
        feed_key="releases",
        title="tracker: open-weight model releases",
        self_url=str(request.url),
        site_url=site,
        api_url=api,
        reports=merged_reports(session, rows),
    )
    return Response(body, media_type=ATOM)


@router.get("/labs/{slug}.atom", response_class=Response, responses={200: {"content": {"application/atom+xml": {}}}})
def lab_feed(
    slug: str,
    request: Request,
    session: SessionDep,
    limit: LimitParam = 50,
    baseline: Annotated[bool, Query(description="true: only history recorded on the first run")] = False,
) -> Response:
    """The latest live releases of one lab as an Atom feed; 404 for an unknown lab."""
    lab = get_lab_by_slug(session=session, slug=slug)
    if lab is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"lab {slug!r} not found")
    rows = list_releases(session=session, flt=ReleaseFilter(lab=slug, limit=limit, baseline=baseline))
    site, api = _urls(request)
    body = build_releases_feed(
        rows,
        feed_key=f"lab:{slug}",
        title=f"tracker: {lab.name} releases",
        self_url=str(request.url),
        site_url=f"{site}?lab={slug}",
        api_url=api,
        reports=merged_reports(session, rows),
    )
    return Response(body, media_type=ATOM)
