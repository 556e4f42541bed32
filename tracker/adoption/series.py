"""Monthly and cumulative download series per release, lab and country, and country crossovers.

Source: ``DownloadSnapshot`` rows (the Hub listing's ``downloads``, a rolling 30-day count, and
``downloadsAllTime`` where the ``expand[]`` listing gave it).

* **Monthly** downloads of an artifact in month M: the 30-day ``downloads`` of its last snapshot
  taken in M (a 30-day window ending at the month's last snapshot; 0 when M has no snapshot).
* **Cumulative** at the end of M: ``downloads_all_time`` of that snapshot when known, else the
  sum of its monthly values so far (carried forward over months without a snapshot).

A group (release, lab, country) sums its artifacts. Every series carries its ``basis``: how many
snapshots it rests on, the first and last snapshot time, and how many points used all-time
counts, so a figure built on three weeks of snapshots says so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.domain import as_utc
from tracker.store.models import Artifact, DownloadSnapshot, Lab, Release

__all__ = ["Basis", "Point", "Series", "crossover", "load_points", "month_of", "months_between", "series_by", "shares"]


@dataclass(frozen=True, slots=True)
class Point:
    """One snapshot with what it belongs to."""

    artifact_id: int
    release_id: int
    lab: str
    country: str
    taken_at: datetime
    downloads: int | None
    all_time: int | None


@dataclass
class Basis:
    """What a figure rests on: snapshot count, first/last snapshot (UTC), all-time points used."""

    snapshots: int = 0
    first: datetime | None = None
    last: datetime | None = None
    all_time_points: int = 0

    def add(self, p: Point) -> None:
        """Count one snapshot."""
        self.snapshots += 1
        self.first = p.taken_at if self.first is None else min(self.first, p.taken_at)
        self.last = p.taken_at if self.last is None else max(self.last, p.taken_at)
        if p.all_time is not None:
            self.all_time_points += 1

    @property
    def days(self) -> float:
        """Days between the first and last snapshot (0 with fewer than two)."""
        if self.first is None or self.last is None:
            return 0.0
        return (self.last - self.first).total_seconds() / 86_400

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: ``snapshots, first, last (ISO-8601 UTC), days, all_time_points``."""
        return {
            "snapshots": self.snapshots,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "days": round(self.days, 1),
            "all_time_points": self.all_time_points,
        }


@dataclass
class Series:
    """Monthly and cumulative downloads of one group, by month (``YYYY-MM``)."""

    monthly: dict[str, int] = field(default_factory=dict)
    cumulative: dict[str, int] = field(default_factory=dict)
    basis: Basis = field(default_factory=Basis)


def month_of(at: datetime) -> str:
    """``YYYY-MM`` of a UTC time."""
    return as_utc(at).strftime("%Y-%m")


def months_between(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last`` inclusive."""
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def load_points(session: Session, *, until: datetime | None = None) -> list[Point]:
    """Every download snapshot (taken at or before ``until``), with its release, lab and country."""
    stmt = (
        select(
            DownloadSnapshot.artifact_id,
            Artifact.release_id,
            Lab.slug,
            Lab.country,
            DownloadSnapshot.taken_at,
            DownloadSnapshot.downloads,
            DownloadSnapshot.downloads_all_time,
        )
        .join(Artifact, Artifact.id == DownloadSnapshot.artifact_id)
        .join(Release, Release.id == Artifact.release_id)
        .join(Lab, Lab.id == Release.lab_id)
        .order_by(DownloadSnapshot.taken_at, DownloadSnapshot.id)
    )
    if until is not None:
        stmt = stmt.where(DownloadSnapshot.taken_at <= until)
    return [Point(a, r, lab, c, as_utc(t), d, at) for a, r, lab, c, t, d, at in session.execute(stmt)]


def _artifact_months(points: list[Point], months: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    last: dict[str, Point] = {}
    for p in points:  # ordered by time: the month's last snapshot wins
        last[month_of(p.taken_at)] = p
    monthly: dict[str, int] = {}
    cumulative: dict[str, int] = {}
    running = 0
    for m in months:
        p = last.get(m)
        value = (p.downloads or 0) if p is not None else 0
        monthly[m] = value
        running += value
        if p is not None and p.all_time is not None:
            running = max(p.all_time, 0)
        cumulative[m] = running
    return monthly, cumulative


def series_by(points: Iterable[Point], key: str, months: list[str]) -> dict[str, Series]:
    """Group snapshots by ``key`` (``release``, ``lab`` or ``country``) into monthly series.

    Raises:
        ValueError: an unknown key.
    """
    if key not in ("release", "lab", "country"):
        raise ValueError(f"unknown series key {key!r}")
    by_artifact: dict[int, list[Point]] = defaultdict(list)
    for p in points:
        by_artifact[p.artifact_id].append(p)
    out: dict[str, Series] = {}
    for pts in by_artifact.values():
        first = pts[0]
        group = str(first.release_id) if key == "release" else (first.lab if key == "lab" else first.country)
        s = out.setdefault(group, Series())
        for p in pts:
            s.basis.add(p)
        monthly, cumulative = _artifact_months(pts, months)
        for m in months:
            s.monthly[m] = s.monthly.get(m, 0) + monthly[m]
            s.cumulative[m] = s.cumulative.get(m, 0) + cumulative[m]
    return out


def shares(values: dict[str, int]) -> dict[str, float]:
    """Each key's share of the total (0..1); all zero when the total is zero."""
    total = sum(values.values())
    return {k: (v / total if total else 0.0) for k, v in values.items()}


def crossover(a: dict[str, int], b: dict[str, int], months: list[str]) -> str | None:
    """The first month in which ``a`` exceeds ``b`` after a month where ``b`` led (``b > 0`` and
    ``a <= b``), else None.

    Months where both are zero (before any data) are neutral. A series ahead from its first
    month with data never crossed (None): the crossover is computed from the data, never assumed
    from what happened before the history tracker holds.
    """
    behind = False
    for m in months:
        va, vb = a.get(m, 0), b.get(m, 0)
        if va > vb:
            if behind:
                return m
        elif vb > 0:
            behind = True
    return None
