"""``tracker regroup``: rebuilding releases from the current rules is safe (both backends).

Replays three and a half months of Qwen history (the Qwen3 launch, its quantized variants, the
2507 revisions, Qwen3-Coder, Qwen-Image) through the real pipeline, then regroups:
unchanged rules change nothing; a simulated rule change moves artifacts without writing an
event; a second run is a no-op; restoring the rules restores the original releases and ids.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.factories import packaged
from tests.integration.grouping_replay import changed_labs
from tracker.config import Settings
from tracker.grouping import families
from tracker.grouping.regroup import LiveRules, regroup
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import Artifact, Event, Release
from tracker.watchlist import Watchlist

START = datetime(2025, 4, 20, tzinfo=UTC)
END = datetime(2025, 8, 10, tzinfo=UTC)


def _qwen() -> Watchlist:
    return packaged("qwen")


def _replay_qwen(store: Store, settings: Settings) -> None:
    with ReplayServer(now=START) as hub:
        settings = settings.model_copy(update={"hf_endpoint": hub.hf_endpoint, "arxiv_endpoint": hub.arxiv_endpoint})
        poll_once(settings, store, _qwen(), sources=["hf"], clock=hub.clock.now)
        for at, labs in changed_labs(1.0):
            if START < at <= END and "qwen" in labs:
                hub.set_now(at)
                poll_once(settings, store, _qwen(), sources=["hf"], clock=hub.clock.now)


def _membership(store: Store) -> dict[int, frozenset[str]]:
    """Model release id -> the names of its artifacts."""
    with store.transaction() as session:
        out: dict[int, set[str]] = {}
        for release_id, name in session.execute(
            select(Artifact.release_id, Artifact.name).where(Artifact.kind == "model")
        ):
            out.setdefault(release_id, set()).add(name)
        return {k: frozenset(v) for k, v in out.items()}


def _events(store: Store) -> int:
    with store.transaction() as session:
        return session.scalar(select(func.count(Event.id))) or 0


def _run(store: Store, settings: Settings, *, dry_run: bool = False):  # type: ignore[no-untyped-def]
    with store.transaction() as session:
        return regroup(
            session,
            window=timedelta(days=settings.polling.family_window_days),
            rules=LiveRules.from_settings(settings),
            watchlist=_qwen(),
            dry_run=dry_run,
        )


def _split_quantized(real):  # type: ignore[no-untyped-def]
    """A rule change: quantized repos become a family of their own (``Qwen3`` -> ``Qwen3-quantized``)."""

    def classify(name, tags=(), pipeline_tag=None):  # type: ignore[no-untyped-def]
        facts = real(name, tags, pipeline_tag)
        return dataclasses.replace(facts, family=f"{facts.family}-quantized") if facts.quantization else facts

    return classify


def test_regroup_is_a_no_op_after_replay_and_safe_after_a_rule_change(
    store: Store, backend_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _replay_qwen(store, backend_settings)
    original = _membership(store)
    events = _events(store)
    assert any("Qwen/Qwen3-235B-A22B-FP8" in names and "Qwen/Qwen3-8B" in names for names in original.values())
    assert not any("Qwen/Qwen3-8B-AWQ" in names and "Qwen/Qwen3-8B" in names for names in original.values()), (
        "quantized repos a week after the launch are a wave of their own"
    )

    report = _run(store, backend_settings)
    assert not report.changed and report.moves == []
    assert _membership(store) == original, "same rules, same releases, same ids"

    monkeypatch.setattr(families, "classify", _split_quantized(families.classify))
    dry = _run(store, backend_settings, dry_run=True)
    assert dry.moves and _membership(store) == original, "a dry run writes nothing"

    report = _run(store, backend_settings)
    moved = {m.name for m in report.moves}
    assert moved == {m.name for m in dry.moves}
    assert moved, "a rule change moves repos"
    assert all(families.parse_repo_name(n).quantization for n in moved), "only quantized repos move"
    assert _events(store) == events, "regrouping writes no outbox event (no alert again)"
    after = _membership(store)
    for release_id, names in original.items():  # releases with no quantized repo keep id and members
        if not any(families.parse_repo_name(n).quantization for n in names):
            assert after[release_id] == names
    with store.transaction() as session:
        quantized = session.scalars(select(Release).where(Release.family == "qwen3-quantized")).all()
        assert quantized and all(r.kind == "model" for r in quantized)
        one = session.scalars(select(Artifact).where(Artifact.name == sorted(moved)[0])).one()
        assert one.release.family.endswith("-quantized") and one.release.significance is not None

    again = _run(store, backend_settings)
    assert not again.changed, "a second run is a no-op"
    assert _membership(store) == after

    monkeypatch.undo()  # the old rules again: everything goes back, to the original release ids
    back = _run(store, backend_settings)
    assert {m.name for m in back.moves} == moved
    assert back.created == [] and back.deleted
    assert _membership(store) == original
    assert _events(store) == events


def test_regroup_cli_dry_run_and_apply(
    store: Store, backend_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.cli.app import app

    _replay_qwen(store, backend_settings)
    original = _membership(store)
    monkeypatch.setenv("TRACKER_DATABASE_URL", backend_settings.resolved_database_url)
    monkeypatch.setenv("TRACKER_DATA_DIR", str(backend_settings.data_dir))
    runner = CliRunner()
    result = runner.invoke(app, ["regroup", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "nothing to change" in result.output

    monkeypatch.setattr(families, "classify", _split_quantized(families.classify))
    result = runner.invoke(app, ["regroup", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Qwen/QwQ-32B-AWQ" in result.output and "would move" in result.output
    assert _membership(store) == original
    result = runner.invoke(app, ["regroup"])
    assert result.exit_code == 0, result.output
    assert "Qwen/QwQ-32B-AWQ" in result.output and _membership(store) != original
    result = runner.invoke(app, ["regroup"])
    assert "nothing to change" in result.output
