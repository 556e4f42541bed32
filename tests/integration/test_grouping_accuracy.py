"""Grouping accuracy on the whole packaged corpus, scored against a hand-labelled answer file.

The corpus is replayed through the real pipeline (ReplayServer + poll_once, Hub source) from a
baseline on 2024-12-01, one poll per day, to 2026-01-01; stored releases are compared with
``tests/fixtures/grouping_answers.json``. Prints pairwise precision/recall and the share of
artifacts in the right release. SQLite only: the replay is long and grouping logic is the same
on both backends (``test_regroup`` and ``test_intelligence`` cover PostgreSQL).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.grouping_replay import load_answers, replay_corpus, score, stored_groups
from tracker.config import Settings
from tracker.grouping.regroup import regroup
from tracker.store import Store
from tracker.store import db as store_db

TARGET = 0.98


@pytest.fixture
def sqlite_store(settings: Settings):  # type: ignore[no-untyped-def]
    s = Store.open(settings, migrate=False)
    store_db.upgrade(s.engine)
    yield s
    s.dispose()


def test_answer_file_is_consistent() -> None:
    answers = load_answers()
    names = [n for rel in answers["releases"] for n in rel["repos"]]
    assert len(names) == len(set(names)), "a repo is in one release only"
    assert set(answers["ids"]) == set(names) | set(answers["third_party"])
    assert all(not n.startswith("unsloth/") for n in names), "third-party repos are never lab releases"
    assert answers["third_party"], "the corpus has third-party repos to check"


def test_grouping_precision_recall_on_the_corpus(sqlite_store: Store, settings: Settings, capsys) -> None:  # type: ignore[no-untyped-def]
    assert timedelta(days=settings.polling.family_window_days) == timedelta(days=14), (
        "answers assume the default window"
    )
    replay_corpus(sqlite_store, settings, step_days=1.0)
    result = score(load_answers(), stored_groups(sqlite_store))
    with capsys.disabled():
        print("\n" + result.summary())
        if result.wrong or result.missing:
            print(f"  wrong release: {result.wrong}\n  not stored: {result.missing}")
    assert result.missing == []
    assert result.third_party_stored == []
    assert result.artifact_accuracy >= TARGET, result.summary()
    with sqlite_store.transaction() as session:  # regroup reproduces the pipeline's grouping exactly
        report = regroup(session, window=timedelta(days=settings.polling.family_window_days))
    assert not report.changed, report.moves[:5]
