"""The grouping post-pass after a poll stored its artifacts: lineage, paper links, significance.

A launch's repos, its bases and its paper often arrive in the same poll, and in any order, so
the links are made once every new artifact of the poll is stored: base-model links of new Hub
repos (and pending links whose base just arrived or was renamed), paper links by ``arxiv:`` tag
and by title, then the derivative/new-base flags and significance of every release touched, and
of the paper releases that follow them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from tracker.domain import ArtifactKind
from tracker.grouping import lineage, papers, significance
from tracker.store.models import Artifact

__all__ = ["enrich_after_poll"]


def enrich_after_poll(
    session: Session,
    *,
    new: Sequence[Artifact],
    renamed: Sequence[Artifact],
    lab_id: int,
    lab_orgs: Iterable[str],
    tier: str | None,
) -> None:
    """Link lineage and papers for one poll unit's stored changes and refresh the scores they move.

    Does nothing when the poll stored no new artifact and renamed none. Never commits.

    Args:
        session: inside the poll's transaction.
        new: artifacts stored by this poll, in the order they were stored.
        renamed: known artifacts renamed by this poll (a pending link may name their new name).
        lab_id: the polled lab's id. lab_orgs: its Hub orgs, current and former (base-model
            resolution across an org move). tier: its watchlist tier (significance).
    """
    if not (new or renamed):
        return
    session.flush()
    lab_orgs = tuple(lab_orgs)
    touched = {a.release_id for a in new}
    touched |= lineage.link_artifacts(session, new, lab_orgs=lab_orgs)
    touched |= lineage.resolve_pending(session, [*new, *renamed], lab_orgs=lab_orgs)
    paper_releases = papers.link_new_models(session, new, lab_id=lab_id)
    paper_releases |= papers.link_new_papers(session, new)
    paper_releases |= {a.release_id for a in new if a.kind == ArtifactKind.PAPER.value}
    significance.refresh_scores(session, touched, paper_releases, lab_id=lab_id, tier=tier)
