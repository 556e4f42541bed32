"""What a poll reads and writes: poll-unit state, the stored artifacts detection compares a
listing with, and the recent release of a family a new artifact may join."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tracker.domain import KnownArtifact
from tracker.store.lists import one_of
from tracker.store.models import Artifact, Release, SourceState


def get_or_create_source_state(*, session: Session, source: str, lab_slug: str) -> SourceState:
    """Return the (source, lab) poll state row, creating it (locked for update where supported)."""
    stmt = select(SourceState).where(SourceState.source == source, SourceState.lab_slug == lab_slug)
    state = session.scalars(stmt.with_for_update()).one_or_none()
    if state is None:
        state = SourceState(source=source, lab_slug=lab_slug, consecutive_failures=0, cursor={})
        session.add(state)
        session.flush()
    return state


def get_source_state(*, session: Session, source: str, lab_slug: str) -> SourceState | None:
    """Return the (source, lab) poll state row without locking it, or None (never polled)."""
    stmt = select(SourceState).where(SourceState.source == source, SourceState.lab_slug == lab_slug)
    return session.scalars(stmt).one_or_none()


def list_source_states(*, session: Session) -> Sequence[SourceState]:
    """Return every poll-unit state, ordered by source then lab."""
    return session.scalars(select(SourceState).order_by(SourceState.source, SourceState.lab_slug)).all()


def get_known_artifacts(
    *, session: Session, source: str, lab_id: int, external_ids: Iterable[str]
) -> dict[str, tuple[KnownArtifact, Artifact]]:
    """Return stored artifacts of ``source`` that belong to the lab or carry one of the ids.

    Returns:
        dict[str, tuple[KnownArtifact, Artifact]]: by external id, the detection view and the row.
    """
    ids = list(set(external_ids))
    conditions = [Artifact.lab_id == lab_id]
    for start in range(0, len(ids), 500):  # stay far below every backend's bound-parameter limit
        conditions.append(Artifact.external_id.in_(ids[start : start + 500]))
    rows = session.scalars(select(Artifact).where(Artifact.source == source, or_(*conditions)))
    return {
        row.external_id: (
            KnownArtifact(
                id=row.id,
                external_id=row.external_id,
                name=row.name,
                org=row.org,
                withdrawn=row.withdrawn_at is not None,
                version=row.version,
            ),
            row,
        )
        for row in rows
    }


def find_recent_release(*, session: Session, lab_id: int, family: str, kind: str, since: datetime) -> Release | None:
    """Return the newest release of ``family`` for the lab released at or after ``since`` (UTC)."""
    stmt = (
        select(Release)
        .where(
            Release.lab_id == lab_id,
            Release.family == family,
            Release.kind == kind,
            Release.released_at >= since,
        )
        .order_by(Release.released_at.desc(), Release.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def stored_external_ids(*, session: Session, source: str, external_ids: Sequence[str]) -> set[str]:
    """Return which of ``external_ids`` are stored as artifacts of ``source`` (any lab)."""
    return set(
        session.scalars(
            select(Artifact.external_id).where(Artifact.source == source, Artifact.external_id.in_(external_ids))
        )
    )


def recent_live_releases(*, session: Session, lab_id: int, kind: str, since: datetime) -> list[Release]:
    """The lab's live (not baseline), not withdrawn releases of ``kind`` released at or after
    ``since`` (UTC), newest first: the launches a repo of another family may still join."""
    stmt = (
        select(Release)
        .where(
            Release.lab_id == lab_id,
            Release.kind == kind,
            Release.released_at >= since,
            Release.baseline.is_(False),
            Release.withdrawn_at.is_(None),
        )
        .order_by(Release.released_at.desc(), Release.id.desc())
    )
    return list(session.scalars(stmt))


def release_members(*, session: Session, release_id: int, kind: str) -> list[Artifact]:
    """The artifacts of ``kind`` in a release, in the order they were stored."""
    stmt = select(Artifact).where(Artifact.release_id == release_id, Artifact.kind == kind).order_by(Artifact.id)
    return list(session.scalars(stmt))


def family_releases(*, session: Session, lab_id: int, families: Iterable[str]) -> list[Release]:
    """Every release of the lab whose family key is one of ``families`` (any kind, any date), by id.

    A baseline page prefetches these once and decides its grouping in memory with the same
    ordering as :func:`find_recent_release` (newest ``released_at``, then highest id).
    """
    keys = sorted(set(families))
    out: list[Release] = []
    for start in range(0, len(keys), 500):  # stay far below every backend's bound-parameter limit
        stmt = select(Release).where(
            Release.lab_id == lab_id, one_of(session, Release.family, keys[start : start + 500])
        )
        out.extend(session.scalars(stmt))
    return sorted(out, key=lambda r: r.id)


def members_of_releases(*, session: Session, release_ids: Iterable[int], kind: str) -> dict[int, list[Artifact]]:
    """:func:`release_members` of several releases in one query: release id -> artifacts of ``kind`` by id."""
    ids = sorted(set(release_ids))
    out: dict[int, list[Artifact]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        stmt = (
            select(Artifact)
            .where(one_of(session, Artifact.release_id, ids[start : start + 500]), Artifact.kind == kind)
            .order_by(Artifact.id)
        )
        for artifact in session.scalars(stmt):
            out[artifact.release_id].append(artifact)
    return out
