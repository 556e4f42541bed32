"""The dashboard (``GET /``, server-rendered Jinja2) and its charts (``/charts/{cadence,countries}.{png,svg}``).

The page shows the latest releases with filters (lab, country, kind, search: plain query
parameters from a GET form), the cadence heatmap and table, the country-share chart, and links to
the feeds, the CSV export and the API docs, and the radar's top candidates (orgs outside the
watchlist; the full list is ``/radar``). ``as_of`` (UTC date/datetime) shows the history as of
an earlier time, e.g. over a replayed corpus.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import groupby
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import __version__, analytics
from tracker.analytics import charts
from tracker.api.deps import SessionDep, SettingsDep
from tracker.api.releases import RELEASE_KINDS, ReleaseFilterDep, invalid, parse_when
from tracker.api.stats import KindParam, parse_kinds
from tracker.domain import utcnow
from tracker.notify.content import RadarLine, radar_line
from tracker.store.models import Lab
from tracker.store.queries import decode_cursor, encode_cursor, get_lab_by_slug, list_radar, list_releases
from tracker.store.serialize import iso, ordered_size_labels, radar_to_dict, release_to_dict

router = APIRouter(tags=["dashboard"])

TIMELINE_LIMIT = 60
#: Radar candidates shown on the dashboard (the radar page, ``/radar?format=html``, shows them all).
RADAR_LIMIT = 8
AsOfParam = Annotated[str | None, Query(description="as of this UTC date/datetime (default now)")]
MEDIA = {"png": "image/png", "svg": "image/svg+xml"}


@functools.cache
def templates() -> Environment:
    """The Jinja2 environment over ``tracker/api/templates`` (HTML autoescaped)."""
    return Environment(loader=PackageLoader("tracker.api", "templates"), autoescape=select_autoescape(["html", "xml"]))


def radar_candidates(
    session: Session,
    *,
    hub_url: str,
    limit: int,
    min_score: float | None = None,
    statuses: Sequence[str] = ("candidate",),
) -> list[RadarLine]:
    """Radar candidates as ``RadarLine``s (``list_radar``: highest score first), Hub links on ``hub_url``."""
    rows = list_radar(session=session, min_score=min_score, statuses=statuses, limit=limit)
    return [radar_line(radar_to_dict(row), hub_url=hub_url) for row in rows]


def _cursor(value: str | None) -> tuple[datetime, int] | None:
    try:
        return decode_cursor(value) if value else None
    except ValueError as exc:
        raise invalid("cursor", str(exc), value) from None


def validation_page(request: Request, exc: RequestValidationError) -> HTMLResponse:
    """A 422 for the dashboard's pages as a page (what was wrong, a link back), not raw JSON."""
    problems = [
        (str(e.get("loc", ("", "?"))[-1]), str(e.get("msg", "invalid")), str(e.get("input", ""))[:200])
        for e in exc.errors()
    ]
    if request.url.path.startswith("/release/"):
        return error_page(problems, status_code=422, title="bad release id", heading="That is not a release id")
    return error_page(problems, status_code=422)


def error_page(
    problems: list[tuple[str, str, str]], *, status_code: int, title: str = "bad filter", heading: str | None = None
) -> HTMLResponse:
    """A page for a person (``problems``: parameter, what is wrong, the value given), not JSON."""
    html = (
        templates()
        .get_template("error.html")
        .render(problems=problems, version=__version__, title=title, heading=heading or "That filter does not work")
    )
    return HTMLResponse(html, status_code=status_code)


def _as_of(value: str | None) -> tuple[datetime, bool]:
    parsed = parse_when(value, "as_of")
    if parsed is not None and "T" not in (value or ""):
        parsed += timedelta(days=1) - timedelta(microseconds=1)  # a date means "at the end of that day"
    return (parsed, True) if parsed else (utcnow(), False)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def dashboard(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    flt: ReleaseFilterDep,
    as_of: AsOfParam = None,
    cursor: Annotated[str | None, Query(description="the `older releases` link's page")] = None,
) -> HTMLResponse:
    """The dashboard page; ``TIMELINE_LIMIT`` releases a page, an "older releases" link to the next."""
    now, explicit = _as_of(as_of)
    until = min(flt.until, now + timedelta(microseconds=1)) if flt.until else now + timedelta(microseconds=1)
    after = _cursor(cursor)
    found = list_releases(session=session, flt=replace(flt, until=until, limit=TIMELINE_LIMIT + 1, after=after))
    rows = [release_to_dict(r) for r in found[:TIMELINE_LIMIT]]
    older = None
    if len(found) > TIMELINE_LIMIT:
        last = rows[-1]
        older_cursor = encode_cursor(datetime.fromisoformat(last["released_at"]), last["id"])
        older = "/?" + urlencode({**dict(request.query_params), "cursor": older_cursor})
    for row, release in zip(rows, found, strict=False):
        # a withdrawn release stays on the page, marked: it was announced, and then it was gone
        row.setdefault("withdrawn_at", iso(release.withdrawn_at) if release.withdrawn_at else None)
        row["sizes"] = ", ".join(ordered_size_labels(row["artifacts"]))[:60]  # smallest first, as the CLI
    by_day = [(day, list(group)) for day, group in groupby(rows, key=lambda r: r["released_at"][:10])]
    labs = session.execute(select(Lab.slug, Lab.name).order_by(Lab.name)).all()
    countries = sorted(set(session.scalars(select(Lab.country))))
    cadences = analytics.lab_cadences(session=session, now=now, weeks=12)
    cadences.sort(key=lambda c: (-c.rates[12], c.days_since_last if c.days_since_last is not None else 1e9, c.lab))
    as_of_q = {"as_of": as_of} if explicit and as_of else {}
    radar = radar_candidates(session, hub_url=settings.hub.web_base, limit=RADAR_LIMIT)
    filters = {"lab": flt.lab, "country": flt.country, "kind": flt.kind, "q": flt.q}
    feed_q = urlencode({k: v for k, v in filters.items() if v})
    html = (
        templates()
        .get_template("dashboard.html")
        .render(
            releases=rows,
            releases_by_day=by_day,
            labs=labs,
            countries=countries,
            kinds=RELEASE_KINDS,
            filters=filters,
            filtered=any(filters.values()),
            cadences=cadences,
            radar=radar,
            radar_enabled=settings.radar.enabled,
            radar_interval_min=round(settings.radar.interval / 60),
            version=__version__,
            as_of=as_of if explicit else None,
            as_of_label=now.strftime("%Y-%m-%d %H:%M") if explicit else None,
            as_of_query=f"?{urlencode(as_of_q)}" if as_of_q else "",
            feed_url="/feeds/releases.atom" + (f"?{feed_q}" if feed_q else ""),
            older_url=older,
            first_page_url="/?" + urlencode({k: v for k, v in request.query_params.items() if k != "cursor"})
            if after
            else None,
            csv_url="/releases?"
            + urlencode({**{k: v for k, v in filters.items() if v}, "format": "csv", "limit": 500}),
            cadence_chart_url="/charts/cadence.svg?" + urlencode({"weeks": 12, **as_of_q}),
            countries_chart_url="/charts/countries.svg?" + urlencode({"months": 12, **as_of_q}),
        )
    )
    return HTMLResponse(html)


@router.get(
    "/charts/cadence.{fmt}",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
def cadence_chart(
    fmt: Literal["png", "svg"],
    session: SessionDep,
    lab: Annotated[str | None, Query(description="one lab (bars) instead of every lab (heatmap)")] = None,
    weeks: Annotated[int, Query(ge=1, le=104)] = 12,
    kind: KindParam = "model",
    as_of: AsOfParam = None,
) -> Response:
    """Releases per ISO week per lab (PNG or SVG, same chart code as ``tracker chart cadence``); 422
    for an unknown ``lab``, as ``/stats/cadence``."""
    if lab and get_lab_by_slug(session=session, slug=lab) is None:
        raise invalid("lab", f"unknown lab {lab!r}", lab)
    now, _ = _as_of(as_of)
    cadences = analytics.lab_cadences(session=session, now=now, weeks=weeks, lab=lab or None, kinds=parse_kinds(kind))
    body = charts.cadence_chart(
        cadences, fmt, title=f"{kind.capitalize()} releases per ISO week" if kind != "any" else None
    )
    return Response(body, media_type=MEDIA[fmt], headers={"Cache-Control": "max-age=300"})


@router.get(
    "/charts/countries.{fmt}",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
def countries_chart(
    fmt: Literal["png", "svg"],
    session: SessionDep,
    months: Annotated[int, Query(ge=1, le=60)] = 12,
    kind: KindParam = "model",
    as_of: AsOfParam = None,
) -> Response:
    """Share of releases by country per month (PNG or SVG)."""
    now, _ = _as_of(as_of)
    since, until = analytics.month_start(now, months_back=months - 1), analytics.month_start(now, months_back=-1)
    shares = analytics.country_release_share(session=session, since=since, until=until, kinds=parse_kinds(kind))
    body = charts.countries_chart(shares, fmt, title=f"Share of {kind} releases by country" if kind != "any" else None)
    return Response(body, media_type=MEDIA[fmt], headers={"Cache-Control": "max-age=300"})
