"""``q`` on the history: the releases whose title or an artifact name contains a term, from an index.

One function, ``matching_release_ids``, for both backends: SQLite asks its FTS5 trigram index
(``tracker.store.fts``), PostgreSQL its pg_trgm GIN indexes. Either way the index only narrows
the candidates; each is confirmed by the same case-insensitive ``LIKE`` the plain path uses
(``ReleaseFilter.q``), so both paths return the same releases.

A newest-first scan that tests ``q`` on each release is fast when the term is common (the page
fills after a few rows) but reads the whole history when it is rare; the index is the opposite.
So the matches are fetched first, at most ``RARE_Q_MATCHES`` + 1 of them (the index stops early
on a common term): when there are fewer, the page is filtered by these ids; otherwise (None)
the scan is used.
"""

from __future__ import annotations

from sqlalchemy import column, literal_column, select, table
from sqlalchemy.orm import Session

from tracker.store.models import Artifact, Release
from tracker.store.queries.filters import like_pattern

#: ``q`` matching at most this many titles + artifact names counts as rare.
RARE_Q_MATCHES = 2000

#: The trigram index answers terms of at least three characters (shorter ones match nothing).
_MIN_TRIGRAM_CHARS = 3

_RELEASES_FTS = table("releases_fts", column("rowid"))
_ARTIFACTS_FTS = table("artifacts_fts", column("rowid"))


def fts_query(term: str) -> str:
    """The FTS5 query for ``term`` (>= 3 characters): every distinct trigram of it, each a quoted
    string (double quotes doubled), joined by AND. The trigram index (no positions) answers it
    with the rows holding all of them: a superset of the rows containing ``term``, which the
    tokenizer's case folding makes case-insensitive."""
    grams = sorted({term[i : i + 3] for i in range(len(term) - 2)})
    return " AND ".join('"' + gram.replace('"', '""') + '"' for gram in grams)


def _sqlite_probe(q: str):  # type: ignore[no-untyped-def]
    pattern, phrase = like_pattern(q), fts_query(q)
    titles = (
        select(Release.id.label("id"))
        .join(_RELEASES_FTS, _RELEASES_FTS.c.rowid == Release.id)
        .where(literal_column("releases_fts").op("MATCH")(phrase), Release.title.ilike(pattern, escape="\\"))
    )
    names = (
        select(Artifact.release_id)
        .join(_ARTIFACTS_FTS, _ARTIFACTS_FTS.c.rowid == Artifact.id)
        .where(literal_column("artifacts_fts").op("MATCH")(phrase), Artifact.name.ilike(pattern, escape="\\"))
    )
    return titles.union_all(names)


def _postgresql_probe(q: str):  # type: ignore[no-untyped-def]
    pattern = like_pattern(q)
    return (
        select(Release.id.label("id"))
        .where(Release.title.ilike(pattern, escape="\\"))
        .union_all(select(Artifact.release_id).where(Artifact.name.ilike(pattern, escape="\\")))
    )


def matching_release_ids(session: Session, q: str) -> set[int] | None:
    """The ids of the releases whose title or an artifact name contains ``q`` (case-insensitive),
    read from the backend's text index, when there are at most ``RARE_Q_MATCHES`` matching rows.

    Returns:
        set[int] | None: the ids; None when ``q`` is common (more matches) or the index cannot
        answer it (SQLite: under three characters): the caller then filters with ``LIKE``.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        probe = _postgresql_probe(q)
    elif dialect == "sqlite" and len(q) >= _MIN_TRIGRAM_CHARS:
        probe = _sqlite_probe(q)
    else:
        return None
    ids = list(session.scalars(probe.limit(RARE_Q_MATCHES + 1)))
    return set(ids) if len(ids) <= RARE_Q_MATCHES else None
