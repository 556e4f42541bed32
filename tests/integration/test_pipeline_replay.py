"""The main job end to end on replayed real history, on SQLite and PostgreSQL.

A real replay hub (HTTP on loopback) serves the packaged corpus as the Hub and arXiv APIs would
at a settable "now"; tracker polls it with the production code path (httpx, parsers, detection,
one transaction per source result).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.factories import lab, make_watchlist, packaged
from tracker.config import Settings
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import Artifact, Event, Release
from tracker.watchlist import load_watchlist

QWEN3_LAUNCH = [  # every Qwen repo that became public on 2025-04-28 (timeline.jsonl)
    "Qwen/Qwen3-0.6B",
    "Qwen/Qwen3-0.6B-Base",
    "Qwen/Qwen3-0.6B-FP8",
    "Qwen/Qwen3-1.7B",
    "Qwen/Qwen3-1.7B-Base",
    "Qwen/Qwen3-1.7B-FP8",
    "Qwen/Qwen3-4B",
    "Qwen/Qwen3-4B-Base",
    "Qwen/Qwen3-4B-FP8",
    "Qwen/Qwen3-8B",
    "Qwen/Qwen3-8B-Base",
    "Qwen/Qwen3-8B-FP8",
    "Qwen/Qwen3-14B",
    "Qwen/Qwen3-14B-Base",
    "Qwen/Qwen3-14B-FP8",
    "Qwen/Qwen3-32B",
    "Qwen/Qwen3-32B-FP8",
    "Qwen/Qwen3-30B-A3B",
    "Qwen/Qwen3-30B-A3B-Base",
    "Qwen/Qwen3-30B-A3B-FP8",
    "Qwen/Qwen3-235B-A22B",
    "Qwen/Qwen3-235B-A22B-FP8",
]


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _settings(base: Settings, hub: ReplayServer) -> Settings:
    return base.model_copy(update={"hf_endpoint": hub.hf_endpoint, "arxiv_endpoint": hub.arxiv_endpoint})


def _events(store: Store, type_: str) -> list[Event]:
    with store.transaction() as session:
        return list(session.scalars(select(Event).where(Event.type == type_)))


def test_baseline_then_qwen3_launch_detected_once(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 4, 27)) as hub:
        settings = _settings(backend_settings, hub)
        watchlist = load_watchlist()

        first = poll_once(settings, store, watchlist, clock=hub.clock.now)
        assert all(r.status == "ok" for r in first), [(r.source, r.lab, r.error, r.failures) for r in first]
        assert not [d for r in first for d in r.detections], "baseline must alert nothing"
        assert any(r.baseline for r in first)
        assert _events(store, "release_detected") == []
        with store.transaction() as session:
            baseline_count = session.scalar(select(func.count(Artifact.id)))
            assert baseline_count and baseline_count > 100
            assert session.scalar(select(func.count(Release.id)).where(Release.baseline.is_(False))) == 0

        hub.set_now(_utc(2025, 4, 29))
        second = poll_once(settings, store, watchlist, clock=hub.clock.now)
        detected = Counter(d.artifact for r in second for d in r.detections)
        for repo in QWEN3_LAUNCH:
            assert detected[repo] == 1, f"{repo} detected {detected[repo]} times"
        assert not any(name.startswith("unsloth/") for name in detected), "third-party re-uploads are not lab releases"

        # Qwen3-235B-A22B was created privately on 2025-04-16, long before the previous poll:
        # it is new because its public _id is new, not because of createdAt.
        with store.transaction() as session:
            big = session.scalars(select(Artifact).where(Artifact.name == "Qwen/Qwen3-235B-A22B")).one()
            assert big.created_at == _utc(2025, 4, 16, 20, 27, 54)
            assert big.baseline is False
            assert big.release.released_at == _utc(2025, 4, 29)  # dated by first public sight
            launch = session.scalars(select(Release).where(Release.title == "Qwen3")).all()
            assert len(launch) == 1, "one launch is one release"
            assert {a.name for a in launch[0].artifacts} >= set(QWEN3_LAUNCH)
        release_events = [e for e in _events(store, "release_detected") if e.payload["lab"] == "qwen"]
        assert [e.payload["title"] for e in release_events].count("Qwen3") == 1

        third = poll_once(settings, store, watchlist, clock=hub.clock.now)
        assert [d for r in third for d in r.detections] == []


def test_rename_is_not_a_release_and_keeps_history(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 7, 27, 12)) as hub:
        settings = _settings(backend_settings, hub)
        watchlist = packaged("zhipu")
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        with store.transaction() as session:
            before = {a.external_id: a.name for a in session.scalars(select(Artifact))}
        assert any(name.startswith("THUDM/") for name in before.values())

        hub.set_now(_utc(2025, 7, 28, 4))  # after the THUDM -> zai-org rename, same _ids
        reports = poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        renamed = sum(r.renamed for r in reports)
        assert renamed >= 10
        detected = {d.artifact for r in reports for d in r.detections}
        with store.transaction() as session:
            after = {a.external_id: a for a in session.scalars(select(Artifact))}
        for external_id, old_name in before.items():
            if old_name.startswith("THUDM/"):
                row = after[external_id]
                assert row.name == "zai-org/" + old_name.split("/", 1)[1]
                assert row.withdrawn_at is None
                assert row.name not in detected, "a rename must not be detected as a release"
        assert len(_events(store, "artifact_renamed")) == renamed


def test_vanished_repo_is_withdrawn_not_deleted(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2024, 4, 15, 23)) as hub:
        settings = _settings(backend_settings, hub)
        watchlist = packaged("microsoft")
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        hub.set_now(_utc(2024, 4, 16, 7))
        reports = poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        assert sum(r.withdrawn for r in reports) == 2
        with store.transaction() as session:
            wizard = session.scalars(select(Artifact).where(Artifact.name.like("microsoft/WizardLM-2%"))).all()
            assert len(wizard) == 2
            assert all(a.withdrawn_at == _utc(2024, 4, 16, 7) for a in wizard)
        # A third poll does not withdraw them again.
        again = poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        assert sum(r.withdrawn for r in again) == 0


def test_failing_org_is_isolated_and_recovers(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 4, 27)) as hub:
        settings = _settings(backend_settings, hub).model_copy(update={"http_max_retries": 2})
        watchlist = packaged("qwen", "deepseek")
        hub.add_fault(path="/api/models", match={"author": "Qwen"}, status=500, times=10)
        reports = {
            (r.source, r.lab): r for r in poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        }
        assert reports[("hf", "qwen")].status == "failed"
        assert "500" in reports[("hf", "qwen")].failures[0].error
        assert reports[("hf", "deepseek")].status == "ok"
        with store.transaction() as session:
            orgs = {a.org for a in session.scalars(select(Artifact))}
        assert orgs == {"deepseek-ai"}, "nothing of the failed org is half-written"

        hub.clear_faults()
        hub.set_now(_utc(2025, 4, 29))
        reports = {
            (r.source, r.lab): r for r in poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        }
        qwen = reports[("hf", "qwen")]
        assert qwen.status == "ok"
        # The first successful listing of the org is its baseline: Qwen3 is recorded, not alerted
        # (the org was never listed before, so tracker cannot tell what is new).
        assert qwen.baseline and qwen.detections == []


def test_partial_lab_failure_concludes_nothing_about_the_failed_org(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 8, 1)) as hub:
        settings = _settings(backend_settings, hub)
        watchlist = packaged("zhipu")
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        hub.add_fault(path="/api/models", match={"author": "zai-org"}, status=503, times=10)
        reports = poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        assert reports[0].status == "partial"
        assert reports[0].withdrawn == 0, "a failed listing must not withdraw its repos"


def test_arxiv_baseline_then_new_paper(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 5, 1)) as hub:
        settings = _settings(backend_settings, hub)
        watchlist = packaged("qwen")
        first = poll_once(settings, store, watchlist, sources=["arxiv"], clock=hub.clock.now)
        assert first[0].status == "ok" and first[0].detections == []
        hub.set_now(_utc(2025, 5, 20))  # the Qwen3 Technical Report (2505.09388) appears on 2025-05-14
        second = poll_once(settings, store, watchlist, sources=["arxiv"], clock=hub.clock.now)
        titles = [d.title for d in second[0].detections]
        assert any("Qwen3 Technical Report" in t for t in titles), titles
        with store.transaction() as session:
            paper = session.scalars(select(Artifact).where(Artifact.external_id == "2505.09388")).one()
            assert paper.source == "arxiv" and paper.release.kind == "paper"


def test_user_watchlist_lab_with_unknown_org_lists_nothing(store: Store, backend_settings: Settings) -> None:
    wl = make_watchlist(lab("nobody", name="Nobody", country="US", hf_orgs=["no-such-org"]), source="t")
    with ReplayServer(now=_utc(2025, 5, 1)) as hub:
        reports = poll_once(_settings(backend_settings, hub), store, wl, clock=hub.clock.now)
    assert [(r.source, r.status, r.new_artifacts) for r in reports] == [("hf", "ok", 0)]


@pytest.mark.parametrize("when", [_utc(2025, 4, 29)])
def test_detections_are_written_to_the_outbox_in_the_same_transaction(
    store: Store, backend_settings: Settings, when: datetime
) -> None:
    with ReplayServer(now=_utc(2025, 4, 27)) as hub:
        settings = _settings(backend_settings, hub)
        watchlist = packaged("qwen")
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        hub.set_now(when)
        reports = poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
    detections = [d for r in reports for d in r.detections]
    with store.transaction() as session:
        events = session.scalars(select(Event).where(Event.type.in_(["release_detected", "variant_added"]))).all()
    assert len(events) == len(detections) > 0
    assert all(e.dispatched_at is None for e in events)  # pending in the outbox until dispatched
