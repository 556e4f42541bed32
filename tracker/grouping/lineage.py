"""Lineage (``base_model:`` tags) and parameter counts from the Hub's single-model endpoint.

Two jobs that need more than a repo's name:

* **Parameters** (fetch stage, before the store transaction): a *new, non-baseline* Hub repo
  whose name gives no total parameter count gets ONE ``GET /api/models/<repo>`` and its
  ``safetensors.total`` (a count of parameters) is put on the observation as
  ``attrs["safetensors_total"]``. Known repos, baseline repos and repos whose name carries a size
  cost nothing, so a steady-state poll makes zero extra requests.
  (:func:`add_model_info_params`; :func:`params_from` decides the stored value and its source.)
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

Community adoption (third-party re-uploads within 48 h) is **not** computed: it would need the
listings of third-party orgs (unsloth, bartowski, ...), which the watchlist does not poll, or one
request per lab repo; ``Release.adoption_count`` stays None.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.grouping import families
from tracker.config import Settings
from tracker.domain import ArtifactKind, EventType, Observation, SourceKind, SourceResult, scope_of
from tracker.errors import TrackerError
from tracker.http import HttpClient
from tracker.store import Store
from tracker.store.models import Artifact, ArtifactLink, Event, Release, SourceState
from tracker.watchlist import LabConfig

log = logging.getLogger(__name__)

__all__ = [
    "DERIVED_ATTRS",
    "add_model_info_params",
    "link_artifacts",
    "params_from",
    "release_lineage",
    "resolve_pending",
]

#: ``Artifact.attrs`` keys tracker derives itself (not in the listing); a listing update keeps them.
DERIVED_ATTRS = frozenset({"params_source", "safetensors_total"})


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
    total = attrs.get("safetensors_total")
    if isinstance(total, int | float) and not isinstance(total, bool) and total > 0:
        return round(total / 1e9, 3), "safetensors"
    return None, None


def _lacks_params(obs: Observation) -> bool:
    if obs.source != SourceKind.HF or obs.kind != ArtifactKind.MODEL:
        return False
    return families.parse_repo_name(obs.name).params_total_b is None


def _new_non_baseline(store: Store, source: str, lab_slug: str, observations: Sequence[Observation]) -> list[Observation]:
    """Read-only: the observations whose id is not stored and whose scope is past its baseline."""
    ids = [o.external_id for o in observations]
    with store.transaction() as session:
        state = session.scalars(
            select(SourceState).where(SourceState.source == source, SourceState.lab_slug == lab_slug)
        ).one_or_none()
        baselined = {s.lower() for s in ((state.cursor or {}).get("baselined_scopes", []) if state else [])}
        if not baselined:
            return []
        known = set(session.scalars(
            select(Artifact.external_id).where(Artifact.source == source, Artifact.external_id.in_(ids))
        ))
    return [o for o in observations if o.external_id not in known and scope_of(o.source, o.org) in baselined]


def _safetensors_total(info: Mapping[str, Any]) -> int | None:
    block = info.get("safetensors")
    total = block.get("total") if isinstance(block, Mapping) else None
    if isinstance(total, int) and not isinstance(total, bool) and total > 0:
        return total
    return None


async def add_model_info_params(
    client: HttpClient, settings: Settings, store: Store, lab: LabConfig, result: SourceResult,
    *, limit: asyncio.Semaphore | None = None,
) -> SourceResult:
    """Give new, non-baseline Hub repos without a size in their name ``attrs["safetensors_total"]``.

    Makes ONE ``GET {hf_endpoint}/api/models/<repo>`` per such repo (Hub field
    ``safetensors.total``, a parameter count) and nothing for known, baseline or sized repos, so
    a steady-state poll costs zero extra requests. Known ids and baselined scopes come from one
    short read-only query. The requests are added to ``result.requests``.

    Args:
        client: the HTTP funnel. settings: ``hf_endpoint``. store: read-only lookups.
        lab: the lab polled. result: the listing result (Hub source only; others are returned as is).
        limit: the poll cycle's bound on requests in flight, held per model-info request only
            (a result with nothing to look up never waits behind the cycle's queued fetches).

    Returns:
        The same result, with enriched observations where the request succeeded. A failed request
        (404, 5xx, bad JSON) is logged and leaves the repo without parameters; it never fails the poll.
    """
    if result.source != SourceKind.HF:
        return result
    candidates = [o for o in result.observations if _lacks_params(o)]
    if not candidates:
        return result
    new = await asyncio.to_thread(_new_non_baseline, store, result.source.value, lab.slug, candidates)
    if not new:
        return result
    from tracker.sources.huggingface import fetch_model_info

    async def one(obs: Observation) -> tuple[str, int | None]:
        try:
            async with limit or contextlib.nullcontext():
                info = await fetch_model_info(client, settings, obs.name)
            return obs.external_id, _safetensors_total(info)
        except TrackerError as exc:
            log.warning("model info for %s failed, parameters stay unknown: %s", obs.name, exc)
            return obs.external_id, None

    with client.counting() as count:
        totals = dict(await asyncio.gather(*(one(o) for o in new)))
    result.requests += count.requests
    result.not_modified += count.not_modified
    result.observations = [
        dataclasses.replace(o, attrs={**o.attrs, "safetensors_total": totals[o.external_id]})
        if totals.get(o.external_id) else o
        for o in result.observations
    ]
    return result


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
                Event.type == EventType.ARTIFACT_RENAMED.value, Event.artifact_id.is_not(None))
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
        found = self.session.scalars(select(Artifact.id).where(
            Artifact.source == SourceKind.HF.value, func.lower(Artifact.name) == key)).first()
        if found is not None:
            return found
        if key in self.former_names():
            return self.former_names()[key]
        for alias in self.aliases(repo_id)[1:]:
            found = self.session.scalars(select(Artifact.id).where(
                Artifact.source == SourceKind.HF.value, func.lower(Artifact.name) == alias)).first()
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
            session.add(ArtifactLink(artifact_id=artifact.id, relation=relation, base_repo_id=repo_id,
                                     base_artifact_id=base_id if base_id != artifact.id else None))
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
        stmt = (select(ArtifactLink, Artifact.release_id)
                .join(Artifact, Artifact.id == ArtifactLink.artifact_id)
                .where(ArtifactLink.base_artifact_id.is_(None),
                       func.lower(ArtifactLink.base_repo_id).in_(keys[start:start + 500])))
        for link, release_id in session.execute(stmt):
            target = by_key[link.base_repo_id.lower()]
            if target != link.artifact_id:
                link.base_artifact_id = target
                touched.add(release_id)
    session.flush()
    return touched


def release_lineage(session: Session, release: Release) -> tuple[bool, bool]:
    """Return ``(derivative, new_base)`` for a model release (see the module docstring).

    Unresolved bases named like an artifact of the release count as inside the release.
    """
    members = {a.id: a for a in release.artifacts}
    names = {a.name.lower(): a.id for a in members.values()}
    links = session.execute(
        select(ArtifactLink.artifact_id, ArtifactLink.base_repo_id, ArtifactLink.base_artifact_id,
               Artifact.lab_id, Artifact.release_id, Release.released_at)
        .outerjoin(Artifact, Artifact.id == ArtifactLink.base_artifact_id)
        .outerjoin(Release, Release.id == Artifact.release_id)
        .where(ArtifactLink.artifact_id.in_(list(members)))
    ).all() if members else []
    internal: dict[int, set[int]] = {i: set() for i in members}
    external_ok: dict[int, bool] = {}  # artifact -> every external base is same-lab, earlier
    for artifact_id, base_repo_id, base_id, base_lab, base_release, base_at in links:
        inside = base_id in members if base_id is not None else base_repo_id.lower() in names
        if inside:
            internal[artifact_id].add(base_id if base_id is not None else names[base_repo_id.lower()])
            continue
        ok = (base_id is not None and base_lab == release.lab_id and base_release != release.id
              and base_at is not None and base_at <= release.released_at)
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

