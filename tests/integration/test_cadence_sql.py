"""The SQL-aggregated cadence (``analytics.lab_cadences``: GROUP BY
ISO week, ``lag()`` gaps) gives the same numbers as the pure reference ``build_cadence`` over every
release time, on SQLite and PostgreSQL; ``GET /stats/cadence`` statuses equal ``lab_statuses``;
and the ``q`` filter matches titles and artifact names on both backends.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from tracker import analytics
from tracker.analytics.status import CadenceRules, lab_statuses
from tracker.api import create_app
from tracker.config import Settings
from tracker.store import Store
from tracker.store.models import Artifact, Lab, Release, ReleaseChange

NOW = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)  # a Wednesday


def _fill(store: Store) -> None:
    """Five labs with varied histories: weekly shippers, a single release, none, same-second pairs,
    releases exactly on ISO-week boundaries (Monday 00:00 UTC) and releases after ``NOW``."""
    rng = random.Random(11)
    labs = [(1, "alpha", "CN"), (2, "beta", "US"), (3, "gamma", "FR"), (4, "delta", "CN"), (5, "empty", "US")]
    releases, artifacts, rid = [], [], 0

    def add(lab_id: int, at: datetime, kind: str = "model", title: str | None = None) -> None:
        nonlocal rid
        rid += 1
        releases.append(
            {
                "id": rid,
                "lab_id": lab_id,
                "family": f"F{rid}",
                "title": title or f"Fam{lab_id} {rid}",
                "kind": kind,
                "url": "https://hub.test",
                "released_at": at,
                "first_seen_at": at,
                "baseline": False,
            }
        )
        artifacts.append(
            {
                "id": rid,
                "source": "hf",
                "external_id": f"x{rid}",
                "kind": kind,
                "lab_id": lab_id,
                "release_id": rid,
                "name": f"org{lab_id}/Model_{rid}-7B",
                "org": f"org{lab_id}",
                "url": "https://hub.test",
                "first_seen_at": at,
                "baseline": False,
                "kinds": [],
                "attrs": {},
                "params_total_b": 7.0,
            }
        )

    for _ in range(120):  # alpha: ~weekly, with microsecond jitter
        add(1, NOW - timedelta(days=rng.uniform(0, 400), microseconds=rng.randrange(10**6)))
    for _ in range(9):
        add(2, NOW - timedelta(days=rng.uniform(0, 300)), kind=rng.choice(["model", "paper"]))
    add(3, NOW - timedelta(days=40))
    monday = datetime(2026, 3, 2, tzinfo=UTC)
    for at in (
        monday,
        monday,
        monday - timedelta(microseconds=1),
        monday - timedelta(weeks=1),
        NOW,
        NOW + timedelta(days=1),
    ):
        add(4, at)
    add(4, NOW - timedelta(days=3), title="Special 50%_Edition")
    with store.engine.begin() as conn:
        conn.execute(insert(Lab), [{"id": i, "slug": s, "name": s, "country": c} for i, s, c in labs])
        conn.execute(insert(Release), releases)
        conn.execute(insert(Artifact), artifacts)


@pytest.mark.parametrize("kinds", [("model",), None])
@pytest.mark.parametrize("weeks", [1, 12, 60])
def test_sql_cadence_equals_the_reference_formulas(store: Store, kinds: tuple[str, ...] | None, weeks: int) -> None:
    _fill(store)
    with store.transaction() as session:
        times = analytics.load_release_times(session=session, kinds=kinds, until=NOW)
        expected = [analytics.build_cadence(slug, ts, now=NOW, weeks=weeks) for slug, ts in sorted(times.items())]
        got = analytics.lab_cadences(session=session, now=NOW, weeks=weeks, kinds=kinds)
        one = analytics.lab_cadences(session=session, now=NOW, weeks=weeks, kinds=kinds, lab="delta")
    assert [c.lab for c in got] == ["alpha", "beta", "delta", "empty", "gamma"]
    for g, e in zip(got, expected, strict=True):
        assert g.to_dict() == e.to_dict()
        assert (g.median_gap_days, g.longest_gap_days, g.rates) == (e.median_gap_days, e.longest_gap_days, e.rates)
        assert (g.first_release_at, g.last_release_at, g.weekly) == (e.first_release_at, e.last_release_at, e.weekly)
    assert [c.to_dict() for c in one] == [e.to_dict() for e in expected if e.lab == "delta"]
    delta = next(c for c in got if c.lab == "delta")
    assert delta.streak_weeks == 2 and delta.weekly[-1].releases == 3  # 2 x Monday 00:00 and NOW (not Monday - 1 us)


def test_stats_cadence_statuses_equal_lab_statuses(store: Store, backend_settings: Settings) -> None:
    _fill(store)
    client = TestClient(create_app(backend_settings, store=store))
    body = client.get("/stats/cadence", params={"as_of": NOW.isoformat(), "kind": "any"}).json()
    with store.transaction() as session:
        statuses = lab_statuses(
            session=session, now=NOW, rules=CadenceRules.from_settings(backend_settings), kinds=None
        )
    assert {
        item["lab"]: {k: item[k] for k in ("status", "quiet_after_days", "releases_7d")} for item in body["labs"]
    } == {slug: s.to_dict() for slug, s in statuses.items()}


def test_q_filter_matches_titles_and_names_with_wildcards_escaped(store: Store, backend_settings: Settings) -> None:
    _fill(store)
    client = TestClient(create_app(backend_settings, store=store))

    def ids(q: str) -> list[int]:
        return [r["id"] for r in client.get("/releases", params={"q": q, "limit": 500}).json()["items"]]

    assert len(ids("50%_ed")) == 1  # title, case-insensitive, % and _ literal
    assert ids("50%_x") == [] and ids("no-such-name") == []
    assert ids("model_17-") == [17]  # artifact name
    assert len(ids("org4/")) == 7 and ids("zz") == []


def test_sql_country_share_equals_the_reference_formula(store: Store) -> None:
    _fill(store)
    since, until = datetime(2025, 4, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)  # until: Monday 00:00
    with store.transaction() as session:
        rows = session.execute(
            select(Lab.country, Release.released_at)
            .join(Release, Release.lab_id == Lab.id)
            .where(Release.kind == "model")
        ).all()
        got = analytics.country_release_share(session=session, since=since, until=until)
    expected = analytics.build_country_share(rows, since=since, until=until)
    assert [m.to_dict() for m in got] == [m.to_dict() for m in expected]
    assert len(got) == 12 and sum(m.total for m in got) > 50


def _reference(session: Session, now: datetime, kinds: tuple[str, ...] | None) -> list[dict]:
    times = analytics.load_release_times(session=session, kinds=kinds, until=now)
    return [analytics.build_cadence(slug, ts, now=now, weeks=12).to_dict() for slug, ts in sorted(times.items())]


def _sql(
    store: Store, now: datetime = NOW, kinds: tuple[str, ...] | None = ("model",)
) -> tuple[list[dict], list[dict]]:
    with store.transaction() as session:
        return (
            [c.to_dict() for c in analytics.lab_cadences(session=session, now=now, weeks=12, kinds=kinds)],
            _reference(session, now, kinds),
        )


def test_kept_cadence_history_follows_every_change_to_the_releases(store: Store) -> None:
    """PostgreSQL keeps the whole-history part between changes (``analytics._cached_history``):
    every kind of change, by any writer, must show in the next result (SQLite recomputes)."""
    _fill(store)
    later = NOW + timedelta(days=2)  # after every release: the kept history is used
    got, expected = _sql(store, later)
    assert got == expected
    assert _sql(store, later) == (expected, expected)  # served again, unchanged

    def changes() -> int:
        with store.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(ReleaseChange))

    before = changes()
    with store.engine.begin() as conn:  # core insert (bulk writers) and a second statement, one transaction
        conn.execute(
            insert(Release),
            [
                {
                    "id": 900,
                    "lab_id": 3,
                    "family": "F900",
                    "title": "gamma new",
                    "kind": "model",
                    "url": "https://hub.test",
                    "released_at": NOW - timedelta(days=1),
                    "first_seen_at": NOW,
                    "baseline": False,
                }
            ],
        )
        conn.execute(update(Release).where(Release.id == 900).values(title="gamma renamed"))
    got, expected = _sql(store, later)
    assert got == expected and next(c for c in got if c["lab"] == "gamma")["releases"] == 2
    if store.engine.dialect.name == "postgresql":
        assert changes() == before + 1  # one row per writing transaction

    with store.transaction() as session:  # ORM update of the time (pipeline re-dating a launch)
        session.get(Release, 900).released_at = NOW - timedelta(days=300)
    assert _sql(store, later)[0] == _sql(store, later)[1]
    with store.transaction() as session:  # a kind change moves it out of the model cadence
        session.get(Release, 900).kind = "paper"
    got, expected = _sql(store, later)
    assert got == expected and next(c for c in got if c["lab"] == "gamma")["releases"] == 1
    with store.transaction() as session:  # a title-only change is not a history change
        session.get(Release, 1).title = "renamed"
    if store.engine.dialect.name == "postgresql":
        assert changes() == before + 3
    with store.engine.begin() as conn:  # delete (regroup merging releases)
        conn.execute(delete(Artifact).where(Artifact.release_id.in_([1, 2])))
        conn.execute(delete(Release).where(Release.id.in_([1, 2])))
    got, expected = _sql(store, later)
    assert got == expected and next(c for c in got if c["lab"] == "alpha")["releases"] == 118
    with store.engine.begin() as conn:  # a transaction rolled back changes nothing
        conn.execute(delete(Artifact).where(Artifact.release_id == 3))
        conn.execute(delete(Release).where(Release.id == 3))
        conn.rollback()
    assert _sql(store, later) == (expected, expected)
    # an earlier "now" (as_of in the past) and other kinds are computed, not served from the kept history
    assert _sql(store, NOW - timedelta(days=30))[0] == _sql(store, NOW - timedelta(days=30))[1]
    assert _sql(store, later, None)[0] == _sql(store, later, None)[1]


def test_kept_cadence_history_shows_a_new_lab_and_ignores_uncommitted_writes(store: Store) -> None:
    """Found in review: a lab added without releases (``sync_labs`` on every poll) fires no
    trigger, and a transaction's own uncommitted releases must never reach the shared cache."""
    _fill(store)
    later = NOW + timedelta(days=2)
    assert _sql(store, later)[0] == _sql(store, later)[1]  # kept history filled
    with store.engine.begin() as conn:
        conn.execute(insert(Lab), [{"id": 6, "slug": "newlab", "name": "New", "country": "US"}])
    got, expected = _sql(store, later)
    assert got == expected and "newlab" in [c["lab"] for c in got]
    with store.transaction() as session:
        only_new = analytics.lab_cadences(session=session, now=later, lab="newlab")
    assert [c.lab for c in only_new] == ["newlab"] and only_new[0].releases == 0

    session_cm = store.transaction()
    session = session_cm.__enter__()
    try:  # uncommitted release in this transaction, then a rollback
        session.execute(
            insert(Release),
            [
                {
                    "id": 950,
                    "lab_id": 6,
                    "family": "F950",
                    "title": "draft",
                    "kind": "model",
                    "url": "https://hub.test",
                    "released_at": NOW - timedelta(days=1),
                    "first_seen_at": NOW,
                    "baseline": False,
                }
            ],
        )
        seen = analytics.lab_cadences(session=session, now=later, lab="newlab")
        assert seen[0].releases == 1  # the transaction sees its own write
        raise RuntimeError("roll back")
    except RuntimeError:
        session_cm.__exit__(RuntimeError, RuntimeError("roll back"), None)
    with store.engine.begin() as conn:  # another writer commits: the change count is back where the draft had it
        conn.execute(
            insert(Release),
            [
                {
                    "id": 951,
                    "lab_id": 3,
                    "family": "F951",
                    "title": "gamma 2",
                    "kind": "model",
                    "url": "https://hub.test",
                    "released_at": NOW - timedelta(days=2),
                    "first_seen_at": NOW,
                    "baseline": False,
                }
            ],
        )
    with store.transaction() as session:
        assert analytics.lab_cadences(session=session, now=later, lab="newlab")[0].releases == 0
    got, expected = _sql(store, later)
    assert got == expected and next(c for c in got if c["lab"] == "newlab")["releases"] == 0
