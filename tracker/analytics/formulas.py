"""The reference formulas of the cadence model, as pure functions.

Plain values in, frozen dataclasses out (``build_cadence`` -> ``Cadence`` with its ``WeekCount``
rows, ``build_country_share`` / ``build_download_share`` -> ``MonthShare``), so that status rules
(quiet, burst) can be layered on top and unit-tested on hand-computed examples; plus the ISO week
and UTC month helpers every other module uses. Each formula is written out in the
``tracker.analytics`` package docstring; ``tracker.analytics.aggregations`` gives the same
results computed in SQL.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tracker.domain import as_utc

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
    """How often one lab ships, as of ``as_of`` (see the ``tracker.analytics`` docstring for every formula).

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
        Cadence: see the ``tracker.analytics`` docstring for the formulas.

    Raises:
        ValueError: ``weeks`` < 1.
    """
    if weeks < 1:
        raise ValueError("weeks must be >= 1")
    now = as_utc(now)
    times = sorted(t for t in (as_utc(x) for x in released_at) if t <= now)
    gaps = tuple((b - a).total_seconds() / DAY_S for a, b in itertools.pairwise(times))
    per_week: dict[date, int] = defaultdict(int)
    for t in times:
        per_week[week_start(t)] += 1
    current = week_start(now)
    weekly = tuple(
        WeekCount(iso_week(start), start, per_week.get(start, 0))
        for start in (current - timedelta(weeks=i) for i in range(weeks - 1, -1, -1))
    )
    rates = {n: sum(1 for t in times if now - timedelta(weeks=n) < t) / n for n in RATE_WINDOWS_WEEKS}
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


def _country_share_of_counts(
    per_month: dict[str, dict[str, int]], *, since: datetime | None, until: datetime | None
) -> list[MonthShare]:
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


def month_start(at: datetime, *, months_back: int = 0) -> datetime:
    """Return 00:00 UTC on the first day of the month of ``at``, ``months_back`` months earlier."""
    at = as_utc(at)
    index = at.year * 12 + at.month - 1 - months_back
    return at.replace(year=index // 12, month=index % 12 + 1, day=1, hour=0, minute=0, second=0, microsecond=0)


def summarize(cadences: Sequence[Cadence]) -> list[dict[str, Any]]:
    """Return ``Cadence.to_dict()`` for each cadence (convenience for the API and CLI JSON)."""
    return [c.to_dict() for c in cadences]
