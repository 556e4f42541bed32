"""The whole-history part of the cadence read from the statistics kept by triggers (``tracker.store.gap_stats``).

Used by ``history`` (SQLite and PostgreSQL) instead of a ``GROUP BY`` week pass and a window pass over the
whole history, when the kept rows answer the question: one kind or all kinds (the scopes
kept), and no release of the scope after ``now`` (the kept rows are the whole history).
``kept_gap_stats``: median and longest gap per lab; ``kept_weeks``: releases per ISO week and
first/last release per lab.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from tracker.analytics.formulas import DAY_S
from tracker.domain import as_utc
from tracker.store import gap_stats

_T = gap_stats.TABLE
# gaps per lab = its releases - 1, summed from the small weekly table (not a walk of every gap row)
_COUNTS = text(
    f"SELECT labs.id, labs.slug, sum(w.n) - 1 FROM {gap_stats.WEEKS} w JOIN labs ON labs.id = w.lab_id "
    "WHERE w.scope = :scope AND (CAST(:slug AS VARCHAR) IS NULL OR labs.slug = :slug) GROUP BY labs.id, labs.slug"
)
_MIDDLES = text(
    f"SELECT prev_at, released_at FROM {_T} WHERE scope = :scope AND lab_id = :lab AND gap IS NOT NULL "
    "ORDER BY gap, released_at LIMIT :take OFFSET :skip"
)
_LONGEST = text(
    f"SELECT prev_at, released_at FROM {_T} WHERE scope = :scope AND lab_id = :lab AND gap IS NOT NULL "
    "ORDER BY gap DESC, released_at DESC LIMIT 1"
)
_WEEKS = text(
    f"SELECT labs.slug, w.week, w.n FROM {gap_stats.WEEKS} w JOIN labs ON labs.id = w.lab_id "
    "WHERE w.scope = :scope AND (CAST(:slug AS VARCHAR) IS NULL OR labs.slug = :slug)"
)
# per lab, two seeks of the (scope, lab_id, released_at, release_id) index
_BOUNDS = text(
    f"SELECT slug, (SELECT min(released_at) FROM {_T} WHERE scope = :scope AND lab_id = labs.id), "
    f"(SELECT max(released_at) FROM {_T} WHERE scope = :scope AND lab_id = labs.id) FROM labs "
    "WHERE CAST(:slug AS VARCHAR) IS NULL OR slug = :slug"
)
# per lab, one seek of the (scope, lab_id, released_at, release_id) index
_LATER = text(
    f"SELECT 1 FROM labs WHERE (SELECT max(released_at) FROM {_T} WHERE scope = :scope AND lab_id = labs.id) > :now "
    "LIMIT 1"
)


#: per dialect, whether the kept table exists (a database migrated before it answers None)
_PRESENT = {
    "sqlite": text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :t"),
    "postgresql": text("SELECT 1 WHERE to_regclass(:t) IS NOT NULL"),
}


def _days(row: tuple[str | datetime, str | datetime]) -> float:
    before, at = (_at(v) for v in row)
    return (at - before).total_seconds() / DAY_S


def _scope(session: Session, kinds: Collection[str] | None, now: datetime) -> str | None:
    """The kept scope answering ``kinds`` up to ``now``, or None (see the module docstring)."""
    dialect = session.get_bind().dialect.name
    if dialect not in _PRESENT or (kinds is not None and len(set(kinds)) != 1):
        return None
    scope = gap_stats.ALL_KINDS if kinds is None else next(iter(kinds))
    if session.scalar(_PRESENT[dialect], {"t": _T}) is None:
        return None
    stamp: datetime | str = as_utc(now)
    if dialect == "sqlite":  # stored as naive UTC text; the same format compares in order
        stamp = as_utc(now).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    if session.scalar(_LATER, {"scope": scope, "now": stamp}) is not None:
        return None
    return scope


def kept_weeks(
    session: Session, *, lab: str | None, kinds: Collection[str] | None, now: datetime
) -> tuple[dict[str, dict[date, int]], dict[str, tuple[datetime, datetime]]] | None:
    """Releases per ISO week start per lab slug (weeks with releases), and first and last release
    per lab with releases (UTC), from the kept rows; None when they cannot answer (``kept_gap_stats``)."""
    scope = _scope(session, kinds, now)
    if scope is None:
        return None
    per_week: dict[str, dict[date, int]] = {}
    for slug, week, n in session.execute(_WEEKS, {"scope": scope, "slug": lab}):
        per_week.setdefault(slug, {})[date.fromisoformat(week) if isinstance(week, str) else week] = n
    bounds = {
        slug: (_at(first), _at(last))
        for slug, first, last in session.execute(_BOUNDS, {"scope": scope, "slug": lab})
        if first is not None
    }
    return per_week, bounds


def _at(value: str | datetime) -> datetime:
    """A kept time as aware UTC (SQLite hands back naive UTC text, PostgreSQL a datetime)."""
    return as_utc(datetime.fromisoformat(value) if isinstance(value, str) else value)


def kept_gap_stats(
    session: Session, *, lab: str | None, kinds: Collection[str] | None, now: datetime
) -> dict[str, tuple[float, float]] | None:
    """Per lab slug with >= 2 releases: ``(median gap, longest gap)`` in days, from the kept rows.

    Returns:
        dict | None: as ``history._gap_stats``; None when the kept rows cannot answer (another
        backend, the table is absent, several kinds, or a release of the scope later than ``now``).
    """
    scope = _scope(session, kinds, now)
    if scope is None:
        return None
    out: dict[str, tuple[float, float]] = {}
    for lab_id, slug, n in session.execute(_COUNTS, {"scope": scope, "slug": lab}).all():
        if n < 1:
            continue
        # ranks (n + 1) // 2 and (n + 2) // 2 (1-based): adjacent, or the same one for an odd n
        take = 1 if n % 2 else 2
        middles = session.execute(_MIDDLES, {"scope": scope, "lab": lab_id, "take": take, "skip": (n + 1) // 2 - 1})
        days = [_days(r) for r in middles.all()]
        longest = _days(session.execute(_LONGEST, {"scope": scope, "lab": lab_id}).one())
        out[slug] = (sum(days) / len(days), longest)
    return out
