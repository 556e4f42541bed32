"""Pure detection: what one poll observed versus what is stored, as a list of changes.

Identity is the source's stable id (the Hub's ``_id``, the arXiv id without version), never the
name: a renamed or moved repo is a ``Renamed`` change, not a new artifact. New means "a stable id
we have never stored", never "createdAt newer than the last poll": Hub repos are created
privately and become public later.

An artifact is ``Withdrawn`` only when the scope it is listed under (``hf:<org>``) was listed
completely in this poll and did not show it; a failed or partial listing concludes nothing.

A new artifact is history rather than news (``history_flags``) when its scope is listed for the
first time, or when it is a paper first seen long after its v1 was published.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.domain import ArtifactKind, KnownArtifact, Observation, SourceKind, SourceResult, scope_of


@dataclass(frozen=True, slots=True)
class New:
    """A stable id never stored before."""

    observation: Observation


@dataclass(frozen=True, slots=True)
class _KnownChange:
    """A known artifact listed again; subclasses say how it changed."""

    known: KnownArtifact
    observation: Observation


@dataclass(frozen=True, slots=True)
class Seen(_KnownChange):
    """A known artifact listed again with the same name (facts such as downloads may differ)."""


@dataclass(frozen=True, slots=True)
class Renamed(_KnownChange):
    """A known artifact listed under a new name or org (same stable id): never a release."""


@dataclass(frozen=True, slots=True)
class Restored(_KnownChange):
    """A withdrawn artifact listed again."""


@dataclass(frozen=True, slots=True)
class Revised(_KnownChange):
    """A known paper with a higher arXiv version (``v1`` -> ``v2`` is the same paper)."""


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """A known artifact missing from a complete listing of the scope it was listed under."""

    known: KnownArtifact


Change = New | Seen | Renamed | Restored | Revised | Withdrawn


def diff(result: SourceResult, known: Mapping[str, KnownArtifact]) -> list[Change]:
    """Compare one poll's observations with the stored artifacts of the same source and lab.

    Args:
        result (SourceResult): observations (unique by ``external_id``) and complete scopes.
        known (Mapping[str, KnownArtifact]): stored artifacts of this source, by external id.
            It may hold artifacts of other labs; only ids observed or in a complete scope matter.

    Returns:
        list[Change]: one change per observation, then one ``Withdrawn`` per stored, not yet
        withdrawn artifact whose scope was listed completely without it.
    """
    changes: list[Change] = []
    observed: set[str] = set()
    for obs in result.observations:
        observed.add(obs.external_id)
        prior = known.get(obs.external_id)
        if prior is None:
            changes.append(New(obs))
        elif prior.withdrawn:
            changes.append(Restored(prior, obs))
        elif obs.version is not None and prior.version is not None and obs.version > prior.version:
            changes.append(Revised(prior, obs))  # a new version may also retitle the paper
        elif prior.name != obs.name or (prior.org or "") != (obs.org or ""):
            changes.append(Renamed(prior, obs))
        else:
            changes.append(Seen(prior, obs))
    complete = {scope.lower() for scope in result.complete_scopes}
    changes.extend(
        Withdrawn(prior)
        for prior in _missing(known.values(), observed)
        if not prior.withdrawn and scope_of(result.source, prior.org) in complete
    )
    return changes


def _missing(known: Iterable[KnownArtifact], observed: set[str]) -> Iterable[KnownArtifact]:
    return (k for k in known if k.external_id not in observed)


def history_flags(
    obs: Observation, *, baselined: Set[str], lab_arxiv_scopes: Set[str], now: datetime, backfill: timedelta
) -> tuple[bool, bool]:
    """Return (first listing of its scope, old paper found late) for a new observation: either makes it history.

    A paper is "late" when first seen more than ``backfill`` (``arxiv_backfill_days``) after its
    v1 was published (a query that drifted onto old work); Hub repos are never late: a repo
    created long ago that just became public is news.

    Args:
        obs: a ``New`` change's observation.
        baselined: the unit's scopes (lowercased) already listed completely once.
        lab_arxiv_scopes: the lab's ``arxiv:<query>`` scopes (lowercased); an arXiv paper is
            history until every one of them has been baselined.
        now: the poll time (UTC). backfill: the age past which a new paper is history.
    """
    if obs.scope is not None:  # the source names the scope (feeds, GitHub, daily papers)
        first = obs.scope.lower() not in baselined
    elif obs.source == SourceKind.ARXIV:
        first = not lab_arxiv_scopes <= baselined
    else:
        first = scope_of(obs.source, obs.org) not in baselined
    late = obs.kind == ArtifactKind.PAPER and obs.created_at is not None and now - obs.created_at > backfill
    return first, late and not first
