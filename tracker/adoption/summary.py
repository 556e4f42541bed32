"""What ``/stats/adoption``, ``/stats/derivatives`` and ``tracker adoption`` show: one place for both.

Each summary is a JSON-ready dict over the ``months`` months ending with the month of ``now``,
optionally narrowed to one lab or one country, with its ``source`` and ``basis``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.adoption.derivatives import RELATIONS
from tracker.adoption.relative import derivative_times, load_release_facts, relative_adoption
from tracker.adoption.series import Basis, Point, crossover, load_points, month_of, months_between, series_by, shares
from tracker.adoption.shares import derivative_counts_by_month, load_derivatives
from tracker.domain import as_utc
from tracker.store.models import Artifact, DerivativeCount, Lab, Release

__all__ = ["adoption_summary", "derivative_summary", "month_window"]

DOWNLOADS_SOURCE = (
    "Hugging Face Hub listing: downloads (rolling 30 days, the month's last snapshot) and downloadsAllTime "
    "(expand[] listing) recorded in download snapshots"
)
DERIVATIVES_SOURCE = "Hugging Face Hub base_model:<relation>:<repo> tags (base-model filter and polled listings)"


def month_window(now: datetime, months: int) -> list[str]:
    """The ``months`` months (``YYYY-MM``) ending with the month of ``now``."""
    last = month_of(now)
    y, m = int(last[:4]), int(last[5:7]) - (months - 1)
    while m < 1:
        y, m = y - 1, m + 12
    return months_between(f"{y:04d}-{m:02d}", last)


def _keep(p_lab: str, p_country: str, lab: str | None, country: str | None) -> bool:
    return (lab is None or p_lab == lab) and (country is None or p_country == country.upper())


def adoption_summary(
    session: Session, *, now: datetime, months: int = 12, lab: str | None = None, country: str | None = None
) -> dict[str, Any]:
    """Downloads by lab and country (monthly, cumulative, shares, crossovers) and recent releases'
    adoption (``adoption_count``, relative adoption), narrowed to ``lab``/``country`` if given."""
    window = month_window(now, months)
    all_points = load_points(session, until=as_utc(now))
    points: list[Point] = [p for p in all_points if _keep(p.lab, p.country, lab, country)]
    group = "lab" if lab or country else "country"  # within one country, labs compare
    by = series_by(points, group, window)
    basis = Basis()
    for p in points:
        basis.add(p)
    last = window[-1]
    crossovers = []
    for a in by:
        for b in by:
            if a != b and (at := crossover(by[a].cumulative, by[b].cumulative, window)):
                crossovers.append({"series": "cumulative", group: a, "passed": b, "month": at})
    facts = [f for f in load_release_facts(session) if f.released_at <= as_utc(now)]
    derivs = derivative_times(session)
    labs = dict(session.execute(select(Lab.slug, Lab.country)).all())
    counts = dict(session.execute(select(Release.id, Release.adoption_count)).all())
    recent = [f for f in facts if _keep(f.lab, labs.get(f.lab, ""), lab, country)][-20:]
    releases = []
    for f in reversed(recent):
        rel = relative_adoption(facts, all_points, derivs, release_id=f.release_id, now=now)
        releases.append(
            {
                "release_id": f.release_id,
                "title": f.title,
                "lab": f.lab,
                "released_at": f.released_at.isoformat(),
                "adoption_count": counts.get(f.release_id),
                "bucket": rel.bucket if rel else None,
                "age_days": rel.age_days if rel else None,
                "relative_downloads": rel.downloads_ratio if rel else None,
                "peers": rel.peers if rel else 0,
            }
        )
    return {
        "as_of": as_utc(now).isoformat(),
        "months": window,
        "group": group,
        "series": {k: {"monthly": s.monthly, "cumulative": s.cumulative} for k, s in sorted(by.items())},
        "share_monthly": shares({k: s.monthly.get(last, 0) for k, s in by.items()}),
        "share_cumulative": shares({k: s.cumulative.get(last, 0) for k, s in by.items()}),
        "crossovers": crossovers,
        "releases": releases,
        "source": DOWNLOADS_SOURCE,
        "basis": basis.as_dict(),
    }


def _latest_counts(session: Session, since: datetime) -> dict[int, dict[str, Any]]:
    """Per release: the sum over its artifacts of their latest derivative count, and the growth
    over the 48 h before it."""
    stmt = (
        select(Artifact.release_id, DerivativeCount)
        .join(Artifact, Artifact.id == DerivativeCount.artifact_id)
        .where(DerivativeCount.taken_at >= since)
        .order_by(DerivativeCount.taken_at, DerivativeCount.id)
    )
    per_artifact: dict[int, list[tuple[int, DerivativeCount]]] = defaultdict(list)
    for release_id, count in session.execute(stmt):
        per_artifact[count.artifact_id].append((release_id, count))
    out: dict[int, dict[str, Any]] = {}
    for rows in per_artifact.values():
        release_id, last = rows[-1]
        total = sum(getattr(last, r) for r in RELATIONS) + last.other
        before = [c for _, c in rows if as_utc(c.taken_at) <= as_utc(last.taken_at) - timedelta(hours=48)]
        prior = before[-1] if before else None
        entry = out.setdefault(
            release_id, {**dict.fromkeys(RELATIONS, 0), "other": 0, "complete": True, "taken_at": None, "growth_48h": 0}
        )
        for r in (*RELATIONS, "other"):
            entry[r] += getattr(last, r)
        entry["complete"] = entry["complete"] and last.complete
        entry["taken_at"] = max(filter(None, [entry["taken_at"], as_utc(last.taken_at).isoformat()]))
        if prior is not None:
            entry["growth_48h"] += total - (sum(getattr(prior, r) for r in RELATIONS) + prior.other)
    return out


def derivative_summary(
    session: Session, *, now: datetime, months: int = 12, lab: str | None = None, country: str | None = None
) -> dict[str, Any]:
    """New derivatives per month by lab and country (counts, shares of the last month) and each
    recent release's latest counts by relation with their 48-hour growth."""
    window = month_window(now, months)
    rows = [r for r in load_derivatives(session, until=as_utc(now)) if _keep(r.lab, r.country, lab, country)]
    by_country = derivative_counts_by_month(rows, "country")
    by_lab = derivative_counts_by_month(rows, "lab")
    last = window[-1]
    counts = _latest_counts(session, as_utc(now) - timedelta(days=120))
    titles = session.execute(
        select(Release.id, Release.title, Lab.slug, Lab.country).join(Lab, Lab.id == Release.lab_id)
    ).all()
    releases = [
        {"release_id": i, "title": t, "lab": s, **counts[i]}
        for i, t, s, c in titles
        if i in counts and _keep(s, c, lab, country)
    ]
    releases.sort(key=lambda r: -(sum(r[k] for k in (*RELATIONS, "other"))))
    return {
        "as_of": as_utc(now).isoformat(),
        "months": window,
        "counts_by_country": {m: by_country.get(m, {}) for m in window},
        "counts_by_lab": {m: by_lab.get(m, {}) for m in window},
        "share_by_country": shares(by_country.get(last, {})),
        "share_by_lab": shares(by_lab.get(last, {})),
        "releases": releases[:50],
        "source": DERIVATIVES_SOURCE,
        "basis": {"derivatives": len(rows)},
    }
