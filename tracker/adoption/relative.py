"""Relative adoption: a release's uptake against earlier releases of its size at the same age.

In the spirit of the Relative Adoption Metric (RAM) of "The ATOM Report" (Brand & Lambert,
arXiv 2604.07190), computed automatically from tracker's own snapshots:

    downloads_ratio(R, d)   = D(R, d) / median{ D(P, d) : P earlier than R, same size bucket }
    derivatives_ratio(R, d) = V(R, d) / median{ V(P, d) : same peers }

* ``D(X, d)``: downloads of release X's artifacts in its first ``d`` days, per artifact:
  ``downloads_all_time`` interpolated linearly between the snapshots before and after age ``d``
  (0 at release), when a later snapshot exists; else its last snapshot taken within ``d`` days
  of the release (no earlier than ``d - tolerance``): all-time when known, else the Hub's
  30-day ``downloads`` (equal to downloads since release while ``d <= 30``; ``d`` defaults to
  ``min(age, 30)`` days for that reason).
* ``V(X, d)``: third-party derivatives of X's artifacts created within ``d`` days.
* Size bucket from the largest total parameter count among X's artifacts: ``<10B``,
  ``10-100B``, ``100-250B``, ``>250B`` (unknown size: no bucket, no ratio).
* At least ``MIN_PEERS`` peers with a value at that age, else no ratio (too little history).

``3.2`` reads "adopted 3.2x faster than a typical release of its size at the same age".
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.adoption.series import Point, load_points
from tracker.domain import ArtifactKind, as_utc
from tracker.store.models import Artifact, Derivative, Lab, Release

__all__ = [
    "MIN_PEERS",
    "Relative",
    "ReleaseFacts",
    "adoption_sentence",
    "derivative_times",
    "load_release_facts",
    "relative_adoption",
    "relative_by_release",
    "size_bucket",
]

#: Peers needed before a ratio is given.
MIN_PEERS = 3
#: Days (and fraction of ``d``) a snapshot may be older than age ``d`` and still stand for it.
_TOLERANCE_DAYS, _TOLERANCE_FRACTION = 2.0, 0.25


def size_bucket(params_b: float | None) -> str | None:
    """``<10B``, ``10-100B``, ``100-250B`` or ``>250B`` for a total in billions; None when unknown."""
    if params_b is None or params_b <= 0:
        return None
    if params_b < 10:
        return "<10B"
    if params_b < 100:
        return "10-100B"
    if params_b <= 250:
        return "100-250B"
    return ">250B"


@dataclass(frozen=True, slots=True)
class ReleaseFacts:
    """What relative adoption needs of a model release (times UTC, size in billions)."""

    release_id: int
    lab: str
    title: str
    released_at: datetime
    params_b: float | None

    @property
    def bucket(self) -> str | None:
        """The size bucket."""
        return size_bucket(self.params_b)


@dataclass(frozen=True, slots=True)
class Relative:
    """One release's relative adoption at ``age_days`` (None ratios: not enough history)."""

    release_id: int
    bucket: str | None
    age_days: float
    downloads: int | None
    peer_median: float | None
    peers: int
    downloads_ratio: float | None
    derivatives: int
    derivatives_ratio: float | None


def load_release_facts(session: Session) -> list[ReleaseFacts]:
    """Every model release with its largest artifact size, oldest first."""
    stmt = (
        select(Release.id, Lab.slug, Release.title, Release.released_at, func.max(Artifact.params_total_b))
        .join(Lab, Lab.id == Release.lab_id)
        .join(Artifact, Artifact.release_id == Release.id)
        .where(Release.kind == ArtifactKind.MODEL.value, Release.merged_into_id.is_(None))
        .group_by(Release.id, Lab.slug, Release.title, Release.released_at)
        .order_by(Release.released_at, Release.id)
    )
    return [ReleaseFacts(i, lab, t, as_utc(at), p) for i, lab, t, at, p in session.execute(stmt)]


def _interpolated(points: list[Point], released_at: datetime, end: datetime) -> int | None:
    """All-time downloads at ``end``, linear between the snapshots around it (0 at release)."""
    before: tuple[datetime, int] = (released_at, 0)
    for p in points:
        if p.all_time is None or p.taken_at < released_at:
            continue
        if p.taken_at <= end:
            before = (p.taken_at, p.all_time)
            continue
        span = (p.taken_at - before[0]).total_seconds()
        part = (end - before[0]).total_seconds() / span if span > 0 else 1.0
        return round(before[1] + (p.all_time - before[1]) * part)
    return None


def _downloads_at(points: list[Point], released_at: datetime, d: float) -> int | None:
    end = released_at + timedelta(days=d)
    start = end - timedelta(days=max(_TOLERANCE_DAYS, d * _TOLERANCE_FRACTION))
    by_artifact: dict[int, list[Point]] = defaultdict(list)
    for p in points:
        by_artifact[p.artifact_id].append(p)
    total, found = 0, False
    for pts in by_artifact.values():
        value = _interpolated(pts, released_at, end)
        if value is None:
            last = [p for p in pts if start <= p.taken_at <= end and p.taken_at >= released_at]
            if not last:
                continue
            p = last[-1]
            value = p.all_time if p.all_time is not None else (p.downloads or 0)
        total += value
        found = True
    return total if found else None


def relative_adoption(
    facts: list[ReleaseFacts],
    points: list[Point],
    derivatives: dict[int, list[datetime]],
    *,
    release_id: int,
    now: datetime,
    age_days: float | None = None,
) -> Relative | None:
    """Relative adoption of ``release_id`` (see the module docstring); None when not a model release.

    Args:
        facts: ``load_release_facts``. points: ``series.load_points`` (time-ordered).
        derivatives: release id -> creation times of its derivatives (``derivative_times``).
        now (datetime): UTC; the release's age is measured to it.
        age_days (float, optional): the age compared; default ``min(age, 30)``.
    """
    by_id = {f.release_id: f for f in facts}
    target = by_id.get(release_id)
    if target is None:
        return None
    age = (as_utc(now) - target.released_at).total_seconds() / 86_400
    d = max(0.0, min(age, 30.0) if age_days is None else age_days)
    by_release: dict[int, list[Point]] = defaultdict(list)
    for p in points:
        by_release[p.release_id].append(p)
    value = _downloads_at(by_release[release_id], target.released_at, d)
    mine = _derivs_at(derivatives.get(release_id, []), target.released_at, d)
    peer_values, peer_derivs = [], []
    for f in facts:
        if f.release_id == release_id or f.released_at >= target.released_at or f.bucket != target.bucket:
            continue
        if target.bucket is None:
            continue
        v = _downloads_at(by_release[f.release_id], f.released_at, d)
        if v is not None:
            peer_values.append(v)
            peer_derivs.append(_derivs_at(derivatives.get(f.release_id, []), f.released_at, d))
    enough = len(peer_values) >= MIN_PEERS
    median = statistics.median(peer_values) if enough else None
    dmedian = statistics.median(peer_derivs) if enough else None
    return Relative(
        release_id=release_id,
        bucket=target.bucket,
        age_days=round(d, 1),
        downloads=value,
        peer_median=median,
        peers=len(peer_values),
        downloads_ratio=round(value / median, 2) if value is not None and median else None,
        derivatives=mine,
        derivatives_ratio=round(mine / dmedian, 2) if dmedian else None,
    )


def _derivs_at(times: list[datetime], released_at: datetime, d: float) -> int:
    end = released_at + timedelta(days=d)
    return sum(1 for t in times if t <= end)


def derivative_times(session: Session) -> dict[int, list[datetime]]:
    """Release id -> creation times (createdAt, else first seen; UTC) of its derivatives."""
    stmt = select(Artifact.release_id, Derivative.created_at, Derivative.first_seen_at).join(
        Artifact, Artifact.id == Derivative.base_artifact_id
    )
    out: dict[int, list[datetime]] = defaultdict(list)
    for release_id, created, first_seen in session.execute(stmt):
        out[release_id].append(as_utc(created or first_seen))
    return out


def relative_by_release(session: Session, release_ids: Iterable[int], *, now: datetime) -> dict[int, Relative]:
    """Relative adoption as of ``now`` (UTC) of each of ``release_ids`` that has a downloads ratio.

    Snapshots and derivatives are loaded once for all of them; releases later than ``now``, non-model
    releases, unknown sizes and releases with fewer than ``MIN_PEERS`` peers are left out (no ratio).
    """
    facts = [f for f in load_release_facts(session) if f.released_at <= as_utc(now)]
    wanted = sorted({f.release_id for f in facts} & set(release_ids))
    if not wanted:
        return {}
    points = load_points(session, until=as_utc(now))
    derivs = derivative_times(session)
    out: dict[int, Relative] = {}
    for release_id in wanted:
        rel = relative_adoption(facts, points, derivs, release_id=release_id, now=now)
        if rel is not None and rel.downloads_ratio is not None and rel.bucket is not None:
            out[release_id] = rel
    return out


#: How a size bucket reads in a sentence ("a typical 10–100B release").
_BUCKET_WORDS = {"<10B": "under-10B", "10-100B": "10–100B", "100-250B": "100–250B", ">250B": "over-250B"}


def _days(age: float) -> str:
    value = f"{round(age)}" if age >= 2 else f"{round(age, 1):g}"
    return f"{value} day" + ("" if value == "1" else "s")


def adoption_sentence(rel: Relative | None) -> str | None:
    """The reader's line for a relative adoption, or None when there is no ratio (never a guess).

    ``Adopted 3.2× faster than a typical 10–100B release (downloads at 14 days, against the median
    of 5 earlier 10–100B releases at the same age)``; below 0.95 it reads ``at 0.4× the pace of``,
    within 5 % of 1 ``about as fast as``. Plain text (no markup); the caller escapes it.
    """
    if rel is None or rel.downloads_ratio is None or rel.bucket is None:
        return None
    ratio, bucket = rel.downloads_ratio, _BUCKET_WORDS.get(rel.bucket, rel.bucket)
    if ratio >= 1.05:
        pace = f"{ratio:.0f}× faster than" if ratio >= 10 else f"{ratio:.1f}× faster than"
    elif ratio > 0.95:
        pace = "about as fast as"
    elif ratio >= 0.1:
        pace = f"at {ratio:.1f}× the pace of"
    else:
        pace = "at under 0.1× the pace of"
    peers = f"{rel.peers} earlier {bucket} release" + ("" if rel.peers == 1 else "s")
    return (
        f"Adopted {pace} a typical {bucket} release (downloads at {_days(rel.age_days)}, "
        f"against the median of {peers} at the same age)"
    )
