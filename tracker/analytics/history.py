"""The whole-history part of the cadence, and its PostgreSQL cache.

``lab_cadences`` splits a lab's cadence in two: what depends on the release times only (weekly
counts, first and last release, median and longest gap: ``_History``, computed by ``_history`` in
one ``GROUP BY (lab, ISO week)`` pass and one ``lag()`` window pass, ``_gap_stats``) and what
depends on "now" (trailing rates, streak). On PostgreSQL the first part is kept in
``_HISTORY_CACHE`` between changes to the releases (``_cached_history``, stamped by
``release_changes``). Also the SQL building blocks the aggregations share: ``_release_scope``
(one lab, kinds, ``<= now``) and ``_as_datetime``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Interval, cast, func, or_, select, text, type_coerce
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from tracker.analytics.formulas import DAY_S
from tracker.analytics.kept_cadence import kept_gap_stats, kept_weeks
from tracker.domain import as_utc
from tracker.store.models import Lab, Release, ReleaseChange


def _as_datetime(value: Any) -> datetime:
    """A ``released_at`` read through a SQL expression (SQLite may hand back naive text) as aware UTC."""
    return as_utc(datetime.fromisoformat(value) if isinstance(value, str) else value)


def _release_scope(stmt: Any, *, lab: str | None, kinds: Collection[str] | None, now: datetime | None) -> Any:
    """Restrict a statement over ``releases`` to one lab (by id, so that the ``(kind, lab_id,
    released_at)`` / ``(lab_id, released_at, id)`` indexes answer it alone), the kinds and
    ``<= now`` (None: no time bound)."""
    if now is not None:
        stmt = stmt.where(Release.released_at <= now)
    if lab:
        stmt = stmt.where(Release.lab_id == select(Lab.id).where(Lab.slug == lab).scalar_subquery())
    if kinds is not None:
        stmt = stmt.where(Release.kind.in_(list(kinds)))
    return stmt


def _week_start_sql(dialect: str) -> Any:
    """SQL for the Monday (UTC date) of the ISO week of ``releases.released_at``, per backend.

    PostgreSQL: ``date_trunc('week', released_at AT TIME ZONE 'UTC')::date`` (weeks start on
    Monday). SQLite (naive UTC text ``YYYY-MM-DD HH:MM:SS.ffffff``): ``date(substr(released_at, 1,
    10), '-6 days', 'weekday 1')`` — the date part only (SQLite's time functions round to the
    millisecond, which would move 23:59:59.9995 to the next day), back six days, then forward to
    the next Monday (or stay on it). Both match ``week_start``.
    """
    if dialect == "postgresql":
        return cast(func.date_trunc("week", func.timezone("UTC", Release.released_at)), Date)
    return func.date(func.substr(Release.released_at, 1, 10), "-6 days", "weekday 1")


def _gap_rows(
    session: Session, *, lab: str | None, kinds: Collection[str] | None, now: datetime
) -> dict[str, tuple[int, list[tuple[int, datetime, datetime]]]]:
    """Per lab slug: ``(number of gaps, [(rank, previous released_at, released_at)])`` for the
    gaps ranked at the median positions and the largest one (ranks 1-based, ascending gap).

    Gaps come from ``lag(released_at)`` over each lab's releases in time order; ranking is done in
    SQL (``row_number()`` by gap, ``count(*)`` per lab), so only 1-3 rows per lab leave the
    database. The gap itself is recomputed in Python from the two timestamps (exact to the
    microsecond, like ``build_cadence``); SQL orders by an interval on PostgreSQL and by
    ``julianday`` differences (millisecond precision) on SQLite.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # the rank sort holds every gap (~200 000 rows at 1M artifacts): keep it in memory
        session.execute(text("SET LOCAL work_mem = '64MB'"))
    # equal times give a 0 gap whatever their order, so released_at alone orders the lag
    prev = func.lag(Release.released_at).over(partition_by=Release.lab_id, order_by=Release.released_at)
    ordered = _release_scope(
        select(Release.lab_id.label("lab_id"), Release.released_at.label("at"), prev.label("prev")),
        lab=lab,
        kinds=kinds,
        now=now,
    ).subquery("ordered")
    if dialect == "postgresql":
        gap = ordered.c.at - ordered.c.prev
    else:
        gap = func.julianday(ordered.c.at) - func.julianday(ordered.c.prev)
    ranked = (
        select(
            ordered.c.lab_id,
            ordered.c.at,
            ordered.c.prev,
            func.row_number().over(partition_by=ordered.c.lab_id, order_by=(gap, ordered.c.at)).label("rank"),
            func.count().over(partition_by=ordered.c.lab_id).label("n"),
        )
        .where(ordered.c.prev.is_not(None))
        .subquery("ranked")
    )
    n = ranked.c.n
    stmt = (
        select(Lab.slug, ranked.c.n, ranked.c.rank, ranked.c.prev, ranked.c.at)
        .join(ranked, ranked.c.lab_id == Lab.id)
        .where(or_(ranked.c.rank == (n + 1) // 2, ranked.c.rank == (n + 2) // 2, ranked.c.rank == n))
    )
    out: dict[str, tuple[int, list[tuple[int, datetime, datetime]]]] = {}
    for slug, count, rank, before, at in session.execute(stmt):
        out.setdefault(slug, (count, []))[1].append((rank, _as_datetime(before), _as_datetime(at)))
    return out


#: ``percentile_disc`` fractions picking, among n ascending gaps, rank ceil(n / 2) and rank
#: floor(n / 2) + 1: the two middle gaps for an even n, the middle one twice for an odd n (exact
#: for n below 10^8: n x 1e-9 stays under one rank and above the float rounding).
_MIDDLE_FRACTIONS = (0.5, 0.5 + 1e-9)


def _gap_stats(
    session: Session, *, lab: str | None, kinds: Collection[str] | None, now: datetime
) -> dict[str, tuple[float, float]]:
    """Per lab slug with >= 2 releases up to ``now``: ``(median gap, longest gap)`` in days.

    The gap statistics kept by triggers (``kept_cadence``) when they answer (one kind or all,
    nothing later than ``now``). Otherwise, PostgreSQL: one pass, ``lag()`` over the ``(kind,
    lab_id, released_at)`` index then
    ``percentile_disc`` of the two middle gaps and ``max`` per lab. The gaps are exact intervals
    (microseconds), read back as ``timedelta``, so the days equal ``build_cadence``'s. SQLite
    (no ordered-set aggregates): ``_gap_rows``.
    """
    kept = kept_gap_stats(session, lab=lab, kinds=kinds, now=now)
    if kept is not None:
        return kept
    out: dict[str, tuple[float, float]] = {}
    if session.get_bind().dialect.name != "postgresql":
        for slug, (n_gaps, ranked) in _gap_rows(session, lab=lab, kinds=kinds, now=now).items():
            days = {rank: (at - before).total_seconds() / DAY_S for rank, before, at in ranked}
            # statistics.median: the middle gap, or the mean of the two middle ones ((x + x) / 2 == x)
            out[slug] = ((days[(n_gaps + 1) // 2] + days[(n_gaps + 2) // 2]) / 2, days[n_gaps])
        return out
    session.execute(text("SET LOCAL work_mem = '64MB'"))  # the per-lab sorts of every gap, in memory
    prev = func.lag(Release.released_at).over(partition_by=Release.lab_id, order_by=Release.released_at)
    ordered = _release_scope(
        select(Release.lab_id.label("lab_id"), type_coerce(Release.released_at - prev, Interval()).label("gap")),
        lab=lab,
        kinds=kinds,
        now=now,
    ).subquery("ordered")
    gap = ordered.c.gap
    middles = func.percentile_disc(postgresql.array(list(_MIDDLE_FRACTIONS))).within_group(gap)
    stats = (
        select(
            ordered.c.lab_id,
            func.max(gap).label("longest"),
            type_coerce(middles, postgresql.ARRAY(Interval())).label("middles"),
        )
        .where(gap.is_not(None))
        .group_by(ordered.c.lab_id)
        .subquery("stats")
    )
    for slug, longest, (low, high) in session.execute(
        select(Lab.slug, stats.c.longest, stats.c.middles).join(stats, stats.c.lab_id == Lab.id)
    ):
        out[slug] = ((low.total_seconds() / DAY_S + high.total_seconds() / DAY_S) / 2, longest.total_seconds() / DAY_S)
    return out


@dataclass(frozen=True, slots=True)
class _History:
    """The part of the cadence of the labs in scope that depends on their release times only
    (not on "now" as long as no release is later than it).

    Attributes:
        per_week (dict[str, dict[date, int]]): per lab slug (every lab in scope), releases per ISO
            week start (weeks with releases only).
        bounds (dict[str, tuple[datetime, datetime]]): first and last release per lab with releases.
        gaps (dict[str, tuple[float, float]]): median and longest gap (days) per lab with >= 2.
        last_at (datetime, optional): the latest release in scope (UTC); None without releases.
    """

    per_week: dict[str, dict[date, int]]
    bounds: dict[str, tuple[datetime, datetime]]
    gaps: dict[str, tuple[float, float]]
    last_at: datetime | None


def _history(session: Session, *, lab: str | None, kinds: Collection[str] | None, now: datetime) -> _History:
    """Compute ``_History`` over the releases up to ``now``: one ``GROUP BY (lab, ISO week)`` pass
    (counts, first/last release) and one ``lag()`` window pass (median and longest gap)."""
    labs_stmt = select(Lab.slug).order_by(Lab.slug)
    if lab:
        labs_stmt = labs_stmt.where(Lab.slug == lab)
    labs = list(session.scalars(labs_stmt))
    kept = kept_weeks(session, lab=lab, kinds=kinds, now=now)
    if kept is not None:  # the weekly counts and bounds kept by triggers
        per_week_kept, bounds_kept = kept
        last = max((b[1] for b in bounds_kept.values()), default=None)
        gaps_kept = _gap_stats(session, lab=lab, kinds=kinds, now=now)
        return _History({slug: per_week_kept.get(slug, {}) for slug in labs}, bounds_kept, gaps_kept, last)
    dialect = session.get_bind().dialect.name
    week_col = _week_start_sql(dialect).label("week")
    per_week_sub = (
        _release_scope(
            select(
                Release.lab_id,
                week_col,
                func.count().label("n"),
                func.min(Release.released_at).label("first"),
                func.max(Release.released_at).label("last"),
            ),
            lab=lab,
            kinds=kinds,
            now=now,
        )
        .group_by(Release.lab_id, week_col)
        .subquery("per_week")
    )
    per_week_stmt = select(Lab.slug, *[c for c in per_week_sub.c if c.name != "lab_id"]).join(
        per_week_sub, per_week_sub.c.lab_id == Lab.id
    )
    per_week: dict[str, dict[date, int]] = {slug: {} for slug in labs}
    bounds: dict[str, tuple[datetime, datetime]] = {}
    for slug, week, count, first, last in session.execute(per_week_stmt):
        start = date.fromisoformat(week) if isinstance(week, str) else week
        per_week.setdefault(slug, {})[start] = count
        first, last = _as_datetime(first), _as_datetime(last)
        old = bounds.get(slug)
        bounds[slug] = (min(old[0], first), max(old[1], last)) if old else (first, last)
    gaps = _gap_stats(session, lab=lab, kinds=kinds, now=now)
    last_at = max((b[1] for b in bounds.values()), default=None)
    return _History(per_week, bounds, gaps, last_at)


#: ``_History`` per (database URL, lab, kinds), with the ``release_changes`` stamp it was
#: computed at (PostgreSQL only; least recently used entries are dropped beyond the size).
_HISTORY_CACHE: OrderedDict[tuple[str, str | None, tuple[str, ...] | None], tuple[tuple[int, int], _History]] = (
    OrderedDict()
)
_HISTORY_CACHE_SIZE = 64
_HISTORY_LOCK = threading.Lock()


def _cached_history(session: Session, *, lab: str | None, kinds: Collection[str] | None, now: datetime) -> _History:
    """``_history``, reused on PostgreSQL while no transaction has changed the releases since.

    The stamp is ``(file node, row count)`` of ``release_changes`` (a trigger adds one row per
    transaction that ran a statement inserting, deleting or moving releases; see
    ``models.ReleaseChange``); it is read *before* the history is computed, so a change committed
    in between can only make the stored history newer than its stamp, which the next call sees as
    a different stamp. An entry serves any ``now`` at or after its latest release (the history up
    to ``now`` is then the whole history); an earlier ``now`` (``as_of`` in the past) is computed
    and not stored. A transaction that has written anything bypasses the cache (its uncommitted
    view could be rolled back). The labs themselves are not part of the entry: ``lab_cadences``
    lists them on every call, so a lab added without releases appears at once.

    The stamp only grows while ``release_changes`` is never pruned: deleting k rows and k later
    writers would give the same count (and TRUNCATE is not MVCC-safe). At one row per writing
    poll transaction the table stays small for years; ``count(*)`` costs ~7 ms at 100k rows.
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return _history(session, lab=lab, kinds=kinds, now=now)
    key = (bind.url.render_as_string(hide_password=True), lab, tuple(sorted(kinds)) if kinds is not None else None)
    node, count, own_txid = session.execute(
        select(func.pg_relation_filenode("release_changes"), func.count(), func.txid_current_if_assigned()).select_from(
            ReleaseChange
        )
    ).one()
    if own_txid is not None:
        # This transaction has written (perhaps releases, uncommitted): its view is its own and
        # may be rolled back, so it neither reads nor fills the shared cache.
        return _history(session, lab=lab, kinds=kinds, now=now)
    stamp = (int(node or 0), int(count))
    with _HISTORY_LOCK:
        entry = _HISTORY_CACHE.get(key)
        if entry is not None:
            _HISTORY_CACHE.move_to_end(key)
    if entry is not None and entry[0] == stamp and (entry[1].last_at is None or entry[1].last_at <= now):
        return entry[1]
    history = _history(session, lab=lab, kinds=kinds, now=now)
    latest = session.scalar(_release_scope(select(func.max(Release.released_at)), lab=lab, kinds=kinds, now=None))
    if latest is None or _as_datetime(latest) <= now:  # nothing after now was left out
        with _HISTORY_LOCK:
            _HISTORY_CACHE[key] = (stamp, history)
            _HISTORY_CACHE.move_to_end(key)
            while len(_HISTORY_CACHE) > _HISTORY_CACHE_SIZE:
                _HISTORY_CACHE.popitem(last=False)
    return history
