"""Store what the global listings showed: one row per repo, hourly counter snapshots, derivatives.

Bounded storage: a snapshot at most every ``SNAPSHOT_EVERY_S`` per repo, kept
``SNAPSHOT_KEEP_S``; repos and candidates not seen for ``RETENTION_DAYS`` are dropped unless the
candidate crossed the alert score or was adopted (``prune``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tracker.domain import SourceKind
from tracker.radar.lineage import Earlier, classify, name_key
from tracker.sources.hf_global import GlobalPage, GlobalRepo
from tracker.sources.huggingface import HubModel
from tracker.store.models import Artifact, RadarCandidate, RadarDerivative, RadarRepo, RadarSnapshot

__all__ = ["RETENTION_DAYS", "SNAPSHOT_EVERY_S", "SNAPSHOT_KEEP_S", "chunks", "prune", "record_pages", "record_scan"]

SNAPSHOT_EVERY_S = 3600.0
SNAPSHOT_KEEP_S = 2 * 86_400.0
RETENTION_DAYS = 30.0
_CHUNK = 500


def chunks(keys: Sequence[str]) -> Iterable[list[str]]:
    for i in range(0, len(keys), _CHUNK):
        yield list(keys[i : i + _CHUNK])


def _earlier(session: Session, repos: Sequence[GlobalRepo]) -> dict[str, list[Earlier]]:
    """Known repos sharing a name with ``repos``: watched labs' Hub artifacts and radar sightings."""
    names = sorted({name_key(r.repo_id) for r in repos})
    out: dict[str, list[Earlier]] = {}
    for chunk in chunks(names):
        rows = session.execute(
            select(RadarRepo.repo_id, RadarRepo.org_key, RadarRepo.created_at, RadarRepo.likes).where(
                RadarRepo.name_key.in_(chunk)
            )
        )
        for repo_id, org_key, created, likes in rows:
            out.setdefault(name_key(repo_id), []).append(Earlier(repo_id, org_key, created, likes or 0))
    wanted = set(names)
    rows = session.execute(select(Artifact.name, Artifact.created_at).where(Artifact.source == SourceKind.HF.value))
    for repo_id, created in rows:
        key = name_key(repo_id)
        if key in wanted:
            out.setdefault(key, []).append(Earlier(repo_id, repo_id.partition("/")[0].lower(), created))
    for repo in repos:
        out.setdefault(name_key(repo.repo_id), []).append(Earlier(repo.repo_id, repo.org.lower(), repo.created_at))
    return out


def _add_derivative(session: Session, seen: set[tuple[str, str]], base_id: str, repo_id: str, relation, now) -> None:
    base_key, repo_key = base_id.lower(), repo_id.lower()
    base_org, org = base_key.partition("/")[0], repo_key.partition("/")[0]
    if base_org == org or not base_org or (base_key, repo_key) in seen:
        return
    seen.add((base_key, repo_key))
    exists = session.scalar(
        select(RadarDerivative.id).where(RadarDerivative.base_key == base_key, RadarDerivative.repo_key == repo_key)
    )
    if exists is None:
        session.add(
            RadarDerivative(
                base_key=base_key, base_org_key=base_org, repo_key=repo_key, org_key=org, relation=relation, seen_at=now
            )
        )


def _merged(pages: Sequence[GlobalPage]) -> tuple[dict[str, GlobalRepo], dict[str, int]]:
    repos: dict[str, GlobalRepo] = {}
    trending: dict[str, int] = {}
    for page in pages:
        for repo in page.repos:
            key = repo.repo_id.lower()
            repos.setdefault(key, repo)
            if page.listing == "trending":
                trending[key] = min(repo.rank, trending.get(key, repo.rank))
    return repos, trending


def record_pages(session: Session, pages: Sequence[GlobalPage], *, now: datetime) -> set[str]:
    """Upsert every repo the pages listed, snapshot its counters, record derivative edges.

    Args:
        pages: one cycle's global listing pages. now: the cycle time (UTC).

    Returns:
        set[str]: the org keys (lower-cased) seen in this cycle.
    """
    repos, trending = _merged(pages)
    earlier = _earlier(session, list(repos.values()))
    keys = sorted(repos)
    existing: dict[str, RadarRepo] = {}
    last_snap: dict[str, datetime] = {}
    for chunk in chunks(keys):
        existing.update(
            {r.repo_key: r for r in session.scalars(select(RadarRepo).where(RadarRepo.repo_key.in_(chunk)))}
        )
        stmt = (
            select(RadarSnapshot.repo_key, func.max(RadarSnapshot.taken_at))
            .where(RadarSnapshot.repo_key.in_(chunk))
            .group_by(RadarSnapshot.repo_key)
        )
        last_snap.update({str(row[0]): row[1] for row in session.execute(stmt)})
    edges: set[tuple[str, str]] = set()
    for key, repo in repos.items():
        lineage = classify(repo, earlier)
        row = existing.get(key)
        if row is None:
            row = RadarRepo(repo_key=key, org_key=repo.org.lower(), first_seen_at=now, name_key=name_key(repo.repo_id))
            session.add(row)
        row.repo_id, row.object_id, row.last_seen_at = repo.repo_id, repo.object_id[:64], now
        row.created_at = repo.created_at or row.created_at
        row.likes = repo.likes if repo.likes is not None else row.likes
        row.downloads = repo.downloads if repo.downloads is not None else row.downloads
        row.relation, row.base_repo_id = lineage.relation, lineage.base_repo_id
        row.arxiv_id = repo.arxiv_ids[0] if repo.arxiv_ids else row.arxiv_id
        row.custom_code = repo.custom_code
        if key in trending:
            row.trending_rank, row.trending_at = trending[key], now
        taken = last_snap.get(key)
        if taken is None or (now - taken).total_seconds() >= SNAPSHOT_EVERY_S:
            session.add(RadarSnapshot(repo_key=key, taken_at=now, likes=row.likes, downloads=row.downloads))
        for relation, base in repo.bases:
            _add_derivative(session, edges, base, repo.repo_id, relation, now)
    session.flush()
    return {r.org.lower() for r in repos.values()}


def record_scan(session: Session, base_repo_id: str, models: Sequence[HubModel], *, now: datetime) -> int:
    """Record a derivative scan of ``base_repo_id`` (Hub ``filter=base_model:<repo>``).

    Returns:
        int: third-party derivatives of that base now known (the base's own org never counts).
    """
    edges: set[tuple[str, str]] = set()
    for model in models:
        relation = next((rel for rel, base in model.base_models if base.lower() == base_repo_id.lower()), None)
        _add_derivative(session, edges, base_repo_id, model.repo_id, relation, now)
    row = session.scalar(select(RadarRepo).where(RadarRepo.repo_key == base_repo_id.lower()))
    if row is not None:
        row.scanned_at = now
    session.flush()
    return int(
        session.scalar(
            select(func.count()).select_from(RadarDerivative).where(RadarDerivative.base_key == base_repo_id.lower())
        )
        or 0
    )


def prune(session: Session, *, now: datetime) -> None:
    """Drop old snapshots, repos and candidates unseen for ``RETENTION_DAYS`` (kept: crossed, adopted), and
    derivative edges of dropped repos."""
    session.execute(delete(RadarSnapshot).where(RadarSnapshot.taken_at < now - timedelta(seconds=SNAPSHOT_KEEP_S)))
    cutoff = now - timedelta(days=RETENTION_DAYS)
    keep = select(RadarCandidate.org_key).where(
        (RadarCandidate.crossed_at.is_not(None)) | (RadarCandidate.status == "adopted")
    )
    session.execute(
        delete(RadarRepo).where(RadarRepo.last_seen_at < cutoff, RadarRepo.org_key.not_in(keep)),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        delete(RadarDerivative).where(RadarDerivative.base_key.not_in(select(RadarRepo.repo_key))),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        delete(RadarCandidate).where(
            RadarCandidate.last_seen_at < cutoff,
            RadarCandidate.crossed_at.is_(None),
            RadarCandidate.status != "adopted",
        ),
        execution_options={"synchronize_session": False},
    )
