"""Third-party derivatives of watched models, their counts over time, and ``Release.adoption_count``.

Facts come from the Hub's ``base_model:<relation>:<repo>`` tags (``relation`` one of finetune,
quantized, adapter, merge; a plain ``base_model:<repo>`` tag has no relation), read either from
a listing filtered by base model (``via = "filter"``, spends requests) or from the lineage links
of listings tracker polls anyway (``via = "listing"``, free). A repo under one of the base lab's
own orgs is the lab's own work, never a derivative.

``Release.adoption_count``: distinct third-party derivative repos of the release's artifacts
created (Hub ``createdAt``, else first seen) within ``ADOPTION_WINDOW`` of the release going
public, i.e. how fast the community picked it up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.domain import ArtifactKind, SourceKind, as_utc
from tracker.sources.hf_adoption import DerivativeListing
from tracker.store.models import Artifact, ArtifactLink, Derivative, DerivativeCount, Release

__all__ = [
    "ADOPTION_WINDOW",
    "RELATIONS",
    "ScanTarget",
    "absorb_links",
    "bases_due",
    "record_scan",
    "refresh_adoption_counts",
]

#: Relations counted separately; anything else (a plain ``base_model:`` tag) counts as ``other``.
RELATIONS = ("quantized", "finetune", "adapter", "merge")
#: Window after a release goes public within which derivatives count in ``adoption_count``.
ADOPTION_WINDOW = timedelta(hours=48)


@dataclass(frozen=True, slots=True)
class ScanTarget:
    """A watched model whose derivatives are due for a scan.

    Attributes:
        artifact_id / repo_id: the stored Hub artifact and its current repo id.
        lab_id: its lab. last_scan: when its derivatives were last counted (UTC), or None.
    """

    artifact_id: int
    repo_id: str
    lab_id: int
    last_scan: datetime | None


def bases_due(session: Session, *, now: datetime, window_days: float, rescan_s: float) -> list[ScanTarget]:
    """Hub model artifacts of releases public in the last ``window_days``, never scanned first,
    then oldest scan first; artifacts scanned less than ``rescan_s`` seconds ago are left out.

    Withdrawn artifacts and releases are skipped (nothing can derive from a repo that is gone).
    """
    now = as_utc(now)
    last = (
        select(DerivativeCount.artifact_id, func.max(DerivativeCount.taken_at).label("at"))
        .group_by(DerivativeCount.artifact_id)
        .subquery()
    )
    stmt = (
        select(Artifact.id, Artifact.name, Artifact.lab_id, last.c.at)
        .join(Release, Release.id == Artifact.release_id)
        .outerjoin(last, last.c.artifact_id == Artifact.id)
        .where(
            Artifact.source == SourceKind.HF.value,
            Artifact.kind == ArtifactKind.MODEL.value,
            Artifact.withdrawn_at.is_(None),
            Release.withdrawn_at.is_(None),
            Release.released_at >= now - timedelta(days=window_days),
            Release.released_at <= now,
        )
    )
    cutoff = now - timedelta(seconds=rescan_s)
    rows = [ScanTarget(i, name, lab, as_utc(at) if at else None) for i, name, lab, at in session.execute(stmt)]
    due = [b for b in rows if b.last_scan is None or b.last_scan <= cutoff]
    epoch = datetime.min.replace(tzinfo=now.tzinfo)
    due.sort(key=lambda b: (b.last_scan is not None, b.last_scan or epoch, b.artifact_id))
    return due


def _relation_for(tags: Iterable[str], repo_id: str) -> str | None:
    wanted = repo_id.lower()
    for tag in tags:
        if not tag.startswith("base_model:"):
            continue
        relation, _, repo = tag.removeprefix("base_model:").partition(":")
        if repo and repo.lower() == wanted and relation in RELATIONS:
            return relation
    return None


def _existing(session: Session, base_artifact_id: int) -> set[str]:
    stmt = select(Derivative.repo_id).where(Derivative.base_artifact_id == base_artifact_id)
    return {r.lower() for r in session.scalars(stmt)}


def record_scan(
    session: Session, base: ScanTarget, listing: DerivativeListing, *, own_orgs: Iterable[str], now: datetime
) -> int:
    """Store what one scan of ``base``'s derivatives saw: new ``Derivative`` rows and one
    ``DerivativeCount`` (counts by relation over the whole listing). Never commits.

    Args:
        own_orgs: the base lab's Hub orgs (its own repos are not derivatives).
        now (datetime): the scan time (UTC).

    Returns:
        int: derivatives new to tracker.
    """
    own = {o.lower() for o in own_orgs}
    known = _existing(session, base.artifact_id)
    counts: Counter[str] = Counter()
    seen: set[str] = set()
    new = 0
    for model in listing.models:
        org = (model.author or model.repo_id.partition("/")[0]).lower()
        key = model.repo_id.lower()
        if org in own or key in seen or key == base.repo_id.lower():
            continue
        seen.add(key)
        relation = _relation_for(model.tags, base.repo_id)
        counts[relation or "other"] += 1
        if key not in known:
            session.add(
                Derivative(
                    repo_id=model.repo_id[:300],
                    org=org[:200],
                    relation=relation,
                    base_artifact_id=base.artifact_id,
                    created_at=model.created_at,
                    first_seen_at=now,
                    via="filter",
                )
            )
            new += 1
    session.add(
        DerivativeCount(
            artifact_id=base.artifact_id,
            taken_at=now,
            complete=listing.complete,
            other=counts["other"],
            **{r: counts[r] for r in RELATIONS},
        )
    )
    return new


def absorb_links(session: Session, *, now: datetime) -> set[int]:
    """Turn lineage links from polled listings into derivatives, at no request cost.

    A link whose linking repo belongs to another lab than its resolved base (a lab fine-tuning
    another lab's model, or any polled third-party org) becomes a ``Derivative`` (``via =
    "listing"``) unless one already exists for that repo and base. A link still unresolved (its
    base was stored by a concurrent unit of the same poll) is matched by the base's current name.
    Never commits.

    Returns:
        set[int]: releases of the bases that got a derivative.
    """
    base = Artifact.__table__.alias("base")
    stmt = (
        select(
            Artifact.name,
            Artifact.org,
            Artifact.created_at,
            Artifact.first_seen_at,
            ArtifactLink.relation,
            base.c.id,
            base.c.release_id,
        )
        .join(ArtifactLink, ArtifactLink.artifact_id == Artifact.id)
        .join(
            base,
            (base.c.id == ArtifactLink.base_artifact_id)
            | (
                ArtifactLink.base_artifact_id.is_(None)
                & (base.c.source == SourceKind.HF.value)
                & (func.lower(base.c.name) == func.lower(ArtifactLink.base_repo_id))
            ),
        )
        .outerjoin(
            Derivative,
            (Derivative.base_artifact_id == base.c.id) & (func.lower(Derivative.repo_id) == func.lower(Artifact.name)),
        )
        .where(Artifact.lab_id != base.c.lab_id, Derivative.id.is_(None))
    )
    added: set[int] = set()
    for name, org, created, first_seen, relation, base_id, release_id in session.execute(stmt).all():
        session.add(
            Derivative(
                repo_id=name[:300],
                org=(org or name.partition("/")[0]).lower()[:200],
                relation=relation if relation in RELATIONS else None,
                base_artifact_id=base_id,
                created_at=created,
                first_seen_at=first_seen or now,
                via="listing",
            )
        )
        added.add(release_id)
    session.flush()
    return added


def refresh_adoption_counts(session: Session, release_ids: Iterable[int]) -> None:
    """Set ``Release.adoption_count`` of the given releases (see the module docstring). Never commits."""
    ids = list(dict.fromkeys(release_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        stmt = (
            select(Release, Derivative.repo_id, Derivative.created_at, Derivative.first_seen_at)
            .join(Artifact, Artifact.release_id == Release.id)
            .join(Derivative, Derivative.base_artifact_id == Artifact.id)
            .where(Release.id.in_(chunk))
        )
        repos: dict[int, set[str]] = {i: set() for i in chunk}
        releases: dict[int, Release] = {}
        for release, repo_id, created, first_seen in session.execute(stmt):
            releases[release.id] = release
            at = as_utc(created or first_seen)
            if at <= as_utc(release.released_at) + ADOPTION_WINDOW:
                repos[release.id].add(repo_id.lower())
        for release_id, release in releases.items():
            release.adoption_count = len(repos[release_id])
