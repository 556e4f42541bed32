"""Link papers to model releases: by the repos' ``arxiv:`` tags, and by the paper's title.

* **tag** (``via="tag"``): a Hub repo tagged ``arxiv:2505.09388`` links its release to the stored
  arXiv artifact ``2505.09388`` (version suffixes are ignored). Works in both orders: when the
  repo arrives after the paper (:func:`link_new_models`) and when the paper arrives after the
  repos (:func:`link_new_papers`, which finds the repos through their stored ``arxiv_ids``).
* **title** (``via="title"``): a lab's paper whose title names a family links to that lab's model
  releases of the family: ``"Qwen3 Technical Report"`` <-> ``Qwen3``, ``"GLM-4.5: Agentic, ..."``
  <-> ``GLM-4.5``, ``"gpt-oss-120b & gpt-oss-20b Model Card"`` <-> ``gpt-oss``
  (:func:`title_family_keys`). Only the lab whose query found the paper is searched.

One (release, paper) pair is stored once (``ReleasePaper``); a tag link replaces a title link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from tracker.domain import ArtifactKind, SourceKind
from tracker.grouping import families
from tracker.store.models import Artifact, Release, ReleasePaper

__all__ = ["arxiv_base_id", "link_new_models", "link_new_papers", "title_family_keys", "title_subjects"]

#: Title endings that follow the model's name in lab reports (casefolded, longest first).
REPORT_SUFFIXES: tuple[str, ...] = ("technical report", "tech report", "model card", "report")
#: Separators between several model names in one title.
_NAME_SEPARATORS = re.compile(r"\s*(?:&|,|\band\b)\s*", re.I)
#: A candidate name longer than this (in words) is a sentence, not a model name.
MAX_NAME_WORDS = 4

_VERSION_SUFFIX = re.compile(r"v\d+$")


def arxiv_base_id(arxiv_id: str) -> str:
    """``"2501.12948v2"`` -> ``"2501.12948"`` (arXiv versions are one paper)."""
    return _VERSION_SUFFIX.sub("", arxiv_id.strip())


def title_subjects(title: str) -> list[str]:
    """The model or product names a paper title is *about*, as written (``"Kimi K2"``).

    The name is the part before ``:``, or the title without a report suffix (``Technical
    Report``, ``Model Card``...), or the whole title when it is one word (``"Magistral"``); it may
    list several models (``&``, ``,``, ``and``). Sentences (more than :data:`MAX_NAME_WORDS` words,
    or a lower-case word without digits) give nothing: a model named inside a sentence ("Fine-tuning
    Qwen3 for ...", "Insights into DeepSeek-V3: ...") is a base or a topic, not the subject.
    """
    text = " ".join(title.split())
    head, colon, _ = text.partition(":")
    name = head.strip() if colon else text
    low = name.casefold()
    suffix = next((s for s in REPORT_SUFFIXES if low.endswith(" " + s)), None)
    if suffix is not None:
        name = name[: -len(suffix)].strip()
    elif not colon and " " in name:
        return []
    subjects: list[str] = []
    for part in _NAME_SEPARATORS.split(name):
        words = part.split()
        if not words or len(words) > MAX_NAME_WORDS:
            continue
        if len(words) > 1 and not all(w[0].isupper() or any(c.isdigit() for c in w) for w in words):
            continue  # "Insights into DeepSeek-V3" is a phrase; "Kimi K2", "Gemma 3" are names
        subjects.append(" ".join(words))
    return subjects


def title_family_keys(title: str) -> set[str]:
    """Family match keys a paper title names as its subject (``tracker.grouping.families.family_match_key`` form).

    Each of :func:`title_subjects` is read like a repo name (spaces become ``-``), so sizes and
    variant words drop out.

    Examples:
        ``"Qwen3 Technical Report"`` -> ``{"qwen3"}``; ``"GLM-4.5: Agentic, ..."`` ->
        ``{"glm-4.5"}``; ``"Kimi K2: Open Agentic Intelligence"`` -> ``{"kimi-k2"}``;
        ``"Muon is Scalable for LLM Training"`` and ``"Insights into DeepSeek-V3: ..."`` -> ``set()``
        (a name of several words has every word capitalised or carrying a digit).
    """
    keys: set[str] = set()
    for subject in title_subjects(title):
        try:
            facts = families.parse_repo_name(subject.replace(" ", "-"))
        except ValueError:
            continue
        keys.add(families.family_match_key(facts.release_key))
    return keys


def _link(
    session: Session, release_id: int, paper_id: int, via: str, done: dict[tuple[int, int], ReleasePaper]
) -> bool:
    """Insert or upgrade one link; return True when something changed."""
    key = (release_id, paper_id)
    row = done.get(key)
    if row is None:
        row = session.scalars(
            select(ReleasePaper).where(ReleasePaper.release_id == release_id, ReleasePaper.paper_id == paper_id)
        ).one_or_none()
    if row is None:
        row = ReleasePaper(release_id=release_id, paper_id=paper_id, via=via)
        session.add(row)
        done[key] = row
        return True
    done[key] = row
    if via == "tag" and row.via != "tag":
        row.via = "tag"
        return True
    return False


def link_new_models(session: Session, artifacts: Iterable[Artifact], *, lab_id: int) -> set[int]:
    """Link releases of newly stored Hub artifacts to stored papers (tags, then titles).

    Args:
        session: inside the poll's transaction.
        artifacts: new artifacts; Hub ones carry ``attrs["arxiv_ids"]`` (from ``arxiv:`` tags).
        lab_id: the polled lab; its stored papers are matched by title against the releases.

    Returns:
        Ids of paper releases that gained a link (their significance follows the models').
    """
    models = [a for a in artifacts if a.source == SourceKind.HF.value]
    if not models:
        return set()
    done: dict[tuple[int, int], ReleasePaper] = {}
    changed_papers: set[int] = set()
    wanted = {arxiv_base_id(i) for a in models for i in (a.attrs or {}).get("arxiv_ids") or () if isinstance(i, str)}
    papers: dict[str, Artifact] = {}
    if wanted:
        papers = {
            p.external_id: p
            for p in session.scalars(
                select(Artifact).where(
                    Artifact.source == SourceKind.ARXIV.value, Artifact.external_id.in_(sorted(wanted))
                )
            )
        }
    for artifact in models:
        for raw in (artifact.attrs or {}).get("arxiv_ids") or ():
            paper = papers.get(arxiv_base_id(raw)) if isinstance(raw, str) else None
            if paper is not None and _link(session, artifact.release_id, paper.id, "tag", done):
                changed_papers.add(paper.release_id)
    release_ids = {a.release_id for a in models}
    releases = session.scalars(
        select(Release).where(Release.id.in_(sorted(release_ids)), Release.kind == ArtifactKind.MODEL.value)
    ).all()
    lab_papers = (
        session.scalars(
            select(Artifact).where(Artifact.source == SourceKind.ARXIV.value, Artifact.lab_id == lab_id)
        ).all()
        if releases
        else []
    )
    by_key: dict[str, list[Artifact]] = {}
    for paper in lab_papers:
        for key in title_family_keys(paper.name):
            by_key.setdefault(key, []).append(paper)
    for release in releases:
        for paper in by_key.get(release.family, ()):
            if _link(session, release.id, paper.id, "title", done):
                changed_papers.add(paper.release_id)
    session.flush()
    return changed_papers


def link_new_papers(session: Session, papers: Iterable[Artifact]) -> set[int]:
    """Link newly stored papers to model releases (repos tagged with their id; titles).

    The tag search reads the stored ``attrs`` as text (``LIKE '%"<id>"%'``, the same on SQLite
    and PostgreSQL) and confirms in Python against ``attrs["arxiv_ids"]``; it runs only when a
    paper is new.

    Returns:
        Ids of the paper releases that gained a link.
    """
    done: dict[tuple[int, int], ReleasePaper] = {}
    changed: set[int] = set()
    for paper in papers:
        if paper.source != SourceKind.ARXIV.value:
            continue
        pattern = f'%"{paper.external_id}%'
        tagged = session.scalars(
            select(Artifact).where(Artifact.source == SourceKind.HF.value, cast(Artifact.attrs, Text).like(pattern))
        ).all()
        for model in tagged:
            ids = {arxiv_base_id(i) for i in (model.attrs or {}).get("arxiv_ids") or () if isinstance(i, str)}
            if paper.external_id in ids and _link(session, model.release_id, paper.id, "tag", done):
                changed.add(paper.release_id)
        keys = title_family_keys(paper.name)
        if keys:
            releases = session.scalars(
                select(Release).where(
                    Release.lab_id == paper.lab_id,
                    Release.kind == ArtifactKind.MODEL.value,
                    Release.family.in_(sorted(keys)),
                )
            ).all()
            for release in releases:
                if _link(session, release.id, paper.id, "title", done):
                    changed.add(paper.release_id)
    session.flush()
    return changed
