"""``GET /stats/adoption``, ``GET /stats/derivatives`` and the monthly report at ``/reports/YYYY-MM``.

Figures come from ``tracker.adoption.summary`` and ``tracker.briefings.report`` (formulas and
sources in their docstrings); every answer carries its ``source`` and ``basis``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from tracker.adoption.summary import adoption_summary, derivative_summary
from tracker.api.deps import SessionDep
from tracker.api.releases import invalid, parse_when
from tracker.briefings.report import build_report, parse_month
from tracker.briefings.report.render import render_csv, render_html
from tracker.domain import utcnow
from tracker.errors import ConfigError

router = APIRouter(tags=["adoption"])

LabParam = Annotated[str | None, Query(description="one lab slug")]
CountryParam = Annotated[str | None, Query(description="one ISO country code (CN, US...)", max_length=2)]
MonthsParam = Annotated[int, Query(ge=1, le=60, description="months of history, ending with the as-of month")]
AsOfParam = Annotated[str | None, Query(description="as of this UTC date/datetime (default now)")]


@router.get("/stats/adoption")
def get_adoption(
    session: SessionDep,
    lab: LabParam = None,
    country: CountryParam = None,
    months: MonthsParam = 12,
    as_of: AsOfParam = None,
) -> Any:
    """Downloads by country (or by lab within a filter): monthly, cumulative, shares, crossovers;
    recent releases with ``adoption_count`` and relative adoption."""
    now = parse_when(as_of, "as_of") or utcnow()
    return adoption_summary(session, now=now, months=months, lab=lab, country=country)


@router.get("/stats/derivatives")
def get_derivatives(
    session: SessionDep,
    lab: LabParam = None,
    country: CountryParam = None,
    months: MonthsParam = 12,
    as_of: AsOfParam = None,
) -> Any:
    """New derivatives per month by lab and country, shares, and releases' counts by relation."""
    now = parse_when(as_of, "as_of") or utcnow()
    return derivative_summary(session, now=now, months=months, lab=lab, country=country)


@router.get("/reports/{name}")
def get_report(session: SessionDep, name: str) -> Any:
    """The monthly report: ``/reports/2025-11`` (HTML), ``.json`` or ``.csv``."""
    stem, _, ext = name.partition(".")
    try:
        month = parse_month(stem)
    except ConfigError as exc:
        raise invalid("month", str(exc), name) from exc
    if ext not in ("", "html", "json", "csv"):
        raise invalid("month", "format must be .html, .json or .csv", name)
    report = build_report(session, month, now=utcnow())
    if ext == "json":
        return JSONResponse(report)
    if ext == "csv":
        return PlainTextResponse(
            render_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="report-{month}.csv"'},
        )
    return HTMLResponse(render_html(report))
