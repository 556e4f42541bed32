"""The figures of the monthly report, each saying where it comes from and what history it rests on.

``build_report(session, month)`` returns a JSON-ready dict (see ``build_report``). Windows: the
report month and the 12 months ending with it (series). Nothing after the month's end is read,
so a report rebuilt later for the same month gives the same figures (as long as history is not
re-polled). Sources:

* releases: tracker's releases (``released_at``: live detections dated by first sight, history
  by the Hub's ``createdAt`` or arXiv's ``published``), papers folded into launches counted once;
* downloads: ``DownloadSnapshot`` (the Hub listing's 30-day ``downloads``; ``downloadsAllTime``
  from ``expand[]`` listings), see ``tracker.adoption.series``;
* derivatives: ``Derivative`` rows (the Hub's ``base_model:<relation>:<repo>`` tags), see
  ``tracker.adoption.shares``; relative adoption: ``tracker.adoption.relative``.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from itertools import permutations
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.adoption.relative import derivative_times, load_release_facts, relative_adoption
from tracker.adoption.series import Basis, load_points, months_between, series_by, shares
from tracker.adoption.series import crossover as find_crossover
from tracker.adoption.shares import derivative_counts_by_month, load_derivatives
from tracker.domain import as_utc
from tracker.errors import ConfigError
from tracker.store.models import Lab, Release

__all__ = ["SOURCES", "build_report", "headlines", "month_bounds", "parse_month"]

_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
SOURCES = {
    "releases": "tracker releases: released_at (first sight for live detections; Hub createdAt / arXiv "
    "published for history); papers folded into a launch counted once",
    "downloads": "Hugging Face Hub listing: downloads (rolling 30 days) of the month's last snapshot per repo; "
    "cumulative from downloadsAllTime (expand[] listing) where known, else the sum of monthly values",
    "derivatives": "Hugging Face Hub base_model:<relation>:<repo> tags of third-party repos (base-model "
    "filter listings and polled listings), dated by the derivative's createdAt",
    "relative": "downloads in the first d days (d = min(age, 30)) against the median of earlier releases of the "
    "same size bucket at the same age (at least 3 peers)",
}


def parse_month(text: str) -> str:
    """Validate ``YYYY-MM`` and return it.

    Raises:
        ConfigError: anything else.
    """
    if not isinstance(text, str) or not _MONTH_RE.match(text.strip()):
        raise ConfigError(f"month must be YYYY-MM, got {text!r}")
    return text.strip()


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``[start, end)`` of a ``YYYY-MM`` month in UTC."""
    y, m = int(month[:4]), int(month[5:7])
    start = datetime(y, m, 1, tzinfo=UTC)
    end = datetime(y + (m == 12), 1 if m == 12 else m + 1, 1, tzinfo=UTC)
    return start, end


def _window(month: str) -> list[str]:
    """The 12 months ending with ``month``."""
    y, m = int(month[:4]), int(month[5:7])
    first = f"{y:04d}-01" if m == 12 else f"{y - 1:04d}-{m + 1:02d}"
    return months_between(first, month)


def _releases(session: Session, start: datetime, end: datetime) -> dict[str, Any]:
    stmt = (
        select(Lab.slug, Lab.country, func.count(Release.id))
        .join(Lab, Lab.id == Release.lab_id)
        .where(Release.released_at >= start, Release.released_at < end, Release.merged_into_id.is_(None))
        .group_by(Lab.slug, Lab.country)
    )
    by_lab: Counter[str] = Counter()
    by_country: Counter[str] = Counter()
    for slug, country, n in session.execute(stmt):
        by_lab[slug] += n
        by_country[country] += n
    last = dict(
        session.execute(
            select(Lab.slug, func.max(Release.released_at))
            .join(Release, Release.lab_id == Lab.id)
            .where(Release.released_at < end)
            .group_by(Lab.slug)
        ).all()
    )
    quiet = sorted(
        ((slug, (end - as_utc(at)).days) for slug, at in last.items() if slug not in by_lab and at is not None),
        key=lambda r: (-r[1], r[0]),
    )
    return {
        "by_lab": dict(by_lab.most_common()),
        "by_country": dict(by_country.most_common()),
        "total": sum(by_lab.values()),
        "most_active": [{"lab": s, "releases": n} for s, n in by_lab.most_common(5)],
        "quietest": [{"lab": s, "days_since_last_release": d} for s, d in quiet[:5]],
        "source": SOURCES["releases"],
    }


def _downloads(points: list, months: list[str], month: str) -> dict[str, Any]:
    by_country = series_by(points, "country", months)
    basis = Basis()
    for p in points:
        basis.add(p)
    monthly = {c: s.monthly for c, s in by_country.items()}
    cumulative = {c: s.cumulative for c, s in by_country.items()}
    crossovers = []
    top = sorted(by_country, key=lambda c: -by_country[c].cumulative.get(month, 0))[:4]
    for kind, data in (("cumulative", cumulative), ("monthly", monthly)):
        for a, b in permutations(top, 2):
            at = find_crossover(data[a], data[b], months)
            if at is not None:
                crossovers.append({"series": kind, "country": a, "passed": b, "month": at})
    return {
        "months": months,
        "monthly_by_country": monthly,
        "cumulative_by_country": cumulative,
        "share_monthly": shares({c: v.get(month, 0) for c, v in monthly.items()}),
        "share_cumulative": shares({c: v.get(month, 0) for c, v in cumulative.items()}),
        "crossovers": crossovers,
        "source": SOURCES["downloads"],
        "basis": basis.as_dict(),
    }


def _derivatives(session: Session, end: datetime, months: list[str], month: str) -> dict[str, Any]:
    rows = [r for r in load_derivatives(session, until=end) if r.at < end]
    by_country = derivative_counts_by_month(rows, "country")
    by_lab = derivative_counts_by_month(rows, "lab")
    this_country = by_country.get(month, {})
    this_lab = by_lab.get(month, {})
    dated = sorted(r.at for r in rows)
    return {
        "months": months,
        "counts_by_country": {m: by_country.get(m, {}) for m in months},
        "counts_by_lab": {m: by_lab.get(m, {}) for m in months},
        "share_by_country": shares(this_country),
        "share_by_lab": shares(this_lab),
        "new_this_month": sum(this_country.values()),
        "source": SOURCES["derivatives"],
        "basis": {
            "derivatives": len(rows),
            "first": dated[0].isoformat() if dated else None,
            "last": dated[-1].isoformat() if dated else None,
        },
    }


def _adoption(session: Session, points: list, start: datetime, end: datetime, month: str) -> dict[str, Any]:
    facts = load_release_facts(session)
    derivs = derivative_times(session)
    asof = end
    rows = []
    for f in facts:
        if start <= f.released_at < end:
            rel = relative_adoption(facts, points, derivs, release_id=f.release_id, now=asof)
            if rel is not None:
                rows.append((f, rel))
    ranked = sorted(
        (r for r in rows if r[1].downloads_ratio is not None), key=lambda r: (-(r[1].downloads_ratio or 0), r[0].title)
    )
    release_series = series_by(points, "release", [month])
    leaders: dict[str, dict[str, Any]] = {}
    for f in facts:
        value = release_series.get(str(f.release_id))
        if f.bucket is None or value is None or not value.monthly.get(month):
            continue
        best = leaders.get(f.bucket)
        if best is None or value.monthly[month] > best["downloads"]:
            leaders[f.bucket] = {
                "release_id": f.release_id,
                "title": f.title,
                "lab": f.lab,
                "downloads": value.monthly[month],
            }
    return {
        "top_relative": [
            {
                "release_id": f.release_id,
                "title": f.title,
                "lab": f.lab,
                "bucket": rel.bucket,
                "age_days": rel.age_days,
                "downloads": rel.downloads,
                "peer_median": rel.peer_median,
                "peers": rel.peers,
                "ratio": rel.downloads_ratio,
                "derivatives": rel.derivatives,
                "derivatives_ratio": rel.derivatives_ratio,
            }
            for f, rel in ranked[:10]
        ],
        "without_enough_history": sum(1 for _, r in rows if r.downloads_ratio is None),
        "size_leaders": dict(sorted(leaders.items())),
        "source": SOURCES["relative"],
    }


def build_report(session: Session, month: str, *, now: datetime) -> dict[str, Any]:
    """Build the report of ``month`` (``YYYY-MM``): a JSON-ready dict.

    Keys: ``month``, ``period`` (start/end ISO UTC), ``generated_at``, ``complete`` (False while
    the month is not over), ``releases``, ``downloads``, ``derivatives``, ``adoption``; every
    figure group has ``source`` and the downloads and derivatives groups a ``basis`` (snapshot or
    derivative counts, first and last dates, days of history).

    Raises:
        ConfigError: ``month`` is not ``YYYY-MM``.
    """
    month = parse_month(month)
    start, end = month_bounds(month)
    months = _window(month)
    points = [p for p in load_points(session, until=end) if p.taken_at < end]
    return {
        "month": month,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "generated_at": as_utc(now).isoformat(),
        "complete": as_utc(now) >= end,
        "releases": _releases(session, start, end),
        "downloads": _downloads(points, months, month),
        "derivatives": _derivatives(session, end, months, month),
        "adoption": _adoption(session, points, start, end, month),
    }


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def headlines(report: dict[str, Any]) -> list[str]:
    """The report's main figures as plain sentences, each naming its source and basis."""
    out = []
    rel, dl, dv = report["releases"], report["downloads"], report["derivatives"]
    countries = ", ".join(f"{c} {n}" for c, n in rel["by_country"].items())
    out.append(f"{rel['total']} releases by {len(rel['by_lab'])} labs ({countries or 'none'}).")
    if dl["share_monthly"]:
        c, share = max(dl["share_monthly"].items(), key=lambda kv: kv[1])
        out.append(
            f"Models from {c} took {_pct(share)} of the month's tracked Hugging Face downloads "
            f"({dl['basis']['snapshots']} snapshots over {dl['basis']['days']} days)."
        )
    for cross in dl["crossovers"]:
        out.append(f"{cross['country']}'s {cross['series']} downloads passed {cross['passed']}'s in {cross['month']}.")
    if dv["share_by_country"]:
        c, share = max(dv["share_by_country"].items(), key=lambda kv: kv[1])
        new = dv["new_this_month"]
        out.append(f"{_pct(share)} of the {new} new derivatives were built on {c} models (Hub base_model tags).")
    top = report["adoption"]["top_relative"][:1]
    if top:
        t = top[0]
        speed = f"{t['ratio']:.1f}x a typical {t['bucket']} release at {t['age_days']:.0f} days"
        out.append(f"Adopted fastest: {t['title']} ({t['lab']}), {speed}.")
    return out
