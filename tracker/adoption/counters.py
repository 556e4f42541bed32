"""All-time downloads on the download snapshots, from ``expand[]=downloadsAllTime`` listings.

Release polling reads listings with ``full=true``, which the Hub cannot combine with
``expand[]``, so ``downloadsAllTime`` needs a listing of its own: one request per org page, due
once per snapshot interval per org, and spent from the adoption budget. The counters land on
the artifact's snapshot of the interval when there is one (the pipeline's daily snapshot),
otherwise on a new snapshot row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.domain import SourceKind, as_utc
from tracker.sources.hf_adoption import Counters
from tracker.store.models import Artifact, DownloadSnapshot, Release

__all__ = ["orgs_due", "record_counters"]


def orgs_due(session: Session, *, now: datetime, window_days: float, interval_s: float) -> list[str]:
    """Hub orgs holding a model of a release public in the last ``window_days`` whose newest
    all-time count is older than ``interval_s`` (or missing), least recently counted first."""
    now = as_utc(now)
    stmt = (
        select(Artifact.org, func.max(DownloadSnapshot.taken_at))
        .join(Release, Release.id == Artifact.release_id)
        .outerjoin(
            DownloadSnapshot,
            (DownloadSnapshot.artifact_id == Artifact.id) & DownloadSnapshot.downloads_all_time.is_not(None),
        )
        .where(
            Artifact.source == SourceKind.HF.value,
            Artifact.org.is_not(None),
            Artifact.withdrawn_at.is_(None),
            Release.released_at >= now - timedelta(days=window_days),
        )
        .group_by(Artifact.org)
    )
    cutoff = now - timedelta(seconds=interval_s)
    rows = [(org, as_utc(at) if at else None) for org, at in session.execute(stmt)]
    due = [(org, at) for org, at in rows if at is None or at <= cutoff]
    due.sort(key=lambda r: (r[1] is not None, r[1] or now, r[0]))
    return [org for org, _ in due]


def record_counters(session: Session, counters: Iterable[Counters], *, now: datetime, interval_s: float) -> int:
    """Write ``downloads_all_time`` (and 30-day downloads, likes) for the stored artifacts listed.

    Updates the artifact's snapshot taken within the last ``interval_s`` seconds if any, else adds
    one. Never commits.

    Returns:
        int: artifacts updated or snapshotted.
    """
    by_id = {c.object_id: c for c in counters}
    if not by_id:
        return 0
    since = as_utc(now) - timedelta(seconds=interval_s)
    written = 0
    keys = list(by_id)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        ids = dict(
            session.execute(
                select(Artifact.external_id, Artifact.id).where(
                    Artifact.source == SourceKind.HF.value, Artifact.external_id.in_(chunk)
                )
            ).all()
        )
        recent: dict[int, DownloadSnapshot] = {}
        stmt = (
            select(DownloadSnapshot)
            .where(DownloadSnapshot.artifact_id.in_(list(ids.values())), DownloadSnapshot.taken_at > since)
            .order_by(DownloadSnapshot.taken_at)
        )
        for snap in session.scalars(stmt):
            recent[snap.artifact_id] = snap
        for external_id, artifact_id in ids.items():
            c = by_id[external_id]
            snap = recent.get(artifact_id)
            if snap is None:
                session.add(
                    DownloadSnapshot(
                        artifact_id=artifact_id,
                        taken_at=now,
                        downloads=c.downloads,
                        likes=c.likes,
                        downloads_all_time=c.downloads_all_time,
                    )
                )
            else:
                snap.downloads_all_time = c.downloads_all_time
            written += 1
    return written
