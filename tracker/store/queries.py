"""Queries over the store. Functions take a keyword-only ``session`` and never commit:
the caller (``tracker.pipeline``, the CLI, the API) owns the transaction.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from tracker.domain import KnownArtifact
from tracker.domain import as_utc
from tracker.store.serialize import release_dict
from tracker.store.models import Artifact, Lab, Release, ReleasePaper, SourceState
from tracker.watchlist import LabConfig


def sync_labs(*, session: Session, labs: Iterable[LabConfig]) -> dict[str, Lab]:
    """Insert or update lab rows from the watchlist; return every stored lab by slug.

    Labs removed from the watchlist keep their rows so that their history stays queryable.
    """
    stored = {lab.slug: lab for lab in session.scalars(select(Lab))}
    for cfg in labs:
        row = stored.get(cfg.slug)
        if row is None:
            try:
                with session.begin_nested():  # another process may insert the same lab right now
                    row = Lab(slug=cfg.slug, name=cfg.name, country=cfg.country)
                    session.add(row)
            except IntegrityError:
                row = session.scalars(select(Lab).where(Lab.slug == cfg.slug)).one()
            stored[cfg.slug] = row
        if (row.name, row.country) != (cfg.name, cfg.country):
            row.name, row.country = cfg.name, cfg.country
    session.flush()
    return stored


def get_lab_by_slug(*, session: Session, slug: str) -> Lab | None:
    """Return the lab row with ``slug``, or None."""
    return session.scalars(select(Lab).where(Lab.slug == slug)).one_or_none()


def get_or_create_source_state(*, session: Session, source: str, lab_slug: str) -> SourceState:
    """Return the (source, lab) poll state row, creating it (locked for update where supported)."""
    stmt = select(SourceState).where(SourceState.source == source, SourceState.lab_slug == lab_slug)
    state = session.scalars(stmt.with_for_update()).one_or_none()
    if state is None:
        state = SourceState(source=source, lab_slug=lab_slug, consecutive_failures=0, cursor={})
        session.add(state)
        session.flush()
    return state


def list_source_states(*, session: Session) -> Sequence[SourceState]:
    """Return every poll-unit state, ordered by source then lab."""
    return session.scalars(select(SourceState).order_by(SourceState.source, SourceState.lab_slug)).all()


def get_known_artifacts(
    *, session: Session, source: str, lab_id: int, external_ids: Iterable[str]
) -> dict[str, tuple[KnownArtifact, Artifact]]:
    """Return stored artifacts of ``source`` that belong to the lab or carry one of the ids.

    Returns:
        dict[str, tuple[KnownArtifact, Artifact]]: by external id, the detection view and the row.
    """
    ids = list(set(external_ids))
    conditions = [Artifact.lab_id == lab_id]
    for start in range(0, len(ids), 500):  # stay far below every backend's bound-parameter limit
        conditions.append(Artifact.external_id.in_(ids[start : start + 500]))
    rows = session.scalars(select(Artifact).where(Artifact.source == source, or_(*conditions)))
    return {
        row.external_id: (
            KnownArtifact(
                id=row.id,
                external_id=row.external_id,
                name=row.name,
                org=row.org,
                withdrawn=row.withdrawn_at is not None,
                version=row.version,
            ),
            row,
        )
        for row in rows
    }


def find_recent_release(
    *, session: Session, lab_id: int, family: str, kind: str, since: datetime
) -> Release | None:
    """Return the newest release of ``family`` for the lab released at or after ``since`` (UTC)."""
    stmt = (
        select(Release)
        .where(
            Release.lab_id == lab_id,
            Release.family == family,
            Release.kind == kind,
            Release.released_at >= since,
        )
        .order_by(Release.released_at.desc(), Release.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


@dataclass(frozen=True, slots=True)
class ReleaseFilter:
    """Filters for ``list_releases``; every field is optional (None = no filter).

    Attributes:
        lab (str): lab slug. country (str): ISO alpha-2. kind (str): model | paper | code.
        since / until (datetime): bounds on ``released_at`` (UTC; since inclusive, until exclusive).
        baseline (bool): only baseline (True) or only live detections (False).
        limit (int): maximum rows.
        q (str): case-insensitive substring of the release title or of an artifact name.
        min_params (float): at least one artifact with ``params_total_b`` >= this (billions).
        after (tuple[datetime, int]): keyset cursor: only rows strictly after this
            ``(released_at, id)`` in newest-first order (see ``encode_cursor``).
    """

    lab: str | None = None
    country: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    baseline: bool | None = None
    limit: int | None = None
    q: str | None = None
    min_params: float | None = None
    after: tuple[datetime, int] | None = None


def _like_pattern(text: str) -> str:
    """Escape LIKE wildcards in ``text`` (escape character ``\\``) and wrap it in ``%...%``."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def encode_cursor(released_at: datetime, release_id: int) -> str:
    """Return an opaque page cursor for the row ``(released_at, id)`` (URL-safe base64 of JSON)."""
    raw = json.dumps([as_utc(released_at).isoformat(), release_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Decode a cursor made by ``encode_cursor``.

    Raises:
        ValueError: the cursor is not one tracker made (bad base64, JSON or values).
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, release_id = json.loads(raw)
        parsed = datetime.fromisoformat(at)
        if not isinstance(release_id, int) or parsed.tzinfo is None:
            raise ValueError
        return as_utc(parsed), release_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValueError(f"invalid cursor {cursor[:60]!r}: pass back the next_cursor of a previous page") from None


def _release_query(flt: ReleaseFilter) -> Select[tuple[Release]]:
    """The filtered ``SELECT releases`` (no order, no limit) shared by both release lists.

    Written for the indexes (issue 7, ``bench/query.py``): the lab is a scalar subquery
    on ``lab_id`` so that ``(lab_id, released_at, id)`` serves a lab's newest-first page without
    a sort; the country a ``lab_id IN (...)`` (a handful of labs); ``q`` an ``ILIKE`` that
    PostgreSQL answers from the pg_trgm GIN indexes on titles and artifact names when the term
    is rare (SQLite scans).
    """
    stmt = select(Release)
    if flt.lab:
        stmt = stmt.where(Release.lab_id == select(Lab.id).where(Lab.slug == flt.lab).scalar_subquery())
    if flt.country:
        stmt = stmt.where(Release.lab_id.in_(select(Lab.id).where(Lab.country == flt.country.upper())))
    if flt.kind:
        stmt = stmt.where(Release.kind == flt.kind)
    if flt.since:
        stmt = stmt.where(Release.released_at >= flt.since)
    if flt.until:
        stmt = stmt.where(Release.released_at < flt.until)
    if flt.baseline is not None:
        stmt = stmt.where(Release.baseline == flt.baseline)
    if flt.q:
        pattern = _like_pattern(flt.q)
        named = exists().where(Artifact.release_id == Release.id,
                               Artifact.name.ilike(pattern, escape="\\"))
        stmt = stmt.where(or_(Release.title.ilike(pattern, escape="\\"), named))
    if flt.min_params is not None:
        stmt = stmt.where(exists().where(Artifact.release_id == Release.id,
                                         Artifact.params_total_b >= flt.min_params))
    if flt.after is not None:
        at, release_id = flt.after
        # Row-value "(released_at, id) < (at, id)" written so both backends use the
        # (released_at, id) index as a range condition.
        stmt = stmt.where(Release.released_at <= at,
                          or_(Release.released_at < at, and_(Release.released_at == at, Release.id < release_id)))
    return stmt


#: Eager loads for serialising releases (``tracker.store.serialize.release_to_dict``) in a fixed
#: number of queries per page, whatever its size: lab, artifacts, linked papers, and for paper
#: releases the model releases their papers are linked to.
RELEASE_LOADS = (
    selectinload(Release.lab),
    selectinload(Release.artifacts).selectinload(Artifact.model_links)
    .selectinload(ReleasePaper.release).selectinload(Release.lab),
    selectinload(Release.paper_links).selectinload(ReleasePaper.paper),
)


#: ``q`` matching at most this many titles + artifact names counts as rare (see ``_rare_q_release_ids``).
RARE_Q_MATCHES = 2000


def _rare_q_release_ids(session: Session, q: str) -> set[int] | None:
    """PostgreSQL only: the ids of the releases matching ``q`` when it is rare, else None.

    A newest-first scan that tests ``q`` on each release is fast when the term is common (the page
    fills after a few rows) but reads the whole history when it is rare; the pg_trgm GIN indexes
    are the opposite. So the matches are fetched first, at most ``RARE_Q_MATCHES`` + 1 of them
    (the planner stops early on a common term): when there are fewer, the page is filtered by
    these ids; otherwise (None) the scan is used.
    """
    if session.get_bind().dialect.name != "postgresql":
        return None
    pattern = _like_pattern(q)
    probe = (
        select(Release.id.label("id")).where(Release.title.ilike(pattern, escape="\\"))
        .union_all(select(Artifact.release_id).where(Artifact.name.ilike(pattern, escape="\\")))
        .limit(RARE_Q_MATCHES + 1)
    )
    ids = list(session.scalars(probe))
    return set(ids) if len(ids) <= RARE_Q_MATCHES else None


def _page_query(session: Session, flt: ReleaseFilter) -> Select[tuple[Release]]:
    """``_release_query`` ordered newest first and limited, with the rare-``q`` shortcut applied."""
    rare_ids = _rare_q_release_ids(session, flt.q) if flt.q else None
    if rare_ids is None:
        stmt = _release_query(flt)
    else:
        stmt = _release_query(replace(flt, q=None)).where(Release.id.in_(sorted(rare_ids)))
    stmt = stmt.order_by(Release.released_at.desc(), Release.id.desc())
    return stmt.limit(flt.limit) if flt.limit else stmt


def list_releases(*, session: Session, flt: ReleaseFilter = ReleaseFilter()) -> Sequence[Release]:
    """Return releases matching ``flt``, newest first (ties broken by id), ready to serialise."""
    return session.scalars(_page_query(session, flt).options(*RELEASE_LOADS)).all()


#: The statements of ``list_release_dicts`` after the page itself, built once (``ids``: an
#: expanding IN parameter). Columns are what ``serialize.release_dict`` reads: ``attrs`` of an
#: artifact only for arXiv papers (the authors; Hub attrs are large and unused there).
_PAPER_COLUMNS = (Artifact.external_id, Artifact.version, Artifact.name, Artifact.url, Artifact.created_at)
_PAGE_LABS = select(Lab.id, Lab.slug, Lab.name, Lab.country).where(Lab.id.in_(bindparam("ids", expanding=True)))
_PAGE_ARTIFACTS = (
    select(Artifact.id, Artifact.release_id, Artifact.source, *_PAPER_COLUMNS, Artifact.first_seen_at,
           Artifact.withdrawn_at, Artifact.kinds, Artifact.size_label, Artifact.params_total_b,
           Artifact.params_active_b, Artifact.quantization,
           case((Artifact.source == "arxiv", Artifact.attrs)).label("attrs"))
    .where(Artifact.release_id.in_(bindparam("ids", expanding=True)))
    .order_by(Artifact.release_id, Artifact.id)
)
_PAGE_PAPER_LINKS = (
    select(ReleasePaper.release_id, ReleasePaper.via, *_PAPER_COLUMNS, Artifact.attrs)
    .join(Artifact, Artifact.id == ReleasePaper.paper_id)
    .where(ReleasePaper.release_id.in_(bindparam("ids", expanding=True)))
    .order_by(ReleasePaper.id)
)
_PAGE_MODEL_LINKS = (
    select(ReleasePaper.paper_id, Release.id, Lab.slug, Release.title, Release.released_at, ReleasePaper.via)
    .join(Release, Release.id == ReleasePaper.release_id).join(Lab, Lab.id == Release.lab_id)
    .where(ReleasePaper.paper_id.in_(bindparam("ids", expanding=True)))
    .order_by(ReleasePaper.paper_id, ReleasePaper.id)
)
_RELEASE_COLUMNS = (Release.id, Release.lab_id, Release.title, Release.kind, Release.released_at,
                    Release.first_seen_at, Release.baseline, Release.url, Release.significance,
                    Release.derivative, Release.new_base, Release.adoption_count)


def list_release_dicts(*, session: Session, flt: ReleaseFilter = ReleaseFilter()) -> list[dict[str, Any]]:
    """Return ``[serialize.release_to_dict(r) for r in list_releases(...)]`` without ORM objects.

    The API's list path (issue 7: a page of 50 releases holds ~250 artifacts; building ORM
    objects and their relationship collections cost most of the request). Five small queries
    whatever the page size: the page, its labs, its artifacts, its linked papers and, for paper
    releases, the model releases linked to their papers; rows go straight to ``release_dict``.

    Returns:
        list[dict]: DESIGN.md's release JSON shape, newest first (ties broken by id).
    """
    conn = session.connection()
    page = conn.execute(_page_query(session, flt).with_only_columns(*_RELEASE_COLUMNS)).all()
    if not page:
        return []
    ids = [r.id for r in page]
    labs = {lab.id: lab for lab in conn.execute(_PAGE_LABS, {"ids": sorted({r.lab_id for r in page})}).all()}
    artifacts: dict[int, list[Any]] = {i: [] for i in ids}
    for a in conn.execute(_PAGE_ARTIFACTS, {"ids": ids}).all():  # .all(): one fetch, not one per row
        artifacts[a.release_id].append(a)
    linked: dict[int, list[tuple[Any, str]]] = {i: [] for i in ids}
    for p in conn.execute(_PAGE_PAPER_LINKS, {"ids": ids}).all():
        linked[p.release_id].append((p, p.via))
    # paper releases: the model releases their arXiv artifacts are linked to
    paper_of = {a.id: r.id for r in page if r.kind == "paper" for a in artifacts[r.id] if a.source == "arxiv"}
    models: dict[int, list[tuple[int, str, str, datetime, str]]] = {i: [] for i in ids}
    if paper_of:
        for paper_id, *link in conn.execute(_PAGE_MODEL_LINKS, {"ids": sorted(paper_of)}).all():
            models[paper_of[paper_id]].append(tuple(link))
    return [release_dict(r, labs[r.lab_id], artifacts[r.id], linked_papers=linked[r.id], model_links=models[r.id])
            for r in page]


def lab_summaries(*, session: Session) -> list[tuple[Lab, int, datetime | None]]:
    """Return every lab with its number of releases and its latest ``released_at`` (or None)."""
    stmt = (
        select(Lab, func.count(Release.id), func.max(Release.released_at))
        .outerjoin(Release)
        .group_by(Lab.id)
        .order_by(Lab.slug)
    )
    out = []
    for lab, count, latest in session.execute(stmt):
        # func.max bypasses the column type on SQLite (text comes back): normalise to aware UTC.
        if isinstance(latest, str):
            latest = datetime.fromisoformat(latest)
        out.append((lab, count, as_utc(latest) if latest else None))
    return out


def get_release(*, session: Session, release_id: int) -> Release | None:
    """Return the release with ``release_id`` (lab and artifacts loaded), or None."""
    stmt = (
        select(Release)
        .where(Release.id == release_id)
        .options(*RELEASE_LOADS)
    )
    return session.scalars(stmt).one_or_none()


def list_papers(
    *, session: Session, lab: str | None = None, since: datetime | None = None,
    until: datetime | None = None, q: str | None = None, limit: int = 50,
) -> Sequence[Artifact]:
    """Return paper artifacts (arXiv), newest ``created_at`` (v1 published, UTC) first.

    Args:
        lab (str, optional): lab slug. since / until (datetime, optional): bounds on the v1
            published time (UTC; since inclusive, until exclusive). q (str, optional):
            case-insensitive substring of the title. limit (int): maximum rows.
    """
    stmt = select(Artifact).join(Lab, Artifact.lab_id == Lab.id).where(Artifact.kind == "paper")
    if lab:
        stmt = stmt.where(Lab.slug == lab)
    if since:
        stmt = stmt.where(Artifact.created_at >= since)
    if until:
        stmt = stmt.where(Artifact.created_at < until)
    if q:
        stmt = stmt.where(Artifact.name.ilike(_like_pattern(q), escape="\\"))
    stmt = stmt.options(selectinload(Artifact.release).selectinload(Release.lab))
    stmt = stmt.order_by(Artifact.created_at.desc(), Artifact.id.desc()).limit(limit)
    return session.scalars(stmt).all()


# --------------------------------------------------------------------------- release intelligence (issue 6)


def papers_for_release(*, session: Session, release_id: int) -> list[tuple[Artifact, str]]:
    """Return the paper artifacts linked to a release with how (``tag`` | ``title``), oldest paper first."""
    from tracker.store.models import ReleasePaper

    stmt = (select(Artifact, ReleasePaper.via).join(ReleasePaper, ReleasePaper.paper_id == Artifact.id)
            .where(ReleasePaper.release_id == release_id).order_by(Artifact.created_at, Artifact.id))
    return [(paper, via) for paper, via in session.execute(stmt)]


def releases_for_paper(*, session: Session, paper_id: int | None = None,
                       arxiv_id: str | None = None) -> list[tuple[Release, str]]:
    """Return the model releases linked to a paper (by artifact id or arXiv id), newest first.

    Raises:
        ValueError: neither ``paper_id`` nor ``arxiv_id`` given.
    """
    import re

    from tracker.store.models import ReleasePaper

    if paper_id is None and arxiv_id is None:
        raise ValueError("releases_for_paper needs paper_id or arxiv_id")
    stmt = (select(Release, ReleasePaper.via).join(ReleasePaper, ReleasePaper.release_id == Release.id)
            .join(Artifact, Artifact.id == ReleasePaper.paper_id)
            .options(selectinload(Release.lab))
            .order_by(Release.released_at.desc(), Release.id.desc()))
    if paper_id is not None:
        stmt = stmt.where(Artifact.id == paper_id)
    else:
        stmt = stmt.where(Artifact.source == "arxiv", Artifact.external_id == re.sub(r"v\d+$", "", arxiv_id or ""))
    return [(release, via) for release, via in session.execute(stmt)]


def list_artifact_links(*, session: Session, artifact_ids: Iterable[int]) -> Sequence["ArtifactLink"]:  # noqa: F821
    """Return the lineage links (``base_model`` tags) of the given artifacts, by artifact then base."""
    from tracker.store.models import ArtifactLink

    ids = sorted(set(artifact_ids))
    if not ids:
        return []
    stmt = select(ArtifactLink).where(ArtifactLink.artifact_id.in_(ids)).order_by(
        ArtifactLink.artifact_id, ArtifactLink.id)
    return session.scalars(stmt).all()
