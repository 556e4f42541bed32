"""``q`` answered from the text index (SQLite FTS5 trigram, PostgreSQL pg_trgm) returns exactly
the releases the plain ``LIKE`` path returns, on a history built from real Hub listings
(``tests/fixtures/hf``) plus invented names with wildcards, quotes, non-ASCII letters and case
variants; the FTS index follows inserts, renames and deletes through its triggers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from tracker.store import Store
from tracker.store.models import Artifact, Lab, Release
from tracker.store.queries import RARE_Q_MATCHES, ReleaseFilter, list_release_dicts, matching_release_ids
from tracker.store.queries import releases as release_queries
from tracker.store.queries.filters import release_query

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hf"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
INVENTED = [
    "acme/Model_100%-Pure",
    'acme/Quote"d-Name',
    "acme/Ünïcode-Straße-7B",
    "acme/back\\slash-3B",
    "acme/UPPER-lower-MiXeD",
]


def _names() -> list[str]:
    names = [item["id"] for path in sorted(FIXTURES.glob("*.json")) for item in _listing(path)]
    return names + INVENTED


def _listing(path: Path) -> list[dict]:
    try:
        body = json.loads(path.read_text())
    except ValueError:
        return []
    return (
        [item for item in body if isinstance(item, dict) and isinstance(item.get("id"), str)]
        if isinstance(body, list)
        else []
    )


def _fill(store: Store) -> list[str]:
    names = _names()
    releases, artifacts = [], []
    for i, name in enumerate(names):
        rid = i // 2 + 1  # two artifacts per release
        if i % 2 == 0:
            at = T0 + timedelta(hours=i)
            title = name.split("/", 1)[-1].rsplit("-", 1)[0] if i % 4 else f"Launch {rid}"
            releases.append(
                {
                    "id": rid,
                    "lab_id": 1,
                    "family": f"f{rid}",
                    "title": title,
                    "kind": "model",
                    "url": "https://hub.test/r",
                    "released_at": at,
                    "first_seen_at": at,
                    "baseline": False,
                }
            )
        artifacts.append(
            {
                "id": i + 1,
                "source": "hf",
                "external_id": f"e{i}",
                "kind": "model",
                "lab_id": 1,
                "release_id": rid,
                "name": name,
                "org": name.split("/")[0],
                "url": "https://hub.test/a",
                "created_at": T0,
                "first_seen_at": T0,
                "baseline": False,
                "kinds": [],
                "attrs": {},
            }
        )
    with store.engine.begin() as conn:
        conn.execute(insert(Lab), [{"id": 1, "slug": "acme", "name": "Acme", "country": "US"}])
        conn.execute(insert(Release), releases)
        conn.execute(insert(Artifact), artifacts)
    return names


def _terms(names: list[str]) -> list[str]:
    """Substrings of the stored names (3-8 characters, several case variants), terms of every
    special kind, and terms that match nothing."""
    terms = {"glm", "GLM-4", "instruct", "MiniMax", "9b-", "100%", "%-P", "e_1", 'e"d', "ünï", "STRASSE", "straße"}
    terms |= {"slash-3", "\\slash", "zzz-none", "ab", "-"}
    for k, name in enumerate(names):
        tail = name.split("/", 1)[-1]
        for size in (3, 5, 8):
            start = (k * 7) % max(1, len(tail) - size + 1)
            piece = tail[start : start + size]
            terms |= {piece, piece.upper(), piece.swapcase()}
    return sorted(t for t in terms if t)


def _plain_ids(session: Session, q: str) -> set[int]:
    # in the caller's transaction: a second one would wait on SQLite's BEGIN IMMEDIATE lock
    return set(session.scalars(release_query(ReleaseFilter(q=q)).with_only_columns(Release.id)))


def test_index_matches_the_plain_path(store: Store) -> None:
    names = _fill(store)
    checked = 0
    with store.transaction() as session:
        for q in _terms(names):
            indexed = matching_release_ids(session, q)
            if indexed is None:  # too short for the trigram index, or common: the plain path serves it
                continue
            assert indexed == _plain_ids(session, q), q
            checked += 1
    assert checked > 50


def test_release_pages_equal_with_and_without_the_index(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    names = _fill(store)
    terms = _terms(names)[::5]
    with store.transaction() as session:
        indexed = {q: list_release_dicts(session=session, flt=ReleaseFilter(q=q, limit=20)) for q in terms}
    monkeypatch.setattr(release_queries, "matching_release_ids", lambda session, q: None)
    with store.transaction() as session:
        plain = {q: list_release_dicts(session=session, flt=ReleaseFilter(q=q, limit=20)) for q in terms}
    assert indexed == plain
    assert sum(bool(page) for page in plain.values()) > 10


def test_index_follows_inserts_renames_and_deletes(store: Store) -> None:
    _fill(store)
    with store.engine.begin() as conn:
        conn.execute(update(Artifact).where(Artifact.id == 1).values(name="acme/Renamed-Qqq-1B"))
        conn.execute(update(Release).where(Release.id == 2).values(title="Retitled Www"))
        conn.execute(delete(Artifact).where(Artifact.release_id == 2))
        conn.execute(delete(Release).where(Release.id == 2))
    with store.transaction() as session:
        assert matching_release_ids(session, "renamed-qqq") == {1}
        assert matching_release_ids(session, "retitled www") == set()
        old_name = session.scalar(select(Artifact.name).where(Artifact.id == 2))
        assert 1 in (matching_release_ids(session, old_name.split("/")[-1]) or set())


def test_common_terms_fall_back_to_the_scan(store: Store) -> None:
    rows = [
        {
            "id": i,
            "source": "hf",
            "external_id": f"x{i}",
            "kind": "model",
            "lab_id": 1,
            "release_id": 1,
            "name": f"acme/common-{i}",
            "url": "u",
            "created_at": T0,
            "first_seen_at": T0,
            "baseline": False,
            "kinds": [],
            "attrs": {},
        }
        for i in range(1, RARE_Q_MATCHES + 2)
    ]
    with store.engine.begin() as conn:
        conn.execute(insert(Lab), [{"id": 1, "slug": "acme", "name": "Acme", "country": "US"}])
        conn.execute(
            insert(Release),
            [
                {
                    "id": 1,
                    "lab_id": 1,
                    "family": "f",
                    "title": "T",
                    "kind": "model",
                    "url": "u",
                    "released_at": T0,
                    "first_seen_at": T0,
                    "baseline": False,
                }
            ],
        )
        conn.execute(insert(Artifact), rows)
    with store.transaction() as session:
        assert matching_release_ids(session, "common-") is None
        assert matching_release_ids(session, "common-17") == {1}
        page = list_release_dicts(session=session, flt=ReleaseFilter(q="COMMON-", limit=5))
    assert [r["id"] for r in page] == [1]
