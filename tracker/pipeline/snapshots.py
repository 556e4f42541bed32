"""Download snapshots: downloads and likes of watched repos, taken from listings already fetched.

The Hub listing (``GET /api/models?author=ORG``) carries ``downloads`` (the last 30 days) and
``likes`` for every repo; the Hugging Face source keeps them in ``Observation.attrs``. Recording
them costs no extra request: the poll that fetched the listing writes a ``DownloadSnapshot`` row
per artifact, at most once per ``interval_s`` (default 24 h) per poll unit and per artifact.

Those fields are volatile, so they are left out of the listing fingerprint (``tracker.pipeline``):
an unchanged listing takes the fast path and writes nothing. ``snapshot_due`` lets the pipeline
run the full path once per interval, when the unit's last snapshot (kept in its
``SourceState.cursor["snapshot_at"]``) is older than the interval.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from tracker.domain import Observation, as_utc
from tracker.store.models import Artifact, DownloadSnapshot

#: Default seconds between two snapshots of one artifact (24 h).
DEFAULT_INTERVAL_S = 86_400.0
#: Key of the unit's last snapshot time (ISO-8601 UTC) in ``SourceState.cursor``.
CURSOR_KEY = "snapshot_at"


def interval_s(settings: Any) -> float:
    """Return the snapshot interval in seconds: ``settings.snapshot_interval_s`` when Settings
    defines it (``TRACKER_SNAPSHOT_INTERVAL_S``), else ``DEFAULT_INTERVAL_S``."""
    value = getattr(settings, "snapshot_interval_s", None)
    return float(value) if value else DEFAULT_INTERVAL_S


def snapshot_due(cursor: Mapping[str, Any] | None, *, now: datetime, interval: float) -> bool:
    """Return True when the unit has never snapshotted or its last snapshot is ``interval`` seconds old.

    Args:
        cursor (Mapping, optional): the unit's ``SourceState.cursor``.
        now (datetime): poll time (UTC). interval (float): seconds.
    """
    raw = (cursor or {}).get(CURSOR_KEY)
    if not raw:
        return True
    try:
        last = as_utc(datetime.fromisoformat(raw))
    except (TypeError, ValueError):
        return True  # an unreadable marker only costs one full-path poll
    return as_utc(now) - last >= timedelta(seconds=interval)


def _counters(obs: Observation) -> tuple[int | None, int | None]:
    attrs = obs.attrs or {}
    downloads, likes = attrs.get("downloads"), attrs.get("likes")
    return (downloads if isinstance(downloads, int) else None, likes if isinstance(likes, int) else None)


def record_snapshots(
    *,
    session: Session,
    source: str,
    observations: Iterable[Observation],
    now: datetime,
    interval: float,
) -> int:
    """Write one snapshot per stored artifact that the listing shows with downloads or likes.

    Artifacts snapshotted less than ``interval`` seconds ago (e.g. also listed by another unit)
    are skipped. Never commits.

    Args:
        source (str): the source slug (``hf``). observations: what the listing returned.
        now (datetime): the poll time (UTC), stored as ``taken_at``. interval (float): seconds.

    Returns:
        int: snapshots written.
    """
    counters = {o.external_id: _counters(o) for o in observations}
    counters = {k: v for k, v in counters.items() if v != (None, None)}
    if not counters:
        return 0
    ids: dict[str, int] = {}
    keys = list(counters)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        stmt = select(Artifact.external_id, Artifact.id).where(
            Artifact.source == source, Artifact.external_id.in_(chunk)
        )
        for external_id, artifact_id in session.execute(stmt):
            ids[external_id] = artifact_id
    recent: set[int] = set()
    artifact_ids = list(ids.values())
    since = as_utc(now) - timedelta(seconds=interval)
    for start in range(0, len(artifact_ids), 500):
        chunk = artifact_ids[start : start + 500]
        stmt = (
            select(DownloadSnapshot.artifact_id)
            .where(DownloadSnapshot.artifact_id.in_(chunk), DownloadSnapshot.taken_at > since)
            .group_by(DownloadSnapshot.artifact_id)
            .having(func.count() > 0)
        )
        recent.update(session.scalars(stmt))
    rows = [
        {"artifact_id": artifact_id, "taken_at": now, "downloads": counters[ext][0], "likes": counters[ext][1]}
        for ext, artifact_id in ids.items()
        if artifact_id not in recent
    ]
    if rows:  # one executemany: nothing reads the snapshots' ids back
        session.execute(insert(DownloadSnapshot), rows)
    return len(rows)
