"""``GET /stats/cadence`` and ``GET /stats/countries`` (formulas in ``tracker.analytics``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from tracker import analytics
from tracker.analytics.status import BURST_WINDOW_DAYS, CadenceRules, classify
from tracker.api.deps import SessionDep, SettingsDep
from tracker.api.releases import RELEASE_KINDS, Format, csv_response, invalid, parse_when
from tracker.domain import utcnow
from tracker.store.queries import get_lab_by_slug
from tracker.store.serialize import iso

router = APIRouter(prefix="/stats", tags=["stats"])

KindParam = Annotated[str, Query(description="release kind counted: model (default), paper, code or any")]
AsOfParam = Annotated[str | None, Query(description="as of this UTC date/datetime (default now)")]
CADENCE_CSV_COLUMNS = (
    "lab",
    "releases",
    "last_release_at",
    "days_since_last",
    "median_gap_days",
    "longest_gap_days",
    "rate_4w",
    "rate_8w",
    "rate_12w",
    "streak_weeks",
    "status",
)


def parse_kinds(kind: str) -> tuple[str, ...] | None:
    """``any`` -> None (all kinds), else a 1-tuple; 422 on an unknown kind."""
    if kind == "any":
        return None
    if kind not in RELEASE_KINDS:
        raise invalid("kind", f"must be one of {', '.join(RELEASE_KINDS)} or any", kind)
    return (kind,)


@router.get("/cadence")
def get_cadence(
    session: SessionDep,
    settings: SettingsDep,
    lab: Annotated[str | None, Query(description="one lab slug (default: every lab)")] = None,
    weeks: Annotated[int, Query(ge=1, le=520, description="ISO weeks in releases_per_week")] = 12,
    kind: KindParam = "model",
    as_of: AsOfParam = None,
    format: Annotated[Format, Query(description="json or csv")] = "json",
) -> Any:
    """Per lab: releases per ISO week, median and longest gap (days), days since the last
    release, trailing 4/8/12-week rates, the current weekly streak, and the cadence ``status``
    (bursting / quiet / on_cadence / new, with ``quiet_after_days`` and ``releases_7d``;
    formulas in ``tracker.briefings.cadence_alerts``)."""
    if lab and get_lab_by_slug(session=session, slug=lab) is None:
        raise invalid("lab", f"unknown lab {lab!r}", lab)
    kinds = parse_kinds(kind)
    now = parse_when(as_of, "as_of") or utcnow()
    cadences = analytics.lab_cadences(session=session, now=now, weeks=weeks, lab=lab or None, kinds=kinds)
    # Same result as cadence_alerts.lab_statuses (classify only reads the times in the burst
    # window), without loading every release time a second time.
    recent = analytics.load_release_times(
        session=session, lab=lab or None, kinds=kinds, until=now, since=now - timedelta(days=BURST_WINDOW_DAYS)
    )
    rules = CadenceRules.from_settings(settings)
    items = [{**c.to_dict(), **classify(c, recent.get(c.lab, []), rules).to_dict()} for c in cadences]
    if format == "csv":
        return csv_response(items, CADENCE_CSV_COLUMNS, filename="cadence.csv")
    return {"as_of": iso(now), "weeks": weeks, "kind": kind, "labs": items}


@router.get("/countries")
def get_countries(
    session: SessionDep,
    months: Annotated[int, Query(ge=1, le=120, description="calendar months, the month of as_of included")] = 12,
    kind: KindParam = "model",
    as_of: AsOfParam = None,
    format: Annotated[Format, Query(description="json or csv (release share only)")] = "json",
) -> Any:
    """Share of releases by country per month, and share of downloads where snapshots exist."""
    kinds = parse_kinds(kind)
    now = parse_when(as_of, "as_of") or utcnow()
    since, until = analytics.month_start(now, months_back=months - 1), analytics.month_start(now, months_back=-1)
    releases = analytics.country_release_share(session=session, since=since, until=until, kinds=kinds)
    download_months, latest = analytics.country_download_share(session=session, since=since, until=until)
    if format == "csv":
        rows = [
            {"month": m.month, "country": c, "releases": n, "share": round(m.shares[c], 4)}
            for m in releases
            for c, n in m.counts.items()
        ]
        return csv_response(rows, ("month", "country", "releases", "share"), filename="countries.csv")
    return {
        "as_of": iso(now),
        "since": iso(since),
        "until": iso(until),
        "kind": kind,
        "releases": [m.to_dict() for m in releases],
        "downloads": {"months": [m.to_dict() for m in download_months], "latest": latest.to_dict()},
    }
