"""The gate a lab's arXiv results pass before they are stored: attributed papers in, namesakes out.

Every paper a lab's arXiv query returns is a *candidate*, kept in ``paper_candidates`` with the
decision and its evidence (``tracker.grouping.attribution``), whether or not it is stored, so
that ``tracker explain <arXiv id>`` can say why a paper was or was not announced. Only an
attributed candidate becomes an artifact. A rejected one comes back on each poll whose listing
changed and is decided again: a repo of the lab tagged with its id since then attributes it.
When a Hub poll stores such a repo (or a release of a family a rejected title is about), the
lab's arXiv listing is marked for a full look on its next poll (:func:`reopen_rejected`), since
an unchanged listing is otherwise skipped whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from tracker.domain import ArtifactKind, Observation, SourceKind
from tracker.grouping.attribution import Attribution, attribute, lab_identity
from tracker.grouping.papers import arxiv_base_id, title_family_keys
from tracker.store.models import Artifact, Lab, PaperCandidate, Release, SourceState
from tracker.watchlist import LabConfig

__all__ = ["PaperGate", "reopen_rejected"]

#: Stored per candidate at most (an arXiv author list can run to thousands).
MAX_AUTHORS = 50
MAX_CATEGORIES = 20


def _strings(value: object, limit: int) -> list[str]:
    """The first ``limit`` non-blank strings of a JSON list from the feed (anything else dropped)."""
    if not isinstance(value, list | tuple):
        return []
    return [" ".join(v.split())[:300] for v in value if isinstance(v, str) and v.strip()][:limit]


class PaperGate:
    """Decides which of one arXiv poll's new papers are the lab's, and records every decision.

    Args:
        session: the unit's session (inside its transaction; never committed here).
        lab_row: the polled lab's row. lab: its watchlist entry (teams, people, names).
        now: the poll time (UTC): ``first_seen_at`` / ``last_seen_at`` of candidates.
        active: False for units whose papers are not a lab's query results (daily papers): every
            paper passes and nothing is recorded.
    """

    def __init__(self, session: Session, lab_row: Lab, lab: LabConfig, now: datetime, *, active: bool):
        self.session = session
        self.lab_row = lab_row
        self.identity = lab_identity(lab)
        self.now = now
        self.active = active
        self._families: set[str] | None = None
        self._candidates: dict[str, PaperCandidate] = {}

    def _family_keys(self) -> set[str]:
        if self._families is None:
            self._families = set(
                self.session.scalars(
                    select(Release.family).where(
                        Release.lab_id == self.lab_row.id, Release.kind == ArtifactKind.MODEL.value
                    )
                )
            )
        return self._families

    def _tagged_by(self, arxiv_id: str) -> list[str]:
        """The lab's Hub repos tagged ``arxiv:<arxiv_id>`` (LIKE on the stored attrs, confirmed in Python)."""
        rows = self.session.scalars(
            select(Artifact).where(
                Artifact.lab_id == self.lab_row.id,
                Artifact.source == SourceKind.HF.value,
                cast(Artifact.attrs, Text).like(f'%"{arxiv_id}%'),
            )
        )
        return [
            a.name
            for a in rows
            if arxiv_id in {arxiv_base_id(i) for i in (a.attrs or {}).get("arxiv_ids") or () if isinstance(i, str)}
        ]

    def decide(self, obs: Observation) -> Attribution:
        """The attribution of one paper observation (pure reading of the store)."""
        authors = _strings(obs.attrs.get("authors"), MAX_AUTHORS)
        return attribute(
            title=obs.name,
            authors=authors,
            ident=self.identity,
            family_keys=self._family_keys(),
            tagged_by=self._tagged_by(obs.external_id),
        )

    def admit(self, obs: Observation) -> bool:
        """Record the decision on ``obs`` and return whether it may be stored.

        Observations that are not arXiv papers, and every paper of an inactive gate, pass unrecorded.
        """
        if not self.active or obs.kind != ArtifactKind.PAPER or obs.source != SourceKind.ARXIV:
            return True
        decision = self.decide(obs)
        row = self.session.scalars(
            select(PaperCandidate).where(
                PaperCandidate.lab_id == self.lab_row.id, PaperCandidate.arxiv_id == obs.external_id
            )
        ).one_or_none()
        if row is None:
            row = PaperCandidate(lab_id=self.lab_row.id, arxiv_id=obs.external_id, first_seen_at=self.now)
            self.session.add(row)
        row.title = obs.name[:2000]
        row.authors = _strings(obs.attrs.get("authors"), MAX_AUTHORS)
        row.categories = _strings(obs.attrs.get("categories"), MAX_CATEGORIES)
        row.published_at = obs.created_at
        row.last_seen_at = self.now
        row.decision = decision.decision
        row.evidence = list(decision.evidence)
        self._candidates[obs.external_id] = row
        return decision.attributed

    def bind(self, stored: Iterable[Artifact]) -> None:
        """Point each attributed candidate of this poll at the paper artifact stored for it."""
        for artifact in stored:
            row = self._candidates.get(artifact.external_id)
            if row is not None and artifact.source == SourceKind.ARXIV.value:
                row.artifact_id = artifact.id


def reopen_rejected(session: Session, lab_id: int, lab_slug: str, stored: Iterable[Artifact]) -> bool:
    """After a Hub poll: make the lab's next arXiv poll decide again on candidates this poll gave evidence for.

    Evidence a Hub poll can bring: a new repo tagged ``arxiv:<id>`` of a rejected candidate, or a
    new release of a family that a rejected candidate's title is about. The arXiv unit's listing
    fingerprint is then dropped, so its next poll does not skip the unchanged listing. A unit
    row held by a running arXiv poll is left alone (PostgreSQL ``SKIP LOCKED``): that poll
    decides with what it sees.

    Returns:
        bool: whether the arXiv unit was reopened.
    """
    models = [a for a in stored if a.source == SourceKind.HF.value]
    if not models:
        return False
    rejected = session.execute(
        select(PaperCandidate.arxiv_id, PaperCandidate.title).where(
            PaperCandidate.lab_id == lab_id, PaperCandidate.decision == "rejected"
        )
    ).all()
    if not rejected:
        return False
    tagged = {arxiv_base_id(i) for a in models for i in (a.attrs or {}).get("arxiv_ids") or () if isinstance(i, str)}
    families = {a.release.family for a in models if a.release is not None}
    if not any(arxiv_id in tagged or title_family_keys(title) & families for arxiv_id, title in rejected):
        return False
    state = session.scalars(
        select(SourceState)
        .where(SourceState.source == SourceKind.ARXIV.value, SourceState.lab_slug == lab_slug)
        .with_for_update(skip_locked=True)
    ).one_or_none()
    if state is None or "fingerprint" not in (state.cursor or {}):
        return False
    state.cursor = {k: v for k, v in state.cursor.items() if k != "fingerprint"}
    return True
