"""``tracker explain REPO|ARXIV_ID`` in-process (CliRunner) over rows inserted directly
(tests/factories.py) and dispatched/delivered by ``process_outbox``; both backends."""

from __future__ import annotations

import json
from datetime import timedelta

from typer.testing import CliRunner

from tests.factories import T0, add_event, add_lab, add_release, make_watchlist, qwen, subscription
from tests.fakes import FakeClock
from tracker.cli import app
from tracker.config import Settings
from tracker.outbox.inline import process_outbox
from tracker.store import Store
from tracker.store.models import PaperCandidate

WATCHLIST = make_watchlist(
    qwen(), subscriptions=[subscription("console:all"), subscription("console:big", min_params_b=100)]
)
GROUPED = [
    {"repo": "Qwen/Qwen3-8B", "signals": ["window 0 min", "arxiv:2505.09388"]},
    {"repo": "Qwen/Qwen3-32B", "signals": ["window 12 min", "base_model Qwen/Qwen3-8B"]},
]


def _history(store: Store, settings: Settings) -> None:
    with store.transaction() as session:
        lab = add_lab(session)
        launch = add_release(
            session, lab, "Qwen3", repos=["Qwen/Qwen3-8B", "Qwen/Qwen3-32B"], attrs={"grouped_by": GROUPED}
        )
        add_event(session, "release_detected", launch)
        add_event(session, "variant_added", launch, artifact=launch.artifacts[1])
        old = add_release(
            session,
            lab,
            "Qwen2",
            repos=["Qwen/Qwen2-7B"],
            at=T0 - timedelta(days=300),
            baseline=True,
            released_at_source="created_at",
        )
        old.artifacts[0].baseline = True
        moved = {"old_name": "THUDM/Qwen2-7B", "old_org": "THUDM", "name": "Qwen/Qwen2-7B", "org": "Qwen"}
        add_event(session, "artifact_renamed", old, artifact=old.artifacts[0], payload=moved)
        report = add_release(
            session,
            lab,
            "Qwen3 Technical Report",
            repos=["2505.09388"],
            kind="paper",
            at=T0 + timedelta(days=16),
            merged_into_id=launch.id,
        )
        add_event(session, "release_detected", report, payload={"lab": "qwen", "kind": "paper"}, cancelled_at=T0)
        add_event(
            session,
            "paper_linked",
            launch,
            payload={"arxiv_id": "2505.09388", "title": report.title, "url": report.url},
        )
        session.add(
            PaperCandidate(
                lab_id=lab.id,
                arxiv_id="2501.00001",
                title="Quantum dots",
                authors=["An Yang"],
                categories=["quant-ph"],
                first_seen_at=T0,
                last_seen_at=T0,
                decision="rejected",
                evidence=["one known author only: 'An Yang'"],
            )
        )
    process_outbox(store, settings=settings, watchlist=WATCHLIST, clock=FakeClock(T0 + timedelta(days=20)))


def _explain(settings: Settings, *args: str) -> str:
    env = {"TRACKER_DATA_DIR": str(settings.data_dir), "TRACKER_DATABASE_URL": settings.resolved_database_url}
    result = CliRunner().invoke(app, ["explain", *args], env={**env, "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_explain_says_why_each_thing_was_or_was_not_alerted(store: Store, backend_settings: Settings) -> None:
    _history(store, backend_settings)

    lead = _explain(backend_settings, "qwen/qwen3-8b")
    assert "Qwen/Qwen3-8B: alerted: it started release #1 “Qwen3”" in lead
    assert "released at: 2025-04-28T21:00:00Z (from first_seen)" in lead
    assert "Qwen/Qwen3-32B: window 12 min, base_model Qwen/Qwen3-8B" in lead
    assert "console:all: sent at" in lead and "console:big: nothing (its filter did not pass)" in lead

    variant = _explain(backend_settings, "Qwen/Qwen3-32B")
    assert "joined it as a variant (grouped by: window 12 min, base_model Qwen/Qwen3-8B)" in variant
    assert "#2 variant_added" in variant

    history = _explain(backend_settings, "Qwen/Qwen2-7B")
    assert "not alerted: recorded as history on the first poll of its source (dated by created_at)" in history
    renamed = _explain(backend_settings, "THUDM/Qwen2-7B")
    assert renamed.startswith("THUDM/Qwen2-7B (now Qwen/Qwen2-7B): not alerted: recorded as history")
    assert "artifact_renamed" in renamed

    report = json.loads(_explain(backend_settings, "arXiv:2505.09388v2", "--format", "json"))
    assert report["kind"] == "paper" and report["release"]["merged_into"] == {"id": 1, "title": "Qwen3"}
    assert report["verdict"] == "no alert of its own: it joined launch #1 as its technical report"
    [held] = [e for e in report["events"] if e["type"] == "release_detected"]
    assert held["cancelled_at"] and held["deliveries"] == []
    assert {n["why"] for n in held["not_delivered"]} == {"cancelled before it was due: nothing was sent"}
    [linked] = [e for e in report["events"] if e["type"] == "paper_linked"]
    assert [d["channel"] for d in linked["deliveries"]] == ["console:all"]  # only the channel that got Qwen3

    namesake = _explain(backend_settings, "2501.00001")
    assert "not attributed to qwen: one known author only: 'An Yang'" in namesake
    assert "qwen: rejected (one known author only: 'An Yang')" in namesake

    unknown = _explain(backend_settings, "someone/else-7b")
    assert "never seen: no watched lab's listing has returned someone/else-7b" in unknown
    assert "watches the Hub org someone" in unknown
