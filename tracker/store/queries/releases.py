"""Release lists and single releases, loaded for serialisation in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session, selectinload

from tracker.store.lists import one_of_param
from tracker.store.models import Artifact, Lab, Release, ReleasePaper
from tracker.store.queries.filters import ReleaseFilter, release_query
from tracker.store.queries.search import matching_release_ids
from tracker.store.serialize import release_dict

#: Eager loads for serialising releases (``tracker.store.serialize.release_to_dict``) in a fixed
#: number of queries per page, whatever its size: lab, artifacts, linked papers, and for paper
#: releases the model releases their papers are linked to.
RELEASE_LOADS = (
    selectinload(Release.lab),
    selectinload(Release.artifacts)
    .selectinload(Artifact.model_links)
    .selectinload(ReleasePaper.release)
    .selectinload(Release.lab),
    selectinload(Release.paper_links).selectinload(ReleasePaper.paper),
)


def _page_query(session: Session, flt: ReleaseFilter) -> Select[tuple[Release]]:
    """``release_query`` ordered newest first and limited, with the rare-``q`` shortcut applied."""
    rare_ids = matching_release_ids(session, flt.q) if flt.q else None
    if rare_ids is None:
        stmt = release_query(flt)
    else:
        stmt = release_query(replace(flt, q=None)).where(Release.id.in_(sorted(rare_ids)))
    stmt = stmt.order_by(Release.released_at.desc(), Release.id.desc())
    return stmt.limit(flt.limit) if flt.limit else stmt


def list_releases(*, session: Session, flt: ReleaseFilter = ReleaseFilter()) -> Sequence[Release]:
    """Return releases matching ``flt``, newest first (ties broken by id), ready to serialise."""
    return session.scalars(_page_query(session, flt).options(*RELEASE_LOADS)).all()


#: Columns of the page's artifacts and papers: what ``serialize.release_dict`` reads (``attrs``
#: of an artifact only for arXiv papers: the authors; Hub attrs are large and unused there).
_PAPER_COLUMNS = (Artifact.external_id, Artifact.version, Artifact.name, Artifact.url, Artifact.created_at)


@dataclass(frozen=True, slots=True)
class _PageStatements:
    """The statements of ``list_release_dicts`` after the page itself (parameter ``ids``)."""

    labs: Select[Any]
    artifacts: Select[Any]
    paper_links: Select[Any]
    model_links: Select[Any]


@cache
def _page_statements(postgresql_arrays: bool) -> _PageStatements:
    """Built once per backend: ``ids`` is an array on PostgreSQL (one short statement text that
    psycopg converts once), an expanding ``IN`` elsewhere (see ``tracker.store.lists``)."""

    def ids(column: Any) -> Any:
        return one_of_param(column, "ids", postgresql_arrays=postgresql_arrays)

    artifact_columns = (
        Artifact.first_seen_at,
        Artifact.withdrawn_at,
        Artifact.kinds,
        Artifact.size_label,
        Artifact.params_total_b,
        Artifact.params_active_b,
        Artifact.quantization,
        case((Artifact.source == "arxiv", Artifact.attrs)).label("attrs"),
    )
    return _PageStatements(
        labs=select(Lab.id, Lab.slug, Lab.name, Lab.country).where(ids(Lab.id)),
        artifacts=select(Artifact.id, Artifact.release_id, Artifact.source, *_PAPER_COLUMNS, *artifact_columns)
        .where(ids(Artifact.release_id))
        .order_by(Artifact.release_id, Artifact.id),
        paper_links=select(ReleasePaper.release_id, ReleasePaper.via, *_PAPER_COLUMNS, Artifact.attrs)
        .join(Artifact, Artifact.id == ReleasePaper.paper_id)
        .where(ids(ReleasePaper.release_id))
        .order_by(ReleasePaper.id),
        model_links=select(
            ReleasePaper.paper_id, Release.id, Lab.slug, Release.title, Release.released_at, ReleasePaper.via
        )
        .join(Release, Release.id == ReleasePaper.release_id)
        .join(Lab, Lab.id == Release.lab_id)
        .where(ids(ReleasePaper.paper_id))
        .order_by(ReleasePaper.paper_id, ReleasePaper.id),
    )


_RELEASE_COLUMNS = (
    Release.id,
    Release.lab_id,
    Release.title,
    Release.kind,
    Release.released_at,
    Release.first_seen_at,
    Release.baseline,
    Release.url,
    Release.significance,
    Release.derivative,
    Release.new_base,
    Release.adoption_count,
)


def list_release_dicts(*, session: Session, flt: ReleaseFilter = ReleaseFilter()) -> list[dict[str, Any]]:
    """Return ``[serialize.release_to_dict(r) for r in list_releases(...)]`` without ORM objects.

    The API's list path: a page of 50 releases holds ~250 artifacts, and building ORM objects
    and their relationship collections cost most of the request. Five small queries
    whatever the page size: the page, its labs, its artifacts, its linked papers and, for paper
    releases, the model releases linked to their papers; rows go straight to ``release_dict``.

    Returns:
        list[dict]: DESIGN.md's release JSON shape, newest first (ties broken by id).
    """
    conn = session.connection()
    statements = _page_statements(conn.dialect.name == "postgresql")
    page = conn.execute(_page_query(session, flt).with_only_columns(*_RELEASE_COLUMNS)).all()
    if not page:
        return []
    ids = [r.id for r in page]
    labs = {lab.id: lab for lab in conn.execute(statements.labs, {"ids": sorted({r.lab_id for r in page})}).all()}
    artifacts: dict[int, list[Any]] = {i: [] for i in ids}
    for a in conn.execute(statements.artifacts, {"ids": ids}).all():  # .all(): one fetch, not one per row
        artifacts[a.release_id].append(a)
    linked: dict[int, list[tuple[Any, str]]] = {i: [] for i in ids}
    for p in conn.execute(statements.paper_links, {"ids": ids}).all():
        linked[p.release_id].append((p, p.via))
    # paper releases: the model releases their arXiv artifacts are linked to
    paper_of = {a.id: r.id for r in page if r.kind == "paper" for a in artifacts[r.id] if a.source == "arxiv"}
    models: dict[int, list[tuple[int, str, str, datetime, str]]] = {i: [] for i in ids}
    if paper_of:
        for paper_id, *link in conn.execute(statements.model_links, {"ids": sorted(paper_of)}).all():
            models[paper_of[paper_id]].append(tuple(link))
    return [
        release_dict(r, labs[r.lab_id], artifacts[r.id], linked_papers=linked[r.id], model_links=models[r.id])
        for r in page
    ]


def get_release(*, session: Session, release_id: int) -> Release | None:
    """Return the release with ``release_id`` (lab and artifacts loaded), or None."""
    stmt = select(Release).where(Release.id == release_id).options(*RELEASE_LOADS)
    return session.scalars(stmt).one_or_none()
