"""Lineage (``base_model:`` tags) and the parameter count stored for a model artifact.

* **Parameters** (:func:`params_from`): the total a repo's name gives, else the Hub's
  ``safetensors.total`` that the pipeline's fetch stage put on a new, unsized repo's observation
  as ``attrs["safetensors_total"]`` (one ``GET /api/models/<repo>``, see
  ``tracker.pipeline.fetch``). Grouping only reads what was fetched.
* **Lineage** (inside the store transaction): each ``base_model:[<relation>:]<repo>`` tag becomes
  an :class:`~tracker.store.models.ArtifactLink`. The base is resolved to a stored artifact by
  (1) its current name, (2) a former name recorded by an ``artifact_renamed`` event (the Hub
  ``_id`` survives renames, so the renamed row is the same artifact), (3) the same repo name
  under another org of the same watched lab (``THUDM/x`` -> ``zai-org/x`` when tracker started
  after the org move). Links whose base is not stored yet stay unresolved and are resolved when
  the base arrives or is renamed (:func:`resolve_pending`).

Release flags (:func:`release_lineage`):

* ``new_base``: no artifact of the release names a base outside the release (bases inside the
  launch, e.g. ``Qwen3-8B`` -> ``Qwen3-8B-Base``, do not count).
* ``derivative``: every artifact derives, directly or through bases inside the release, from a
  stored artifact of the **same lab** in an **earlier** release (``DeepSeek-V3.1-Terminus`` from
  ``DeepSeek-V3.1-Base``, ``Qwen3-Embedding-8B`` from ``Qwen3-8B-Base``). Deriving from another
  lab's model (``DeepSeek-R1-Distill-Qwen-7B``) is neither derivative nor a new base.

Community adoption (third-party derivatives within 48 h, ``Release.adoption_count``) is counted
by ``tracker.adoption`` after polling, from the Hub's base-model filter and from these links.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.domain import EventType, SourceKind
from tracker.grouping import families
from tracker.store.lists import one_of
from tracker.store.models import Artifact, ArtifactLink, Event, Release

__all__ = [
    "DERIVED_ATTRS",
    "SAFETENSORS_TOTAL",
    "link_artifacts",
    "params_from",
    "release_lineage",
    "resolve_pending",
]

#: ``Observation.attrs`` / ``Artifact.attrs`` key of the Hub's ``safetensors.total`` (a parameter
#: count), written by the pipeline's fetch stage for new repos whose name gives no size.
SAFETENSORS_TOTAL = "safetensors_total"

#: ``Artifact.attrs`` keys tracker derives itself (not in the listing); a listing update keeps them.
DERIVED_ATTRS = frozenset({"params_source", SAFETENSORS_TOTAL})


# -------------------------------------------------------------------------------- parameters


def params_from(facts: families.NameFacts, attrs: Mapping[str, Any]) -> tuple[float | None, str | None]:
    """Return ``(params_total_b, params_source)`` for an artifact.

    Args:
        facts: what the name says (:func:`tracker.grouping.families.classify`).
        attrs: the observation's attrs; ``safetensors_total`` (a parameter count, from the Hub's
            ``GET /api/models/<repo>`` field ``safetensors.total``) when the fetch stage read it.

    Returns:
        Total parameters in billions and ``"name"`` | ``"safetensors"``, or ``(None, None)``.
    """
    if facts.params_total_b is not None:
        return facts.params_total_b, "name"
    total = attrs.get(SAFETENSORS_TOTAL)
    if isinstance(total, int | float) and not isinstance(total, bool) and total > 0:
        return round(total / 1e9, 3), "safetensors"
    return None, None


# -------------------------------------------------------------------------------- lineage


def _base_pairs(artifact: Artifact) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    for item in (artifact.attrs or {}).get("base_models") or ():
        if isinstance(item, Mapping) and isinstance(item.get("repo_id"), str) and item["repo_id"]:
            pair = (item.get("relation"), item["repo_id"])
            if pair[1] not in {p[1] for p in out}:
                out.append(pair)
    return out


class _Resolver:
    """Resolve Hub repo ids to stored artifact ids (current name, former name, sibling org)."""

    def __init__(self, session: Session, lab_orgs: Iterable[str]):
        self.session = session
        self.lab_orgs = [o.lower() for o in lab_orgs]
        self._former: dict[str, int] | None = None

    def former_names(self) -> dict[str, int]:
        """Former repo id (lowercased) -> artifact id, from ``artifact_renamed`` events."""
        if self._former is None:
            self._former = {}
            stmt = select(Event.artifact_id, Event.payload).where(
                Event.type == EventType.ARTIFACT_RENAMED.value, Event.artifact_id.is_not(None)
            )
            for artifact_id, payload in self.session.execute(stmt):
                old = (payload or {}).get("old_name")
                if isinstance(old, str):
                    self._former[old.lower()] = artifact_id
        return self._former

    def aliases(self, repo_id: str) -> list[str]:
        """``repo_id`` and its spellings under the lab's other orgs (lowercased)."""
        org, _, name = repo_id.lower().partition("/")
        out = [repo_id.lower()]
        if name and org in self.lab_orgs:
            out += [f"{other}/{name}" for other in self.lab_orgs if other != org]
        return out

    def resolve(self, repo_id: str) -> int | None:
        """Return the stored Hub artifact ``repo_id`` names, or None."""
        key = repo_id.lower()
        found = self.session.scalars(
            select(Artifact.id).where(Artifact.source == SourceKind.HF.value, func.lower(Artifact.name) == key)
        ).first()
        if found is not None:
            return found
        if key in self.former_names():
            return self.former_names()[key]
        for alias in self.aliases(repo_id)[1:]:
            found = self.session.scalars(
                select(Artifact.id).where(Artifact.source == SourceKind.HF.value, func.lower(Artifact.name) == alias)
            ).first()
            if found is not None:
                return found
        return None


def link_artifacts(session: Session, artifacts: Iterable[Artifact], *, lab_orgs: Iterable[str]) -> set[int]:
    """Write one ArtifactLink per ``base_model`` of each new Hub artifact, resolved when possible.

    Call after every new artifact of the poll is flushed (a launch's bases arrive in the same poll).

    Args:
        session: inside the poll's transaction.
        artifacts: newly stored artifacts; ``attrs["base_models"]`` = ``[{"relation", "repo_id"}]``
            (from the Hub's ``base_model:`` tags).
        lab_orgs: the polled lab's Hub orgs, current and former (alias resolution).

    Returns:
        Ids of releases whose lineage may have changed.
    """
    resolver = _Resolver(session, lab_orgs)
    touched: set[int] = set()
    for artifact in artifacts:
        if artifact.source != SourceKind.HF.value:
            continue
        for relation, repo_id in _base_pairs(artifact):
            base_id = resolver.resolve(repo_id)
            session.add(
                ArtifactLink(
                    artifact_id=artifact.id,
                    relation=relation,
                    base_repo_id=repo_id,
                    base_artifact_id=base_id if base_id != artifact.id else None,
                )
            )
            touched.add(artifact.release_id)
    session.flush()
    return touched


def resolve_pending(session: Session, artifacts: Iterable[Artifact], *, lab_orgs: Iterable[str]) -> set[int]:
    """Resolve stored links whose base is one of ``artifacts`` (new, or renamed to a new name).

    Returns:
        Ids of the releases of the linking artifacts whose link got resolved.
    """
    resolver = _Resolver(session, lab_orgs)
    by_key: dict[str, int] = {}
    for artifact in artifacts:
        if artifact.source == SourceKind.HF.value:
            for alias in resolver.aliases(artifact.name):
                by_key.setdefault(alias, artifact.id)
    if not by_key:
        return set()
    touched: set[int] = set()
    keys = list(by_key)
    for start in range(0, len(keys), 500):
        stmt = (
            select(ArtifactLink, Artifact.release_id)
            .join(Artifact, Artifact.id == ArtifactLink.artifact_id)
            .where(
                ArtifactLink.base_artifact_id.is_(None),
                func.lower(ArtifactLink.base_repo_id).in_(keys[start : start + 500]),
            )
        )
        for link, release_id in session.execute(stmt):
            target = by_key[link.base_repo_id.lower()]
            if target != link.artifact_id:
                link.base_artifact_id = target
                touched.add(release_id)
    session.flush()
    return touched


#: (artifact id, base repo id, base artifact id, base's lab, base's release, base release's time)
LineageLink = tuple[int, str, int | None, int | None, int | None, datetime | None]


def lineage_links(session: Session, artifact_ids: Sequence[int]) -> dict[int, list[LineageLink]]:
    """The base-model links of ``artifact_ids`` with where each resolved base lives, per artifact
    (one query per 500 artifacts): what :func:`release_lineage` reads, for many releases at once."""
    out: dict[int, list[LineageLink]] = {}
    ids = sorted(set(artifact_ids))
    for start in range(0, len(ids), 500):
        stmt = (
            select(
                ArtifactLink.artifact_id,
                ArtifactLink.base_repo_id,
                ArtifactLink.base_artifact_id,
                Artifact.lab_id,
                Artifact.release_id,
                Release.released_at,
            )
            .outerjoin(Artifact, Artifact.id == ArtifactLink.base_artifact_id)
            .outerjoin(Release, Release.id == Artifact.release_id)
            .where(one_of(session, ArtifactLink.artifact_id, ids[start : start + 500]))
        )
        for row in session.execute(stmt):
            out.setdefault(row[0], []).append(tuple(row))  # type: ignore[arg-type]
    return out


def release_lineage(
    session: Session, release: Release, links: Mapping[int, list[LineageLink]] | None = None
) -> tuple[bool, bool]:
    """Return ``(derivative, new_base)`` for a model release (see the module docstring).

    Unresolved bases named like an artifact of the release count as inside the release.
    ``links``: :func:`lineage_links` of (at least) the release's artifacts, read when None.
    """
    members = {a.id: a for a in release.artifacts}
    names = {a.name.lower(): a.id for a in members.values()}
    if links is None:
        links = lineage_links(session, list(members)) if members else {}
    rows = [row for artifact_id in members for row in links.get(artifact_id, ())]
    internal: dict[int, set[int]] = {i: set() for i in members}
    external_ok: dict[int, bool] = {}  # artifact -> every external base is same-lab, earlier
    for artifact_id, base_repo_id, base_id, base_lab, base_release, base_at in rows:
        inside = base_id in members if base_id is not None else base_repo_id.lower() in names
        if inside:
            internal[artifact_id].add(base_id if base_id is not None else names[base_repo_id.lower()])
            continue
        ok = (
            base_id is not None
            and base_lab == release.lab_id
            and base_release != release.id
            and base_at is not None
            and base_at <= release.released_at
        )
        external_ok[artifact_id] = external_ok.get(artifact_id, True) and ok
    new_base = not external_ok
    covered = {i for i, ok in external_ok.items() if ok}
    changed = True
    while changed:  # an artifact built on a covered member of the launch is covered too
        changed = False
        for i, bases in internal.items():
            if i not in covered and i not in external_ok and bases and bases & covered:
                covered.add(i)
                changed = True
    derivative = bool(members) and covered == set(members)
    return derivative, new_base
