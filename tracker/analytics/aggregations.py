"""The cadence and country shares read from the store, aggregated in SQL.

``load_release_times`` (the raw times, for ``build_cadence``), ``lab_cadences`` (the same
results as ``build_cadence``, aggregated in SQL on top of ``tracker.analytics.history``),
``country_release_share`` and ``country_download_share``. Every function takes a keyword-only
``session`` and never commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.analytics.formulas import (
    DAY_S,
    DEFAULT_CADENCE_KINDS,
    RATE_WINDOWS_WEEKS,
    Cadence,
    MonthShare,
    WeekCount,
    _country_share_of_counts,
    build_download_share,
    iso_week,
    week_start,
)
from tracker.analytics.history import _cached_history, _release_scope
from tracker.domain import as_utc
from tracker.store.models import Artifact, DownloadSnapshot, Lab, Release


def load_release_times(
    *,
    session: Session,
    lab: str | None = None,
    kinds: Collection[str] | None = DEFAULT_CADENCE_KINDS,
    until: datetime | None = None,
    since: datetime | None = None,
) -> dict[str, list[datetime]]:
    """Return ``released_at`` of every release per lab slug (every stored lab, possibly empty).

    Args:
        lab (str, optional): only this lab. kinds (Collection[str], optional): release kinds
            counted; None = all kinds. until (datetime, optional): only ``released_at <= until``.
        since (datetime, optional): only ``released_at > since`` (exclusive, like the trailing
            windows of the formulas).
    """
    labs_stmt = select(Lab.slug).order_by(Lab.slug)
    stmt = select(Lab.slug, Release.released_at).join(Release, Release.lab_id == Lab.id)
    if lab:
        labs_stmt = labs_stmt.where(Lab.slug == lab)
        stmt = stmt.where(Lab.slug == lab)
    if kinds is not None:
        stmt = stmt.where(Release.kind.in_(list(kinds)))
    if until is not None:
        stmt = stmt.where(Release.released_at <= until)
    if since is not None:
        stmt = stmt.where(Release.released_at > since)
    out: dict[str, list[datetime]] = {slug: [] for slug in session.scalars(labs_stmt)}
    for slug, at in session.execute(stmt):
        out.setdefault(slug, []).append(at)
    return out


def lab_cadences(
    *,
    session: Session,
    now: datetime,
    weeks: int = 12,
    lab: str | None = None,
    kinds: Collection[str] | None = DEFAULT_CADENCE_KINDS,
) -> list[Cadence]:
    """Return the cadence of every stored lab (or one), ordered by lab slug.

    Same formulas and results as ``build_cadence`` over ``load_release_times`` (the package
    docstring), but aggregated in SQL so that the cost does not grow with the rows sent to Python:
    one ``GROUP BY (lab, ISO week)`` pass gives counts and first/last release, one ``lag()``
    window pass the median and longest gap (both kept between changes on PostgreSQL, see
    ``_cached_history``), and a range scan of the last 12 weeks the trailing rates. Only
    ``gaps_days`` is left empty (``()``): the full list of gaps is not fetched; use
    ``build_cadence(load_release_times(...))`` when it is needed.

    Args:
        now (datetime): "as of" (UTC). weeks (int): ISO weeks in ``weekly``.
        lab (str, optional): one lab slug. kinds: release kinds counted (None = all).

    Raises:
        ValueError: ``weeks`` < 1.
    """
    if weeks < 1:
        raise ValueError("weeks must be >= 1")
    now = as_utc(now)
    history = _cached_history(session, lab=lab, kinds=kinds, now=now)
    # trailing rates: one correlated count per window and lab, each a range of the (kind, lab_id,
    # released_at) / (lab_id, released_at, id) index (a GROUP BY over all labs cannot use it)
    labs_scope = select(Lab.slug).order_by(Lab.slug)
    if lab:
        labs_scope = labs_scope.where(Lab.slug == lab)
    rate_stmt = labs_scope.add_columns(
        *[
            _release_scope(select(func.count()).where(Release.lab_id == Lab.id), lab=None, kinds=kinds, now=now)
            .where(Release.released_at > now - timedelta(weeks=n))
            .scalar_subquery()
            for n in RATE_WINDOWS_WEEKS
        ]
    )
    in_window = {slug: counts for slug, *counts in session.execute(rate_stmt)}
    current = week_start(now)
    out = []
    for slug in sorted(in_window):  # the labs as of now (a new lab has no releases to invalidate the cache)
        counts = history.per_week.get(slug, {})
        first_last = history.bounds.get(slug)
        median_gap, longest_gap = history.gaps.get(slug, (None, None))
        streak, cursor = 0, current if counts.get(current) else current - timedelta(weeks=1)
        while counts.get(cursor):
            streak += 1
            cursor -= timedelta(weeks=1)
        out.append(
            Cadence(
                lab=slug,
                as_of=now,
                releases=sum(counts.values()),
                first_release_at=first_last[0] if first_last else None,
                last_release_at=first_last[1] if first_last else None,
                weekly=tuple(
                    WeekCount(iso_week(start), start, counts.get(start, 0))
                    for start in (current - timedelta(weeks=i) for i in range(weeks - 1, -1, -1))
                ),
                gaps_days=(),
                median_gap_days=median_gap,
                longest_gap_days=longest_gap,
                days_since_last=(now - first_last[1]).total_seconds() / DAY_S if first_last else None,
                rates={n: count / n for n, count in zip(RATE_WINDOWS_WEEKS, in_window.get(slug, [0] * 3), strict=True)},
                streak_weeks=streak,
            )
        )
    return out


def country_release_share(
    *,
    session: Session,
    since: datetime,
    until: datetime,
    kinds: Collection[str] | None = DEFAULT_CADENCE_KINDS,
) -> list[MonthShare]:
    """Return the share of releases by country per month for ``since <= released_at < until``.

    Same result as ``build_country_share`` over every ``(country, released_at)``, counted in SQL
    (``GROUP BY country, month``; the UTC month is ``to_char(released_at AT TIME ZONE 'UTC',
    'YYYY-MM')`` on PostgreSQL and the first 7 characters of the naive UTC text on SQLite).
    """
    if session.get_bind().dialect.name == "postgresql":
        month = func.to_char(func.timezone("UTC", Release.released_at), "YYYY-MM")
    else:
        month = func.substr(Release.released_at, 1, 7)
    month = month.label("month")
    stmt = (
        select(Lab.country, month, func.count())
        .join(Release, Release.lab_id == Lab.id)
        .where(Release.released_at >= since, Release.released_at < until)
        .group_by(Lab.country, month)
    )
    if kinds is not None:
        stmt = stmt.where(Release.kind.in_(list(kinds)))
    per_month: dict[str, dict[str, int]] = defaultdict(dict)
    for country, key, count in session.execute(stmt):
        per_month[key][country] = per_month[key].get(country, 0) + count
    return _country_share_of_counts(per_month, since=since, until=until)


def country_download_share(
    *,
    session: Session,
    since: datetime,
    until: datetime,
) -> tuple[list[MonthShare], MonthShare]:
    """Return the download share by country per month and as last seen, from snapshots taken in
    ``[since, until)`` (see ``build_download_share``)."""
    stmt = (
        select(Lab.country, DownloadSnapshot.artifact_id, DownloadSnapshot.taken_at, DownloadSnapshot.downloads)
        .join(Artifact, Artifact.id == DownloadSnapshot.artifact_id)
        .join(Lab, Lab.id == Artifact.lab_id)
        .where(DownloadSnapshot.taken_at >= since, DownloadSnapshot.taken_at < until)
    )
    return build_download_share(session.execute(stmt))
