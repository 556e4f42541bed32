"""The documented significance score of a release, in [0, 1], and its refresh after each poll.

Formula (model releases)::

    significance = 0.30 * base + 0.35 * size + 0.20 * novelty + 0.15 * tier

* ``base``: 1.0 for a **new base model** (no artifact names a base outside the launch),
  0.0 for a **derivative** of an earlier release of the same lab, 0.5 otherwise (built on
  another lab's model, e.g. a distill).
* ``size``: total parameters on a log scale, ``clamp((log10(params_total_b) - 1) / 2, 0, 1)`` over
  the release's largest artifact: 10B and less -> 0, 32B -> 0.25, 100B -> 0.5, 235B -> 0.69,
  1T and more -> 1; unknown -> 0. (So a small new model of a primary lab stays below the
  flagship threshold: 0.30 + 0.20 + 0.15 = 0.65.)
  Totals come from the name or, failing that, the Hub's ``safetensors.total``.
* ``novelty``: 1.0 for the first release of a family by the lab; 0.4 for a dated revision
  (``Qwen3-2507``) or a family the lab has released before (later variants past the window).
* ``tier``: the watchlist lab ``tier``: primary 1.0, secondary 0.6, comparator 0.5.

Paper releases score the highest significance among the model releases they are linked to
(``ReleasePaper``), and at least their own tier term (``0.15 * tier``).

**Flagships only**: ``significance >= FLAGSHIP_THRESHOLD`` (0.7). The Qwen3 launch scores
~0.89, Qwen3-2507 ~0.77, GLM-4.5 ~0.92, Kimi-K2 1.0; DeepSeek-V3.1-Terminus (a derivative, 685B)
~0.67, GLM-4.1V-9B ~0.65, Qwen3-Embedding ~0.35.
Subscriptions filter on ``Release.significance``.

The score is stored at detection and recomputed whenever a variant attaches or lineage/papers
change (:func:`refresh_releases`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from tracker.domain import ArtifactKind
from tracker.grouping import families
from tracker.grouping.lineage import lineage_links, release_lineage
from tracker.store.lists import one_of
from tracker.store.models import Artifact, Release, ReleasePaper

__all__ = [
    "FLAGSHIP_THRESHOLD",
    "TIER_WEIGHTS",
    "WEIGHTS",
    "refresh_paper_scores",
    "refresh_releases",
    "refresh_scores",
    "score",
]

#: Term weights (sum to 1).
WEIGHTS: dict[str, float] = {"base": 0.30, "size": 0.35, "novelty": 0.20, "tier": 0.15}
#: Watchlist ``tier`` -> tier term; unknown tiers count as secondary.
TIER_WEIGHTS: dict[str, float] = {"primary": 1.0, "secondary": 0.6, "comparator": 0.5}
#: "Flagships only" threshold for subscription filters.
FLAGSHIP_THRESHOLD = 0.7
#: Novelty of a revision or a repeated family.
REVISION_NOVELTY = 0.4


def tier_term(tier: str | None) -> float:
    """Tier term in [0, 1] for a watchlist tier (``primary``/``secondary``/``comparator``)."""
    return TIER_WEIGHTS.get((tier or "").lower(), TIER_WEIGHTS["secondary"])


def size_term(params_total_b: float | None) -> float:
    """``clamp((log10(params_total_b) - 1) / 2, 0, 1)``; None or <= 10B -> 0. Parameters in billions."""
    if not params_total_b or params_total_b <= 10:
        return 0.0
    return min(1.0, (math.log10(params_total_b) - 1) / 2)


def score(
    *, new_base: bool, derivative: bool, params_total_b: float | None, first_of_family: bool, tier: str | None
) -> float:
    """Return the significance of a model release (formula in the module docstring), rounded to 3 places.

    Args:
        new_base: no base model outside the launch. derivative: derives from an earlier release
            of the same lab. params_total_b: largest total in billions, None if unknown.
        first_of_family: the lab's first release of this family (not a revision).
        tier: watchlist lab tier.
    """
    base = 1.0 if new_base else 0.0 if derivative else 0.5
    novelty = 1.0 if first_of_family else REVISION_NOVELTY
    value = (
        WEIGHTS["base"] * base
        + WEIGHTS["size"] * size_term(params_total_b)
        + WEIGHTS["novelty"] * novelty
        + WEIGHTS["tier"] * tier_term(tier)
    )
    return round(value, 3)


def _firsts_of_family(session: Session, releases: Sequence[_Scored]) -> dict[int, bool]:
    """Per release id: no earlier release (by ``(released_at, id)``) of its lab, kind and family is
    stored, and its release key is the family itself (not a revision such as -2507, -0528, v1_5)."""
    earliest: dict[tuple[int, str, str], tuple[datetime, int]] = {}
    for lab_id, kind in {(r.lab_id, r.kind) for r in releases}:
        family_names = sorted({r.family for r in releases if (r.lab_id, r.kind) == (lab_id, kind)})
        for start in range(0, len(family_names), 500):
            stmt = select(Release.family, Release.released_at, Release.id).where(
                Release.lab_id == lab_id,
                Release.kind == kind,
                one_of(session, Release.family, family_names[start : start + 500]),
            )
            for family, at, release_id in session.execute(stmt):
                key = (lab_id, kind, family)
                if key not in earliest or (at, release_id) < earliest[key]:
                    earliest[key] = (at, release_id)
    out = {}
    for release in releases:
        names = [a.name for a in release.artifacts]
        stem = families.family_match_key(families.parse_repo_name(names[0]).family) if names else release.family
        first = earliest.get((release.lab_id, release.kind, release.family))
        out[release.id] = stem == release.family and (first is None or first[1] == release.id)
    return out


@dataclass(slots=True)
class _Scored:
    """A model release as the score reads it: its columns and its artifacts (rows of id, name,
    params_total_b, by id), read as plain rows: building ORM objects cost more than the score."""

    id: int
    lab_id: int
    kind: str
    family: str
    released_at: datetime
    significance: float | None
    derivative: bool | None
    new_base: bool | None
    artifacts: list[Any] = field(default_factory=list)


def _load_scored(session: Session, ids: list[int], lab_id: int) -> list[_Scored]:
    """The lab's model releases among ``ids`` with their artifacts, read fresh (variants may have
    been added by foreign key), in two queries per 500 ids."""
    releases: list[_Scored] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        columns = (Release.id, Release.lab_id, Release.kind, Release.family, Release.released_at)
        flags = (Release.significance, Release.derivative, Release.new_base)
        stmt = select(*columns, *flags).where(
            one_of(session, Release.id, chunk), Release.lab_id == lab_id, Release.kind == ArtifactKind.MODEL.value
        )
        releases.extend(_Scored(*row) for row in session.execute(stmt.order_by(Release.id)))
    by_id = {r.id: r for r in releases}
    wanted = sorted(by_id)
    for start in range(0, len(wanted), 500):
        stmt = (
            select(Artifact.id, Artifact.name, Artifact.params_total_b, Artifact.release_id)
            .where(one_of(session, Artifact.release_id, wanted[start : start + 500]))
            .order_by(Artifact.id)
        )
        for row in session.execute(stmt):
            by_id[row.release_id].artifacts.append(row)
    return releases


def _expire_loaded(session: Session, release_ids: Iterable[int]) -> None:
    """Expire the ``Release`` objects of ``release_ids`` already in the session, so their next read
    sees the rows as stored now (the scores updated by primary key, variants added by foreign key,
    columns other writers changed). The reads before autoflushed, so no pending change is lost."""
    for release_id in release_ids:
        loaded = session.identity_map.get(identity_key(Release, release_id))
        if loaded is not None:
            session.expire(loaded)


def refresh_releases(session: Session, release_ids: Iterable[int], *, lab_id: int, tier: str | None) -> set[int]:
    """Recompute derivative, new_base and significance of the lab's model releases in ``release_ids``.

    Releases of other labs are skipped (their tier is not known here, and links made from this
    lab cannot change their lineage flags). Pending changes are flushed first (the reads autoflush).

    Returns:
        Ids of paper releases linked to a release whose significance changed.
    """
    ids = sorted(set(release_ids))
    if not ids:
        return set()
    changed: list[int] = []
    releases = _load_scored(session, ids, lab_id)
    links = lineage_links(session, [a.id for release in releases for a in release.artifacts])
    firsts = _firsts_of_family(session, releases)
    updates: list[dict[str, object]] = []
    for release in releases:
        derivative, new_base = release_lineage(session, release, links)  # type: ignore[arg-type]
        totals = [a.params_total_b for a in release.artifacts if a.params_total_b]
        value = score(
            new_base=new_base,
            derivative=derivative,
            params_total_b=max(totals, default=None),
            first_of_family=firsts[release.id],
            tier=tier,
        )
        if release.significance != value:
            changed.append(release.id)
        new = {"derivative": derivative, "new_base": new_base, "significance": value}
        if any(getattr(release, key) != v for key, v in new.items()):
            updates.append({"id": release.id, **new})
    if updates:  # one executemany by primary key instead of the unit of work's per-row bookkeeping
        session.execute(update(Release), updates)
    _expire_loaded(session, (r.id for r in releases))
    if not changed:
        return set()
    return set(_paper_release_ids(session, changed))


def _paper_release_ids(session: Session, model_release_ids: list[int]) -> list[int]:
    stmt = (
        select(Artifact.release_id)
        .join(ReleasePaper, ReleasePaper.paper_id == Artifact.id)
        .where(one_of(session, ReleasePaper.release_id, model_release_ids))
        .distinct()
    )
    return list(session.scalars(stmt))


def refresh_paper_scores(
    session: Session, paper_release_ids: Iterable[int], *, own_lab_id: int | None = None, tier: str | None = None
) -> None:
    """Set each paper release's significance to the best linked model release's (at least its tier term).

    Args:
        paper_release_ids: releases of kind paper.
        own_lab_id / tier: the polled lab and its tier; papers of that lab get at least
            ``0.15 * tier``. Papers of other labs keep at least their stored score.
    """
    for release in session.scalars(
        select(Release).where(Release.id.in_(sorted(set(paper_release_ids))), Release.kind == ArtifactKind.PAPER.value)
    ):
        best = session.scalar(
            select(func.max(Release.significance))
            .join(ReleasePaper, ReleasePaper.release_id == Release.id)
            .join(Artifact, Artifact.id == ReleasePaper.paper_id)
            .where(Artifact.release_id == release.id)
        )
        floor = (
            round(WEIGHTS["tier"] * tier_term(tier), 3)
            if release.lab_id == own_lab_id
            else (release.significance or 0.0)
        )
        value = max(best or 0.0, floor)
        if release.significance != value:
            release.significance = value
    session.flush()


def refresh_scores(
    session: Session, release_ids: Iterable[int], paper_release_ids: Iterable[int], *, lab_id: int, tier: str | None
) -> None:
    """Recompute the lab's model releases in ``release_ids``, then the paper releases that follow them.

    Paper releases follow the best linked model release, so they are refreshed after the models:
    ``paper_release_ids`` (papers that are new or gained a link) and those linked to a model
    release whose significance changed (:func:`refresh_releases`, :func:`refresh_paper_scores`).
    """
    papers = set(paper_release_ids) | refresh_releases(session, release_ids, lab_id=lab_id, tier=tier)
    refresh_paper_scores(session, papers, own_lab_id=lab_id, tier=tier)
