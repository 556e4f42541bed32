"""Which launch a lab's paper is the report of: the link already made, inside the launch window.

A paper is linked to model releases by ``tracker.grouping.papers`` (an ``arxiv:`` tag on a repo,
or a title whose subject is the release's family). It is the *report* of one launch when such a
link exists and the paper's v1 was submitted from ``papers.launch_before_days`` before the
launch's first public moment to ``papers.launch_after_days`` after it. The launch is the family's
first release (a later wave points at it with ``family_release_id``), never a release folded into
another or fully withdrawn. Among several, a tag link wins over a title link, then the earliest
launch (the report of "Qwen3" is the report of the April launch, not of its later quantized wave).

Read-only: the pipeline (``tracker.pipeline.reports``) merges, cancels and writes the events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tracker.domain import ArtifactKind, as_utc
from tracker.store.models import Artifact, Release, ReleasePaper

__all__ = ["LaunchWindow", "launch_for_paper", "launches_with_papers", "reports_of_launch"]


@dataclass(frozen=True, slots=True)
class LaunchWindow:
    """How far (days) a report may come before and after its launch's weights."""

    before_days: float
    after_days: float

    def holds(self, paper_at: datetime, launch_at: datetime) -> bool:
        """True when a paper submitted at ``paper_at`` is in the window of a launch at ``launch_at`` (UTC)."""
        paper_at, launch_at = as_utc(paper_at), as_utc(launch_at)
        return launch_at - timedelta(days=self.before_days) <= paper_at <= launch_at + timedelta(days=self.after_days)


def _root(session: Session, release: Release) -> Release:
    """The family's first release for a wave; the release itself otherwise."""
    if release.family_release_id is None:
        return release
    return session.get(Release, release.family_release_id) or release


def _usable(release: Release, lab_id: int) -> bool:
    return (
        release.kind == ArtifactKind.MODEL.value
        and release.lab_id == lab_id
        and release.merged_into_id is None
        and release.withdrawn_at is None
    )


def launch_for_paper(session: Session, paper: Artifact, window: LaunchWindow) -> tuple[Release, str] | None:
    """The launch ``paper`` is the report of, with how they are linked (``tag`` | ``title``), or None.

    Args:
        session: any session; nothing is written.
        paper: a stored arXiv paper artifact (its ``created_at`` is the v1 submission, UTC).
        window: ``papers.launch_before_days`` / ``launch_after_days``.
    """
    if paper.created_at is None:
        return None
    rows = session.execute(
        select(Release, ReleasePaper.via)
        .join(ReleasePaper, ReleasePaper.release_id == Release.id)
        .where(ReleasePaper.paper_id == paper.id)
    ).all()
    best: tuple[tuple[int, datetime, int], Release, str] | None = None
    for release, via in rows:
        root = _root(session, release)
        if not _usable(root, paper.lab_id) or not window.holds(paper.created_at, root.released_at):
            continue
        rank = (0 if via == "tag" else 1, as_utc(root.released_at), root.id)
        if best is None or rank < best[0]:
            best = (rank, root, via)
    return (best[1], best[2]) if best else None


def reports_of_launch(session: Session, launch: Release, window: LaunchWindow) -> list[tuple[Artifact, str]]:
    """The lab's papers linked to ``launch`` (or to its waves' releases) whose report it is, not yet merged.

    Each paper is checked with :func:`launch_for_paper`, so a paper tied more closely to another
    launch stays there. Returns (paper artifact, via) pairs, oldest paper first.
    """
    release_ids = [launch.id, *session.scalars(select(Release.id).where(Release.family_release_id == launch.id))]
    papers = session.execute(
        select(Artifact, ReleasePaper.via)
        .join(ReleasePaper, ReleasePaper.paper_id == Artifact.id)
        .join(Release, Release.id == Artifact.release_id)
        .where(
            ReleasePaper.release_id.in_(release_ids),
            Artifact.lab_id == launch.lab_id,
            Release.kind == ArtifactKind.PAPER.value,
            Release.merged_into_id.is_(None),
        )
        .order_by(Artifact.created_at, Artifact.id)
    ).all()
    out: list[tuple[Artifact, str]] = []
    seen: set[int] = set()
    for paper, _via in papers:
        if paper.id in seen:
            continue
        seen.add(paper.id)
        found = launch_for_paper(session, paper, window)
        if found is not None and found[0].id == launch.id:
            out.append((paper, found[1]))
    return out


def launches_with_papers(session: Session, launch_ids: Sequence[int]) -> set[int]:
    """Which of ``launch_ids`` have a paper linked to them or to one of their waves, in one query per
    500 ids: :func:`reports_of_launch` of any other launch is empty, so a caller may skip it."""
    ids = sorted(set(launch_ids))
    out: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.execute(
            select(Release.id, Release.family_release_id)
            .join(ReleasePaper, ReleasePaper.release_id == Release.id)
            .where(or_(Release.id.in_(chunk), Release.family_release_id.in_(chunk)))
        )
        for release_id, family_release_id in rows:
            out |= {release_id, family_release_id} & set(chunk)
    return out
