"""THE cadence model and country shares: how often each lab ships, and who ships what share.

Everything is computed from ``releases.released_at`` (one timestamp per release, live detections
and baseline history alike; DESIGN.md: for a live detection the first poll that saw it, for
baseline history the source's createdAt/published) and, for download share, from
``download_snapshots`` (the Hub listing's ``downloads`` field: downloads over the last 30 days).
All times are UTC; weeks are ISO weeks (Monday 00:00 UTC to the next Monday); months are
calendar months in UTC.

Formulas (``now`` is the "as of" time; releases after ``now`` are ignored):

* **releases per ISO week**: the number of releases whose ``released_at`` falls in each of the
  ``weeks`` ISO weeks ending with the week that contains ``now`` (that last week is in progress).
* **gaps**: the differences, in days (float, 86 400 s = 1 day), between consecutive release times
  of the lab sorted ascending over its whole history. Two releases on the same day give a gap
  near 0. ``median_gap_days`` is the median of the gaps (the mean of the two middle ones for an
  even count); ``longest_gap_days`` is the largest. Both are None with fewer than two releases.
* **days since last release**: ``(now - last released_at)`` in days; None without releases.
* **trailing weekly rates**: ``rate_Nw`` = releases with ``now - N x 7 days < released_at <= now``,
  divided by N (releases per week), for N = 4, 8, 12. A rolling window, not calendar weeks.
* **current weekly streak**: the number of consecutive ISO weeks, each with at least one release,
  ending with the week of ``now``; when the week of ``now`` has no release yet it is still in
  progress, so the count starts from the week before (a streak is broken only by a whole week
  without a release).
* **country share of releases per month**: for each calendar month, the releases of labs of each
  country divided by all releases that month (labs are counted under their watchlist country).
* **download share by country**: for each artifact its latest snapshot (in the month, or overall
  for "latest"), summed per country of its lab, divided by the sum over all countries. The Hub's
  ``downloads`` counts the last 30 days, so a month's share is the share of recent downloads as
  last seen in that month.

The ``build_*`` functions are pure (plain values in, frozen dataclasses out) so that status rules
(quiet, burst) can be layered on top and unit-tested on hand-computed examples; the ``load_*`` /
``lab_cadences`` / ``country_*`` functions read the store (keyword-only ``session``, never commit).
"""

from __future__ import annotations

import statistics
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Interval, case, cast, func, or_, select, text, type_coerce
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from tracker.domain import as_utc
from tracker.store.models import Artifact, DownloadSnapshot, Lab, Release, ReleaseChange

DAY_S = 86_400.0
#: Trailing windows, in weeks, of the weekly release rates.
RATE_WINDOWS_WEEKS = (4, 8, 12)
#: Release kinds that count as "shipping" by default (papers are a separate rhythm).
DEFAULT_CADENCE_KINDS: tuple[str, ...] = ("model",)


def week_start(day: date | datetime) -> date:
    """Return the Monday (UTC date) of the ISO week containing ``day``."""
    d = as_utc(day).date() if isinstance(day, datetime) else day
    return d - timedelta(days=d.weekday())


def iso_week(day: date) -> str:
    """Return the ISO week key of ``day``: ``2025-W18``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(at: datetime) -> str:
    """Return the UTC calendar month of ``at``: ``2025-04``."""
    return as_utc(at).strftime("%Y-%m")


@dataclass(frozen=True, slots=True)
class WeekCount:
    """Releases in one ISO week.

    Attributes:
        week (str): ISO week key, ``2025-W18``. start (date): its Monday (UTC).
        releases (int): releases with ``released_at`` in that week.
    """

    week: str
    start: date
    releases: int


@dataclass(frozen=True, slots=True)
class Cadence:
    """How often one lab ships, as of ``as_of`` (see the module docstring for every formula).

    Attributes:
        lab (str): lab slug. as_of (datetime): the "now" used (UTC).
        releases (int): releases up to ``as_of`` over the whole history.
        first_release_at / last_release_at (datetime, optional): UTC; None without releases.
        weekly (tuple[WeekCount, ...]): the last N ISO weeks, oldest first, the week of
            ``as_of`` last (zero-filled).
        gaps_days (tuple[float, ...]): days between consecutive releases, oldest first (empty
            from ``lab_cadences``, which aggregates the gaps in SQL).
        median_gap_days / longest_gap_days (float, optional): None with fewer than 2 releases.
        days_since_last (float, optional): days from the last release to ``as_of``.
        rates (dict[int, float]): releases per week over the trailing 4, 8, 12 weeks.
        streak_weeks (int): current run of ISO weeks with at least one release.
    """

    lab: str
    as_of: datetime
    releases: int
    first_release_at: datetime | None
    last_release_at: datetime | None
    weekly: tuple[WeekCount, ...]
    gaps_days: tuple[float, ...]
    median_gap_days: float | None
    longest_gap_days: float | None
    days_since_last: float | None
    rates: dict[int, float]
    streak_weeks: int

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape used by ``GET /stats/cadence`` (times ISO-8601 UTC, days to 0.01)."""

        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 2)

        return {
            "lab": self.lab,
            "as_of": _iso(self.as_of),
            "releases": self.releases,
            "first_release_at": _iso(self.first_release_at),
            "last_release_at": _iso(self.last_release_at),
            "releases_per_week": [
                {"week": w.week, "start": w.start.isoformat(), "releases": w.releases} for w in self.weekly
            ],
            "median_gap_days": r(self.median_gap_days),
            "longest_gap_days": r(self.longest_gap_days),
            "days_since_last": r(self.days_since_last),
            **{f"rate_{n}w": round(v, 3) for n, v in sorted(self.rates.items())},
            "streak_weeks": self.streak_weeks,
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat().replace("+00:00", "Z")


def build_cadence(lab: str, released_at: Iterable[datetime], *, now: datetime, weeks: int = 12) -> Cadence:
    """Compute a lab's cadence from its release times (pure).

    Args:
        lab (str): lab slug (carried through).
        released_at (Iterable[datetime]): one time per release (UTC-aware or naive UTC), any order.
        now (datetime): the "as of" time (UTC); later releases are ignored.
        weeks (int): ISO weeks in ``weekly`` (>= 1), the week of ``now`` included.

    Returns:
        Cadence: see the module docstring for the formulas.

    Raises:
        ValueError: ``weeks`` < 1.
    """
    if weeks < 1:
        raise ValueError("weeks must be >= 1")
    now = as_utc(now)
    times = sorted(t for t in (as_utc(x) for x in released_at) if t <= now)
    gaps = tuple((b - a).total_seconds() / DAY_S for a, b in zip(times, times[1:]))
    per_week: dict[date, int] = defaultdict(int)
    for t in times:
        per_week[week_start(t)] += 1
    current = week_start(now)
    weekly = tuple(
        WeekCount(iso_week(start), start, per_week.get(start, 0))
        for start in (current - timedelta(weeks=i) for i in range(weeks - 1, -1, -1))
    )
    rates = {
        n: sum(1 for t in times if now - timedelta(weeks=n) < t) / n for n in RATE_WINDOWS_WEEKS
    }
    streak, cursor = 0, current if per_week.get(current) else current - timedelta(weeks=1)
    while per_week.get(cursor):
        streak += 1
        cursor -= timedelta(weeks=1)
    return Cadence(
        lab=lab,
        as_of=now,
        releases=len(times),
        first_release_at=times[0] if times else None,
        last_release_at=times[-1] if times else None,
        weekly=weekly,
        gaps_days=gaps,
        median_gap_days=statistics.median(gaps) if gaps else None,
        longest_gap_days=max(gaps) if gaps else None,
        days_since_last=(now - times[-1]).total_seconds() / DAY_S if times else None,
        rates=rates,
        streak_weeks=streak,
    )


@dataclass(frozen=True, slots=True)
class MonthShare:
    """One month's totals per country and their shares.

    Attributes:
        month (str): ``2025-04`` (UTC), or ``latest`` for the download share as last seen.
        total (int): releases (or downloads) that month, all countries.
        counts (dict[str, int]): per ISO country code.
        shares (dict[str, float]): ``counts[c] / total`` (empty when ``total`` is 0).
    """

    month: str
    total: int
    counts: dict[str, int]
    shares: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"month", "total", "counts", "shares"}`` (shares rounded to 4 decimals)."""
        data = asdict(self)
        data["shares"] = {c: round(s, 4) for c, s in self.shares.items()}
        return data


def _share(month: str, counts: dict[str, int]) -> MonthShare:
    total = sum(counts.values())
    ordered = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    shares = {c: n / total for c, n in ordered.items()} if total else {}
    return MonthShare(month, total, ordered, shares)


def _months_between(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def build_country_share(
    rows: Iterable[tuple[str, datetime]], *, since: datetime | None = None, until: datetime | None = None
) -> list[MonthShare]:
    """Share of releases by country per calendar month (pure).

    Args:
        rows: ``(country, released_at)`` per release.
        since / until (datetime, optional): keep ``since <= released_at < until`` (UTC); the
            months between them are all listed (zero-filled) when both are given.

    Returns:
        list[MonthShare]: oldest month first; months without releases have ``total`` 0.
    """
    per_month: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for country, at in rows:
        at = as_utc(at)
        if (since is not None and at < as_utc(since)) or (until is not None and at >= as_utc(until)):
            continue
        per_month[month_key(at)][country] += 1
    return _country_share_of_counts(per_month, since=since, until=until)


def _country_share_of_counts(per_month: dict[str, dict[str, int]], *, since: datetime | None,
                             until: datetime | None) -> list[MonthShare]:
    """``build_country_share`` from releases already counted per ``{month: {country: n}}``."""
    keys = sorted(per_month)
    if since is not None and until is not None:
        keys = _months_between(month_key(since), month_key(as_utc(until) - timedelta(microseconds=1)))
    elif keys:
        keys = _months_between(keys[0], keys[-1])
    return [_share(k, dict(per_month.get(k, {}))) for k in keys]


def build_download_share(rows: Iterable[tuple[str, int, datetime, int | None]]) -> tuple[list[MonthShare], MonthShare]:
    """Share of downloads by country, per month and as last seen (pure).

    Args:
        rows: ``(country, artifact_id, taken_at, downloads)`` per snapshot; None downloads are
            ignored.

    Returns:
        tuple[list[MonthShare], MonthShare]: per month (oldest first; each artifact counted once
        per month, with its latest snapshot of that month) and ``latest`` (each artifact's
        latest snapshot overall).
    """
    latest_in_month: dict[tuple[str, int], tuple[datetime, str, int]] = {}
    latest: dict[int, tuple[datetime, str, int]] = {}
    for country, artifact_id, taken_at, downloads in rows:
        if downloads is None:
            continue
        taken_at = as_utc(taken_at)
        key = (month_key(taken_at), artifact_id)
        if key not in latest_in_month or latest_in_month[key][0] < taken_at:
            latest_in_month[key] = (taken_at, country, downloads)
        if artifact_id not in latest or latest[artifact_id][0] < taken_at:
            latest[artifact_id] = (taken_at, country, downloads)
    per_month: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (month, _), (_, country, downloads) in latest_in_month.items():
        per_month[month][country] += downloads
    overall: dict[str, int] = defaultdict(int)
    for _, country, downloads in latest.values():
        overall[country] += downloads
    months = [_share(m, dict(per_month[m])) for m in sorted(per_month)]
    return months, _share("latest", dict(overall))


# --------------------------------------------------------------------------- store loaders


def load_release_times(
    *, session: Session, lab: str | None = None, kinds: Collection[str] | None = DEFAULT_CADENCE_KINDS,
    until: datetime | None = None, since: datetime | None = None,
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


def _gap_rows(session: Session, *, lab: str | None, kinds: Collection[str] | None,
              now: datetime) -> dict[str, tuple[int, list[tuple[int, datetime, datetime]]]]:
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
        lab=lab, kinds=kinds, now=now).subquery("ordered")
    if dialect == "postgresql":
        gap = ordered.c.at - ordered.c.prev
    else:
        gap = func.julianday(ordered.c.at) - func.julianday(ordered.c.prev)
    ranked = (
        select(ordered.c.lab_id, ordered.c.at, ordered.c.prev,
               func.row_number().over(partition_by=ordered.c.lab_id, order_by=(gap, ordered.c.at)).label("rank"),
               func.count().over(partition_by=ordered.c.lab_id).label("n"))
        .where(ordered.c.prev.is_not(None))
        .subquery("ranked")
    )
    n = ranked.c.n
    stmt = select(Lab.slug, ranked.c.n, ranked.c.rank, ranked.c.prev, ranked.c.at).join(
        ranked, ranked.c.lab_id == Lab.id).where(
        or_(ranked.c.rank == (n + 1) // 2, ranked.c.rank == (n + 2) // 2, ranked.c.rank == n))
    out: dict[str, tuple[int, list[tuple[int, datetime, datetime]]]] = {}
    for slug, count, rank, before, at in session.execute(stmt):
        out.setdefault(slug, (count, []))[1].append((rank, _as_datetime(before), _as_datetime(at)))
    return out


#: ``percentile_disc`` fractions picking, among n ascending gaps, rank ceil(n / 2) and rank
#: floor(n / 2) + 1: the two middle gaps for an even n, the middle one twice for an odd n (exact
#: for n below 10^8: n x 1e-9 stays under one rank and above the float rounding).
_MIDDLE_FRACTIONS = (0.5, 0.5 + 1e-9)


def _gap_stats(session: Session, *, lab: str | None, kinds: Collection[str] | None,
               now: datetime) -> dict[str, tuple[float, float]]:
    """Per lab slug with >= 2 releases up to ``now``: ``(median gap, longest gap)`` in days.

    PostgreSQL: one pass, ``lag()`` over the ``(kind, lab_id, released_at)`` index then
    ``percentile_disc`` of the two middle gaps and ``max`` per lab. The gaps are exact intervals
    (microseconds), read back as ``timedelta``, so the days equal ``build_cadence``'s. SQLite
    (no ordered-set aggregates): ``_gap_rows``.
    """
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
        lab=lab, kinds=kinds, now=now).subquery("ordered")
    gap = ordered.c.gap
    middles = func.percentile_disc(postgresql.array(list(_MIDDLE_FRACTIONS))).within_group(gap)
    stats = (select(ordered.c.lab_id, func.max(gap).label("longest"),
                    type_coerce(middles, postgresql.ARRAY(Interval())).label("middles"))
             .where(gap.is_not(None)).group_by(ordered.c.lab_id).subquery("stats"))
    for slug, longest, (low, high) in session.execute(
            select(Lab.slug, stats.c.longest, stats.c.middles).join(stats, stats.c.lab_id == Lab.id)):
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
    dialect = session.get_bind().dialect.name
    week_col = _week_start_sql(dialect).label("week")
    per_week_sub = _release_scope(
        select(Release.lab_id, week_col, func.count().label("n"), func.min(Release.released_at).label("first"),
               func.max(Release.released_at).label("last")),
        lab=lab, kinds=kinds, now=now,
    ).group_by(Release.lab_id, week_col).subquery("per_week")
    per_week_stmt = select(Lab.slug, *[c for c in per_week_sub.c if c.name != "lab_id"]).join(
        per_week_sub, per_week_sub.c.lab_id == Lab.id)
    labs_stmt = select(Lab.slug).order_by(Lab.slug)
    if lab:
        labs_stmt = labs_stmt.where(Lab.slug == lab)
    per_week: dict[str, dict[date, int]] = {slug: {} for slug in session.scalars(labs_stmt)}
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
    OrderedDict())
_HISTORY_CACHE_SIZE = 64
_HISTORY_LOCK = threading.Lock()


def _cached_history(session: Session, *, lab: str | None, kinds: Collection[str] | None,
                    now: datetime) -> _History:
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
        select(func.pg_relation_filenode("release_changes"), func.count(), func.txid_current_if_assigned())
        .select_from(ReleaseChange)).one()
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


def lab_cadences(
    *, session: Session, now: datetime, weeks: int = 12, lab: str | None = None,
    kinds: Collection[str] | None = DEFAULT_CADENCE_KINDS,
) -> list[Cadence]:
    """Return the cadence of every stored lab (or one), ordered by lab slug.

    Same formulas and results as ``build_cadence`` over ``load_release_times`` (the module
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
    rate_stmt = labs_scope.add_columns(*[
        _release_scope(select(func.count()).where(Release.lab_id == Lab.id), lab=None, kinds=kinds, now=now)
        .where(Release.released_at > now - timedelta(weeks=n)).scalar_subquery()
        for n in RATE_WINDOWS_WEEKS
    ])
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
        out.append(Cadence(
            lab=slug,
            as_of=now,
            releases=sum(counts.values()),
            first_release_at=first_last[0] if first_last else None,
            last_release_at=first_last[1] if first_last else None,
            weekly=tuple(WeekCount(iso_week(start), start, counts.get(start, 0))
                         for start in (current - timedelta(weeks=i) for i in range(weeks - 1, -1, -1))),
            gaps_days=(),
            median_gap_days=median_gap,
            longest_gap_days=longest_gap,
            days_since_last=(now - first_last[1]).total_seconds() / DAY_S if first_last else None,
            rates={n: count / n for n, count in zip(RATE_WINDOWS_WEEKS, in_window.get(slug, [0] * 3))},
            streak_weeks=streak,
        ))
    return out


def country_release_share(
    *, session: Session, since: datetime, until: datetime,
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
    *, session: Session, since: datetime, until: datetime,
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


def month_start(at: datetime, *, months_back: int = 0) -> datetime:
    """Return 00:00 UTC on the first day of the month of ``at``, ``months_back`` months earlier."""
    at = as_utc(at)
    index = at.year * 12 + at.month - 1 - months_back
    return at.replace(year=index // 12, month=index % 12 + 1, day=1, hour=0, minute=0, second=0, microsecond=0)


def summarize(cadences: Sequence[Cadence]) -> list[dict[str, Any]]:
    """Return ``Cadence.to_dict()`` for each cadence (convenience for the API and CLI JSON)."""
    return [c.to_dict() for c in cadences]
