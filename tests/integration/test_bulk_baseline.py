"""The baseline of a model listing stored in bulk (``pipeline.bulk_baseline``) writes exactly what
the row-by-row path (``pipeline.arrivals.NewArtifacts``) writes: the same releases (family, title,
dates, scores), the same artifacts in the same releases, the same links, for every watched lab's
full Hub history at once (the replay hub at the end of the corpus) and then after later polls."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tracker.config import Settings
from tracker.pipeline import bulk_baseline, poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import Artifact, ArtifactLink, Lab, Release, ReleasePaper
from tracker.watchlist import load_watchlist

FIRST = datetime(2025, 9, 1, tzinfo=UTC)  # most of the corpus already listed: large baselines
LATER = datetime(2026, 1, 1, tzinfo=UTC)


def _release_key(r: Release, labs: dict[int, str]) -> tuple[Any, ...]:
    return (labs[r.lab_id], r.kind, r.family, r.title, urlsplit(r.url).path, r.released_at, r.baseline)


def _dump(store: Store) -> dict[str, Any]:
    """Every stored row by natural keys (ids depend on the order units are stored in)."""
    with store.transaction() as session:
        labs = {lab.id: lab.slug for lab in session.scalars(select(Lab))}
        releases = {r.id: r for r in session.scalars(select(Release))}
        keys = {rid: _release_key(r, labs) for rid, r in releases.items()}
        artifacts = {a.id: a for a in session.scalars(select(Artifact))}
        return {
            "releases": sorted(
                (*keys[r.id], r.first_seen_at, r.significance, r.derivative, r.new_base) for r in releases.values()
            ),
            "artifacts": sorted(
                (
                    a.source,
                    a.external_id,
                    a.name,
                    keys[a.release_id],
                    tuple(a.kinds),
                    a.size_label,
                    a.params_total_b,
                    a.params_active_b,
                    a.quantization,
                    a.baseline,
                    str(sorted(a.attrs.items())),
                )
                for a in artifacts.values()
            ),
            "links": sorted(
                (
                    artifacts[link.artifact_id].external_id,
                    link.relation,
                    link.base_repo_id,
                    artifacts[link.base_artifact_id].external_id if link.base_artifact_id else None,
                )
                for link in session.scalars(select(ArtifactLink))
            ),
            "papers": sorted(
                (keys[p.release_id], artifacts[p.paper_id].external_id, p.via)
                for p in session.scalars(select(ReleasePaper))
            ),
        }


def _history(tmp: Path, settings: Settings, *, bulk: bool, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    with monkeypatch.context() as patch:
        if not bulk:
            patch.setattr(bulk_baseline, "applies", lambda observations, flags: False)
        calls: list[int] = []
        real = bulk_baseline.store_baseline
        patch.setattr(bulk_baseline, "store_baseline", lambda *a, **k: calls.append(1) or real(*a, **k))
        settings = settings.model_copy(update={"data_dir": tmp})
        store = Store.open(settings)
        watchlist = load_watchlist()
        with ReplayServer(now=FIRST) as hub:
            settings = settings.model_copy(update={"hf_endpoint": hub.hf_endpoint})
            poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
            hub.set_now(LATER)
            poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        dump = _dump(store)
        store.dispose()
    assert bool(calls) == bulk
    return dump


def test_bulk_baseline_writes_what_the_row_path_writes(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _history(tmp_path / "rows", settings, bulk=False, monkeypatch=monkeypatch)
    bulk = _history(tmp_path / "bulk", settings, bulk=True, monkeypatch=monkeypatch)
    assert len(rows["artifacts"]) > 100 and len(rows["releases"]) > 30
    for table in rows:
        assert bulk[table] == rows[table], table
