"""Queries over the store. Functions take a keyword-only ``session`` and never commit:
the caller (``tracker.pipeline``, the CLI, the API) owns the transaction.

Callers import from this package; its modules split the queries by concern:

* ``labs``: lab rows kept in step with the watchlist, lookups by slug, per-lab summaries.
* ``polling``: what a poll reads and writes: poll-unit state, known artifacts, the recent
  release of a family.
* ``filters``: ``ReleaseFilter``, its SQL, and the keyset page cursors.
* ``releases``: release lists and pages (ORM objects, or dicts straight from rows), one release.
* ``search``: ``q`` answered from the backend's text index (SQLite FTS5, PostgreSQL pg_trgm).
* ``papers``: paper artifacts and the links between papers and model releases.
* ``radar``: candidate labs found outside the watchlist.
"""

from __future__ import annotations

from tracker.store.queries.filters import ReleaseFilter, decode_cursor, encode_cursor
from tracker.store.queries.labs import get_lab_by_slug, lab_summaries, sync_labs
from tracker.store.queries.papers import list_papers, papers_for_release, releases_for_paper
from tracker.store.queries.polling import (
    find_recent_release,
    get_known_artifacts,
    get_or_create_source_state,
    get_source_state,
    list_source_states,
    stored_external_ids,
)
from tracker.store.queries.radar import get_radar_candidate, list_radar
from tracker.store.queries.releases import (
    RELEASE_LOADS,
    get_release,
    list_release_dicts,
    list_releases,
)
from tracker.store.queries.search import RARE_Q_MATCHES, matching_release_ids

__all__ = [
    "RARE_Q_MATCHES",
    "RELEASE_LOADS",
    "ReleaseFilter",
    "decode_cursor",
    "encode_cursor",
    "find_recent_release",
    "get_known_artifacts",
    "get_lab_by_slug",
    "get_or_create_source_state",
    "get_radar_candidate",
    "get_release",
    "get_source_state",
    "lab_summaries",
    "list_papers",
    "list_radar",
    "list_release_dicts",
    "list_releases",
    "list_source_states",
    "matching_release_ids",
    "papers_for_release",
    "releases_for_paper",
    "stored_external_ids",
    "sync_labs",
]
