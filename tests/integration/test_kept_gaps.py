"""Both backends keep per-lab gap statistics and weekly counts by triggers (``store.gap_stats``,
``store.gap_stats_pg``): after any mix of inserts,
re-datings, kind and lab moves and deletes the kept rows equal a recomputation from scratch,
and ``analytics.kept_cadence`` gives the same median and longest gaps as the window pass."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, text, update

from tracker.analytics import history
from tracker.analytics.kept_cadence import kept_gap_stats
from tracker.store import Store, gap_stats
from tracker.store.models import Lab, Release

NOW = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)


def _kept(conn) -> set[tuple]:  # type: ignore[no-untyped-def]
    gaps = conn.execute(text(f"SELECT scope, release_id, lab_id, released_at, prev_at FROM {gap_stats.TABLE}"))
    weeks = conn.execute(text(f"SELECT 'week', scope, lab_id, week, n FROM {gap_stats.WEEKS}"))
    return set(gaps) | set(weeks)


def _rows(store: Store) -> set[tuple]:
    with store.engine.connect() as conn:
        return _kept(conn)


def _recomputed(store: Store) -> set[tuple]:
    with store.engine.connect() as conn:
        gap_stats._refill(conn)
        rows = _kept(conn)
        conn.rollback()
    return rows


def _release(rid: int, lab: int, at: datetime, kind: str) -> dict:
    return {
        "id": rid,
        "lab_id": lab,
        "family": f"F{rid}",
        "title": f"R{rid}",
        "kind": kind,
        "url": "u",
        "released_at": at,
        "first_seen_at": at,
        "baseline": False,
    }


def test_kept_rows_follow_every_change(store: Store) -> None:
    rng = random.Random(5)
    with store.engine.begin() as conn:
        conn.execute(insert(Lab), [{"id": i, "slug": f"l{i}", "name": "L", "country": "US"} for i in (1, 2, 3)])
        conn.execute(
            insert(Release),
            [
                _release(i, rng.choice([1, 2]), NOW - timedelta(days=rng.randrange(90)), rng.choice(["model", "paper"]))
                for i in range(1, 80)
            ],
        )
    assert _rows(store) == _recomputed(store)
    next_id = 80
    for step in range(60):
        with store.engine.begin() as conn:
            action = step % 5
            target = rng.randrange(1, next_id)
            if action == 0:
                conn.execute(
                    insert(Release),
                    [_release(next_id, rng.choice([1, 2, 3]), NOW - timedelta(days=rng.randrange(90)), "model")],
                )
                next_id += 1
            elif action == 1:  # re-dating, sometimes onto an existing time (ties)
                at = NOW - timedelta(days=rng.randrange(90)) if step % 2 else NOW - timedelta(days=10)
                conn.execute(update(Release).where(Release.id == target).values(released_at=at))
            elif action == 2:
                conn.execute(update(Release).where(Release.id == target).values(kind=rng.choice(["model", "paper"])))
            elif action == 3:
                conn.execute(update(Release).where(Release.id == target).values(lab_id=rng.choice([1, 2, 3])))
            else:
                conn.execute(delete(Release).where(Release.id == target))
        assert _rows(store) == _recomputed(store), step
    with store.transaction() as session:
        for kinds in (("model",), ("paper",), None):
            kept = kept_gap_stats(session, lab=None, kinds=kinds, now=NOW)
            assert kept is not None
            rows = history._gap_rows(session, lab=None, kinds=kinds, now=NOW)
            window = {
                slug: (
                    (
                        (ranked_days := {r: (at - b).total_seconds() / 86400 for r, b, at in ranked})[(n + 1) // 2]
                        + ranked_days[(n + 2) // 2]
                    )
                    / 2,
                    ranked_days[n],
                )
                for slug, (n, ranked) in rows.items()
            }
            assert kept.keys() == window.keys(), kinds
            for slug, expected in window.items():
                assert kept[slug] == pytest.approx(expected), (kinds, slug)
        assert kept_gap_stats(session, lab=None, kinds=("model", "paper"), now=NOW) is None
        assert kept_gap_stats(session, lab=None, kinds=None, now=NOW - timedelta(days=5)) is None  # later releases


def test_repair_restores_triggers_dropped_by_a_table_rebuild(store: Store) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("only SQLite's batch migrations drop triggers")
    with store.engine.begin() as conn:
        conn.execute(insert(Lab), [{"id": 1, "slug": "l1", "name": "L", "country": "US"}])
        conn.execute(text(f"DROP TRIGGER {gap_stats.TABLE}_ai"))  # what a batch migration's table copy does
        conn.execute(insert(Release), [_release(1, 1, NOW, "model"), _release(2, 1, NOW - timedelta(days=2), "model")])
        assert gap_stats.repair(conn) is True
        assert gap_stats.repair(conn) is False
    assert _rows(store) == _recomputed(store) and len(_rows(store)) == 4 + 2


def test_concurrent_writers_to_one_lab_keep_the_chain(store: Store) -> None:
    """PostgreSQL runs writers concurrently: a second transaction adding a release to the same lab
    waits for the first (the trigger's per-lab lock) and chains its gap to the first's release."""
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    with store.engine.begin() as conn:
        conn.execute(insert(Lab), [{"id": 1, "slug": "l1", "name": "L", "country": "US"}])
        conn.execute(insert(Release), [_release(1, 1, NOW - timedelta(days=9), "model")])
    first = store.engine.connect()
    first.begin()
    first.execute(insert(Release), [_release(2, 1, NOW - timedelta(days=5), "model")])

    def second() -> None:
        with store.engine.begin() as conn:
            conn.execute(insert(Release), [_release(3, 1, NOW - timedelta(days=2), "model")])

    worker = threading.Thread(target=second)
    worker.start()
    worker.join(timeout=1.0)
    assert worker.is_alive()  # waits for the first writer's lock on the lab
    first.commit()
    first.close()
    worker.join(timeout=10.0)
    assert not worker.is_alive()
    assert _rows(store) == _recomputed(store)
    with store.engine.connect() as conn:
        prev = conn.scalar(text(f"SELECT prev_at FROM {gap_stats.TABLE} WHERE scope = 'model' AND release_id = 3"))
    assert prev == NOW - timedelta(days=5)
