"""Store a page of baseline history in bulk: the same grouping as ``arrivals``, batched I/O.

A scope's first listing records everything already there as history (no event, no detection).
For a big org that is hundreds of repos, and storing them one by one (``NewArtifacts.add``) costs
a handful of queries and two flushes per repo. Here the page is grouped in memory and written
in two batched inserts (releases, then artifacts; see ``_insert``), with the same
rules and the same results:

* each repo's release is :func:`tracker.grouping.membership.decide` with ``baseline=True``; its
  candidate lookup answers from the lab's releases of the page's families, read once, plus the
  releases started earlier in the page, in the order ``find_recent_release`` uses (newest
  ``released_at``, then newest id: a release started in the page is newer than every stored one);
* rows are ``arrivals.release_row`` / ``arrivals.artifact_row``; a redate moves ``released_at``
  back as the repos arrive, in creation order, exactly as one-by-one storing does;
* ``attrs["grouped_by"]`` is appended per repo (``launches.record_reason``) and the title and
  size summary are computed once from the final members (``launches.describe_launch``), which
  is what the last of the one-by-one refreshes leaves.

Baseline decisions never look at sibling launches or waves (those are for live detections), so
the in-memory lookup is all ``decide`` needs. Papers and live detections take ``NewArtifacts.add``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from tracker.domain import ArtifactKind, Observation
from tracker.grouping.families import NameFacts
from tracker.grouping.membership import (
    Decision,
    ReleaseIdentity,
    decide,
    grouping_time,
    identity_of,
    observation_facts,
)
from tracker.pipeline import launches
from tracker.pipeline.arrivals import NewArtifacts, artifact_values, release_values
from tracker.pipeline.report import PollReport
from tracker.store.lists import one_of
from tracker.store.models import Artifact, Release
from tracker.store.queries.polling import family_releases, members_of_releases

__all__ = ["store_baseline_page"]

_MODEL = ArtifactKind.MODEL.value


@dataclass(slots=True)
class _Planned:
    """One repo of the page: its observation, name facts, decision and (once decided) release."""

    obs: Observation
    facts: NameFacts | None
    decision: Decision[Release]
    release: Release | SimpleNamespace  # stored, or started in the page (a plain row)


class _Candidates:
    """The lab's releases by (family key, kind), stored and started in this page, for ``decide``."""

    def __init__(self, stored: Sequence[Release]):
        self._by_key: dict[tuple[str, str], list[tuple[int, Release]]] = {}
        self._started = 0
        for release in stored:  # ids ascending
            self._by_key.setdefault((release.family, release.kind), []).append((release.id, release))

    def add(self, release: Release) -> None:
        """A release started in the page: newer (by id) than every stored one and earlier started one."""
        self._started += 1
        self._by_key.setdefault((release.family, release.kind), []).append((1 << 62 | self._started, release))

    def find(self, family: str, kind: str, since: datetime) -> Release | None:
        """``find_recent_release`` in memory: newest ``released_at`` >= ``since``, then highest id."""
        best: tuple[datetime, int, Release] | None = None
        for order, release in self._by_key.get((family, kind), ()):
            if release.released_at >= since and (best is None or (release.released_at, order) > best[:2]):
                best = (release.released_at, order, release)
        return best[2] if best else None


def _families(identity: ReleaseIdentity) -> list[str]:
    return [identity.family, *identity.model_families]


def _plan(arrivals: NewArtifacts, observations: Sequence[Observation], report: PollReport) -> list[_Planned]:
    """Decide every repo's release in order, starting (transient) ``Release`` rows as needed."""
    session, lab_id, now = arrivals.session, arrivals.lab.id, arrivals.now
    facts = [observation_facts(obs) for obs in observations]
    identities = [identity_of(obs, f) for obs, f in zip(observations, facts, strict=True)]
    wanted = {family for identity in identities for family in _families(identity)}
    candidates = _Candidates(family_releases(session=session, lab_id=lab_id, families=wanted))
    planned: list[_Planned] = []
    for obs, fact, identity in zip(observations, facts, identities, strict=True):
        at = grouping_time(baseline=True, created_at=obs.created_at, seen_at=now)
        decision = decide(identity, at=at, baseline=True, window=arrivals.window, find=candidates.find)
        release = decision.release
        if release is None:  # baseline decisions carry no wave (only live detections do)
            # a plain row (inserted later), not an ORM object: instrumentation costs more than the rest
            release = SimpleNamespace(id=None, **release_values(obs, decision, lab_id=lab_id, now=now, baseline=True))
            candidates.add(release)
            report.new_releases += 1
        else:
            if decision.redate:
                release.released_at = decision.at  # the earliest member dates the launch
            report.variants += 1
        report.new_artifacts += 1
        planned.append(_Planned(obs, fact, decision, release))
    return planned


def store_baseline_page(arrivals: NewArtifacts, observations: Sequence[Observation], report: PollReport) -> None:
    """Store a page of baseline (history) Hub/ModelScope/code/post observations in bulk.

    Args:
        arrivals: the unit's ``NewArtifacts`` (session, lab, poll time, family window); the stored
            artifacts are appended to ``arrivals.stored`` in order, as ``NewArtifacts.add`` does.
        observations: ``New`` observations that are all history and none a paper, sorted by
            (creation time, name) as ``apply`` sorts them.
        report: counts new artifacts, releases and variants (no detections: history has none).
    """
    if not observations:
        return
    session, lab_id, now = arrivals.session, arrivals.lab.id, arrivals.now
    with session.no_autoflush:  # rows are complete (titles, attrs) before their one insert
        planned = _plan(arrivals, observations, report)
        started = {id(p.release) for p in planned if p.decision.starts_release}
        refreshed = {id(p.release): p.release for p in planned if p.facts is not None}
        existing = [r.id for key, r in refreshed.items() if key not in started]
        stored = members_of_releases(session=session, release_ids=existing, kind=_MODEL)
        members = {key: [] if key in started else list(stored.get(r.id, [])) for key, r in refreshed.items()}
        artifacts: list[SimpleNamespace] = []
        for p in planned:
            values = artifact_values(p.obs, p.facts, lab_id=lab_id, release_id=p.release.id, now=now, baseline=True)
            artifact = SimpleNamespace(**values)
            artifacts.append(artifact)
            if p.facts is not None:
                launches.record_reason(p.release, p.obs.name, list(p.decision.signals))
                members[id(p.release)].append(artifact)
        for key, release in refreshed.items():
            launches.describe_launch(release, members[key])
    new_releases = list({id(p.release): p.release for p in planned if p.decision.starts_release}.values())
    ids = dict(zip(map(id, new_releases), _insert(session, Release, new_releases), strict=True))
    for p, artifact in zip(planned, artifacts, strict=True):
        artifact.release_id = ids.get(id(p.release), p.release.id)
    artifact_ids = _insert(session, Artifact, artifacts)
    if artifact_ids:  # the stored rows, for the grouping post-pass (one primary-key range read)
        stmt = select(Artifact).where(one_of(session, Artifact.id, artifact_ids)).order_by(Artifact.id)
        arrivals.stored.extend(session.scalars(stmt))


def _insert(session: Session, model: type[Release] | type[Artifact], rows: Sequence[SimpleNamespace]) -> list[int]:
    """Insert the rows of ``model`` (column values as attributes) in one ``executemany``; return
    their ids, in order.

    The ids are taken first, so no statement has to return them (returning ordered ids costs one
    statement per row on SQLite, and a long statement the driver parses afresh on PostgreSQL):
    on PostgreSQL from the table's sequence, as its default would; on SQLite ``max(id) + 1..``,
    which is exactly what SQLite assigns (the tables have no AUTOINCREMENT) and safe because the
    unit's transaction holds SQLite's write lock (``BEGIN IMMEDIATE``).
    """
    if not rows:
        return []
    table = model.__table__.name
    if session.get_bind().dialect.name == "postgresql":
        sequence = func.nextval(func.pg_get_serial_sequence(table, "id"))
        ids = sorted(session.scalars(select(sequence).select_from(func.generate_series(1, len(rows)))))
    else:
        first = (session.scalar(select(func.max(model.id))) or 0) + 1
        ids = list(range(first, first + len(rows)))
    values = [{**{k: v for k, v in vars(row).items() if k != "id"}, "id": i} for row, i in zip(rows, ids, strict=True)]
    session.execute(insert(model), values)
    return ids
