"""What a repo is, from its Hub tags and its name: an original model or a derivative of another org's.

Hub semantics used (model card ``base_model`` metadata, shown as tags on every listing item):
``base_model:<relation>:<repo>`` with relation ``finetune``, ``quantized``, ``adapter`` or
``merge``, and a plain ``base_model:<repo>`` when the relation is unknown (``derived`` here). A
base model in the repo's own org is the lab's own lineage (an instruct model from its base), so
the repo stays ``original``.

A repo with no base model tag but the same name as an **earlier** repo of another org is a
``reupload`` (mirrors and re-uploads rarely declare their base), when that earlier repo is a
watched lab's or has ``REUPLOADED_LIKES`` likes (people re-upload what is popular; two strangers'
``test-model`` are not copies): the rule compares names, times and likes, never a list of names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from tracker.sources.hf_global import GlobalRepo

__all__ = ["DERIVED_RELATIONS", "REUPLOADED_LIKES", "Earlier", "Lineage", "classify", "name_key"]

#: Likes an earlier repo needs before a same-name repo of another org counts as its re-upload.
REUPLOADED_LIKES = 10
#: Relations that make a repo a derivative (no points on the radar).
DERIVED_RELATIONS = ("finetune", "quantized", "adapter", "merge", "derived", "reupload")


@dataclass(frozen=True, slots=True)
class Earlier:
    """A repo already known under a name: its id, its org (lower-cased), creation time (UTC), likes.

    ``likes`` None means a watched lab's artifact (known without counters).
    """

    repo_id: str
    org_key: str
    created_at: datetime | None
    likes: int | None = None


@dataclass(frozen=True, slots=True)
class Lineage:
    """``relation`` (``original`` or one of ``DERIVED_RELATIONS``) and the other org's base repo."""

    relation: str
    base_repo_id: str | None = None


def name_key(repo_id: str) -> str:
    """The part of ``org/name`` after the slash, lower-cased."""
    return repo_id.partition("/")[2].lower()


def _reupload_of(repo: GlobalRepo, earlier: Sequence[Earlier]) -> Earlier | None:
    own = repo.org.lower()
    for other in earlier:
        if other.org_key == own or (other.likes is not None and other.likes < REUPLOADED_LIKES):
            continue
        if repo.created_at is None or other.created_at is None or other.created_at < repo.created_at:
            return other
    return None


def classify(repo: GlobalRepo, earlier_by_name: Mapping[str, Sequence[Earlier]]) -> Lineage:
    """Classify one repo (see the module docstring).

    Args:
        repo (GlobalRepo): the listing item.
        earlier_by_name (Mapping): ``name_key -> repos of that name`` already known (watched
            labs' artifacts and earlier radar sightings, any org).

    Returns:
        Lineage: the relation to another org's model, or ``original``.
    """
    own = repo.org.lower()
    foreign = [(rel, base) for rel, base in repo.bases if base.partition("/")[0].lower() != own]
    if foreign:
        relation, base = next(((r, b) for r, b in foreign if r is not None), foreign[0])
        return Lineage(relation or "derived", base)
    other = _reupload_of(repo, earlier_by_name.get(name_key(repo.repo_id), ()))
    if other is not None:
        return Lineage("reupload", other.repo_id)
    return Lineage("original")
