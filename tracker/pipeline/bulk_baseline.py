"""Baseline history of a model listing stored in bulk: grouping decided in memory for the page,
then one multi-row insert per table.

The first listing of an org records everything it holds as history, with no events; large labs
list hundreds to thousands of repos. ``arrivals.NewArtifacts`` stores them one by one (one
candidate query and two flushes each); this module takes the same decisions
(``grouping.membership.decide``, the same ``release_row`` / ``artifact_row``) against an
in-memory view of the lab's candidate releases, so the database sees one query for the
candidates and one batched ``INSERT`` per table (SQLAlchemy's *insertmanyvalues*). The rows,
their ids and the report are the ones the row-by-row path would write: releases are created in
the same order, and a candidate is the newest of its family and kind by ``(released_at, id)``
as in ``queries.find_recent_release``.

It applies to model observations that are all baseline history (``applies``); anything else
(papers, code, live detections) goes through ``NewArtifacts``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import count

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.domain import ArtifactKind, Observation
from tracker.grouping.membership import decide, grouping_time, identity_of, observation_facts
from tracker.pipeline.arrivals import artifact_row, release_row
from tracker.pipeline.report import PollReport
from tracker.store.models import Artifact, Lab, Release

#: below this many observations the row-by-row path is as cheap
MIN_BULK = 2


def applies(observations: Sequence[Observation], baseline_flags: Sequence[bool]) -> bool:
    """True when every observation is a model and baseline history (and there are enough of them)."""
    return (
        len(observations) >= MIN_BULK
        and all(baseline_flags)
        and all(o.kind == ArtifactKind.MODEL for o in observations)
    )


class _Candidates:
    """The lab's releases a new artifact may join, per (family, kind), stored and created here.

    Order key ``(released_at, id)``; releases created in this page have no id yet and sort after
    every stored one, in creation order (the ids the database will give them).
    """

    def __init__(self, session: Session, lab_id: int, families: set[str]):
        self.by_family: dict[tuple[str, str], list[tuple[Release, tuple[int, int]]]] = defaultdict(list)
        stored = select(Release).where(
            Release.lab_id == lab_id, Release.family.in_(sorted(families)), Release.kind == ArtifactKind.MODEL.value
        )
        for release in session.scalars(stored):
            self.by_family[(release.family, release.kind)].append((release, (0, release.id)))
        self._order = count()

    def add(self, release: Release) -> None:
        self.by_family[(release.family, release.kind)].append((release, (1, next(self._order))))

    def find(self, family: str, kind: str, since: datetime) -> Release | None:
        """``queries.find_recent_release`` over the view: the newest at or after ``since``."""
        best = None
        for release, key in self.by_family.get((family, kind), ()):
            if release.released_at >= since and (best is None or (release.released_at, key) > best[1]):
                best = (release, (release.released_at, key))
        return best[0] if best else None


def store_baseline(
    session: Session,
    *,
    lab: Lab,
    observations: Sequence[Observation],
    window: timedelta,
    report: PollReport,
    now: datetime,
) -> list[Artifact]:
    """Store baseline model observations (in the order given) as ``NewArtifacts.add`` would, in bulk.

    Args:
        session: the unit's session, inside its transaction.
        lab: the polled lab's row. observations: models, all baseline history (``applies``).
        window: the family window. report: counts new artifacts, releases and variants.
        now: the poll time (UTC).

    Returns:
        list[Artifact]: the stored artifacts, in order (for the grouping post-pass).
    """
    facts = [observation_facts(o) for o in observations]
    identities = [identity_of(o, f) for o, f in zip(observations, facts, strict=True)]
    candidates = _Candidates(session, lab.id, {i.family for i in identities})
    joined: list[Release] = []
    new_releases: list[Release] = []
    for obs, identity in zip(observations, identities, strict=True):
        at = grouping_time(baseline=True, created_at=obs.created_at, seen_at=now)
        decision = decide(identity, at=at, baseline=True, window=window, find=candidates.find)
        release = decision.release
        if release is None:
            release = release_row(obs, decision, lab_id=lab.id, now=now, baseline=True)
            candidates.add(release)
            new_releases.append(release)
            report.new_releases += 1
        else:
            if decision.redate:
                release.released_at = at  # the earliest member dates the launch
            report.variants += 1
        joined.append(release)
    session.add_all(new_releases)
    session.flush()  # one batched INSERT of the releases, their ids in creation order
    artifacts = [
        artifact_row(obs, f, lab_id=lab.id, release_id=release.id, now=now, baseline=True)
        for obs, f, release in zip(observations, facts, joined, strict=True)
    ]
    session.add_all(artifacts)
    session.flush()
    report.new_artifacts += len(artifacts)
    return artifacts
