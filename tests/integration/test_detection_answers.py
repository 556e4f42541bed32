"""Detection quality on the whole shared 2025 timeline, scored against hand-labelled answers.

The corpus is replayed through the real pipeline (ReplayServer + poll_once, Hub source) from a
baseline on 2024-12-01 to 2026-01-01, each listing change polled at the next hour
(``tests/integration/detection_replay.py``), and compared with
``tests/fixtures/detection_answers.json``: every launch found, whole and announced by exactly one
top-level alert, >= 95 % of titles exactly right, no false alert. SQLite only: the replay is long
and grouping is the same on both backends (``test_regroup`` covers PostgreSQL). ``bench/detection.py``
prints the same numbers.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.detection_replay import load_answers, moved_ids, replay, score, timeline, watchlist_with
from tracker.config import Settings
from tracker.grouping.regroup import LiveRules, regroup
from tracker.store import Store
from tracker.store import db as store_db

TITLES_TARGET = 0.95


@pytest.fixture
def sqlite_store(settings: Settings):  # type: ignore[no-untyped-def]
    s = Store.open(settings, migrate=False)
    store_db.upgrade(s.engine)
    yield s
    s.dispose()


def test_answer_file_is_consistent() -> None:
    answers = load_answers()
    names = [n for launch in answers["launches"] for n in launch["repos"]]
    assert len(names) == len(set(names)), "a repo is in one launch only"
    assert set(names) | set(answers["third_party"]) <= set(answers["ids"])
    assert all(not n.startswith("unsloth/") for n in names), "third-party repos are never lab releases"


@pytest.mark.timeout(1800)
def test_every_launch_found_whole_and_titled(sqlite_store: Store, settings: Settings, capsys) -> None:  # type: ignore[no-untyped-def]
    watchlist = watchlist_with()
    replay(sqlite_store, settings, watchlist)
    watched = {org.lower() for lab in watchlist.labs for org in lab.hf_orgs}
    result = score(sqlite_store, load_answers(), moved=moved_ids(watched))
    with capsys.disabled():
        print("\n" + "\n".join(result.lines()))
    n = len(result.launches)
    assert result.found == n, [r.title for r in result.launches if not r.found]
    not_whole = [r.title for r in result.launches if not r.whole]
    assert result.split == 0 and not not_whole, not_whole
    assert all(r.top_level == 1 for r in result.launches), [(r.title, r.top_level) for r in result.launches]
    wrong = [(r.title, r.stored_title) for r in result.launches if not r.title_right]
    assert result.titles_right / n >= TITLES_TARGET, wrong
    assert sum(result.false_alerts.values()) == 0, result.false_examples
    with sqlite_store.transaction() as session:  # regroup reproduces the pipeline's grouping exactly
        report = regroup(
            session,
            window=timedelta(days=settings.polling.family_window_days),
            rules=LiveRules.from_settings(settings),
            dry_run=True,
        )
    assert not report.moves, report.moves[:5]


@pytest.mark.timeout(1800)
def test_watching_only_the_new_org_moves_are_history_and_launches_still_announced(
    sqlite_store: Store, settings: Settings, capsys
) -> None:  # type: ignore[no-untyped-def]
    """Zhipu watched as ``zai-org`` only (as anyone adding Z.ai today would): the THUDM repos that
    move into it on 2025-07-28 raise no release alert and one ``org_move`` notice, and every
    launch published under ``zai-org`` itself is still announced."""
    from sqlalchemy import select

    from tracker.store.models import Event

    watchlist = watchlist_with({"zhipu": ("zai-org",)})
    replay(sqlite_store, settings, watchlist)
    moved = moved_ids({org.lower() for lab in watchlist.labs for org in lab.hf_orgs})
    answers = load_answers()
    result = score(sqlite_store, answers, moved=moved)
    with capsys.disabled():
        print("\nzai-org only:\n" + "\n".join(result.lines()))
    assert len(moved) == 15 and result.false_alerts["moves"] == 0, result.false_examples
    assert sum(result.false_alerts.values()) == 0, result.false_examples
    first_org = {e["repo_id"]: e["org"] for e in timeline() if e["event"] == "hf_model_public"}
    ids = answers["ids"]
    native = [
        (launch, r)
        for launch, r in zip(answers["launches"], result.launches, strict=True)
        if launch["lab"] == "zhipu" and first_org.get(launch["repos"][0]) == "zai-org"
    ]
    assert len(native) >= 4, "the corpus has Z.ai launches published under zai-org (GLM-4.5, 4.6, 4.6V...)"
    assert all(r.top_level == 1 for _, r in native), [(r.title, r.top_level) for _, r in native]
    with sqlite_store.transaction() as session:
        notices = session.scalars(select(Event).where(Event.type == "org_move")).all()
    assert len(notices) == 1 and notices[0].release_id is None
    assert notices[0].payload["org"] == "zai-org" and notices[0].payload["count"] == len(moved)
    assert {ids.get(r.replace("THUDM/", "zai-org/")) for r in notices[0].payload["repos"]} <= moved | {None}
