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

Modules:

* ``formulas``: the reference formulas above as pure functions (plain values in, frozen
  dataclasses out: ``build_cadence``, ``build_country_share``, ``build_download_share``), their
  results (``Cadence``, ``WeekCount``, ``MonthShare``) and the ISO week / UTC month helpers.
* ``aggregations``: the same results read from the store and aggregated in SQL
  (``load_release_times``, ``lab_cadences``, ``country_release_share``,
  ``country_download_share``; keyword-only ``session``, never commit).
* ``history``: the part of ``lab_cadences`` that depends on the release times only (weekly
  counts, first/last release, median and longest gap), kept between changes on PostgreSQL
  (``_cached_history``, ``_HISTORY_CACHE``).

Every public name is re-exported here (and the private ones that other modules, tests and
benches reach through ``analytics.``), so ``from tracker.analytics import X`` and
``analytics.X`` keep working.
"""

from tracker.analytics.aggregations import (
    country_download_share,
    country_release_share,
    lab_cadences,
    load_release_times,
)
from tracker.analytics.formulas import (
    DAY_S,
    DEFAULT_CADENCE_KINDS,
    RATE_WINDOWS_WEEKS,
    Cadence,
    MonthShare,
    WeekCount,
    build_cadence,
    build_country_share,
    build_download_share,
    iso_week,
    month_key,
    month_start,
    summarize,
    week_start,
)
from tracker.analytics.history import _HISTORY_CACHE, _cached_history, _gap_stats, _History, _history

__all__ = [
    "DAY_S",
    "DEFAULT_CADENCE_KINDS",
    "RATE_WINDOWS_WEEKS",
    # private, used through ``analytics.`` by tests, benches and docstrings (one object, one home:
    # ``tracker.analytics.history``)
    "_HISTORY_CACHE",
    "Cadence",
    "MonthShare",
    "WeekCount",
    "_History",
    "_cached_history",
    "_gap_stats",
    "_history",
    "build_cadence",
    "build_country_share",
    "build_download_share",
    "country_download_share",
    "country_release_share",
    "iso_week",
    "lab_cadences",
    "load_release_times",
    "month_key",
    "month_start",
    "summarize",
    "week_start",
]
