"""Median and longest gap per lab read from the gap statistics SQLite keeps (``tracker.store.gap_stats``).

Used by ``history._gap_stats`` on SQLite instead of a window pass over the whole history, when
the kept rows answer the question: one kind or all kinds (the scopes kept), and no release of
the scope after ``now`` (the kept gaps are those of the whole history).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from tracker.analytics.formulas import DAY_S
from tracker.domain import as_utc
from tracker.store import gap_stats

_T = gap_stats.TABLE
_COUNTS = text(
    f"SELECT labs.id, labs.slug, count(g.gap) FROM {_T} g JOIN labs ON labs.id = g.lab_id "
    "WHERE g.scope = :scope AND (:slug IS NULL OR labs.slug = :slug) GROUP BY labs.id, labs.slug"
)
_MIDDLES = text(
    f"SELECT prev_at, released_at FROM {_T} WHERE scope = :scope AND lab_id = :lab AND gap IS NOT NULL "
    "ORDER BY gap, released_at LIMIT :take OFFSET :skip"
)
_LONGEST = text(
    f"SELECT prev_at, released_at FROM {_T} WHERE scope = :scope AND lab_id = :lab AND gap IS NOT NULL "
    "ORDER BY gap DESC, released_at DESC LIMIT 1"
)
_LATER = text(f"SELECT 1 FROM {_T} WHERE scope = :scope AND released_at > :now LIMIT 1")


def _days(row: tuple[str, str]) -> float:
    before, at = (as_utc(datetime.fromisoformat(v)) for v in row)
    return (at - before).total_seconds() / DAY_S


def kept_gap_stats(
    session: Session, *, lab: str | None, kinds: Collection[str] | None, now: datetime
) -> dict[str, tuple[float, float]] | None:
    """Per lab slug with >= 2 releases: ``(median gap, longest gap)`` in days, from the kept rows.

    Returns:
        dict | None: as ``history._gap_stats``; None when the kept rows cannot answer (not SQLite,
        the table is absent, several kinds, or a release of the scope later than ``now``).
    """
    bind = session.get_bind()
    if bind.dialect.name != "sqlite" or (kinds is not None and len(set(kinds)) != 1):
        return None
    scope = gap_stats.ALL_KINDS if kinds is None else next(iter(kinds))
    if session.scalar(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": _T}) is None:
        return None
    # stored as naive UTC text; the same format compares in order
    stamp = as_utc(now).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    if session.scalar(_LATER, {"scope": scope, "now": stamp}) is not None:
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
