"""Derivative counting and all-time downloads on the replay hub, within the request budget."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select

from tests.factories import packaged
from tracker.adoption.cycle import adoption_once
from tracker.config import Settings
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import Artifact, Derivative, DerivativeCount, DownloadSnapshot, Release


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _settings(base: Settings, hub: ReplayServer, **adoption: object) -> Settings:
    s = base.model_copy(update={"hf_endpoint": hub.hf_endpoint, "sources": "hf"}, deep=True)
    for key, value in adoption.items():
        setattr(s.adoption, key, value)
    return s


def _hub_relations(hub: ReplayServer, repo_id: str) -> dict[str, int]:
    """What the hub itself lists as derivatives of ``repo_id`` (third parties only), by relation."""
    items = httpx.get(f"{hub.url}/api/models", params={"filter": f"base_model:{repo_id}", "limit": 1000}).json()
    out: dict[str, int] = {}
    for it in items:
        if it["author"].lower() == repo_id.split("/")[0].lower():
            continue
        rel = next((t.split(":")[1] for t in it["tags"] if t.startswith("base_model:") and t.count(":") == 2), "other")
        out[rel] = out.get(rel, 0) + 1
    return out


def test_derivatives_counted_by_relation_within_the_budget(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 4, 27)) as hub:
        settings = _settings(backend_settings, hub, requests_per_cycle=4, window_days=30.0)
        watchlist = packaged("qwen")
        poll_once(settings, store, watchlist, clock=hub.clock.now)
        hub.set_now(_utc(2025, 5, 20))
        poll_once(settings, store, watchlist, clock=hub.clock.now)

        hub.reset_stats()
        first = adoption_once(settings, store, clock=hub.clock.now)
        assert first.pages <= 4 and first.requests == hub.stats()["paths"]["/api/models"] <= 4
        assert first.deferred > 0, "more bases are due than one cycle can pay for"
        second = adoption_once(settings, store, clock=hub.clock.now)
        with store.transaction() as session:
            scanned = session.scalars(select(DerivativeCount.artifact_id)).all()
        assert len(scanned) == len(set(scanned)) == first.bases_scanned + second.bases_scanned, (
            "oldest scan first: no base is scanned twice before the others"
        )

        settings.adoption.requests_per_cycle = 1000
        adoption_once(settings, store, clock=hub.clock.now)
        with store.transaction() as session:
            base = session.scalars(select(Artifact).where(Artifact.name == "Qwen/Qwen3-30B-A3B")).one()
            count = session.scalars(
                select(DerivativeCount).where(DerivativeCount.artifact_id == base.id).order_by(DerivativeCount.id)
            ).all()[-1]
            stored = {r: getattr(count, r) for r in ("quantized", "finetune", "adapter", "merge", "other")}
            assert {k: v for k, v in stored.items() if v} == _hub_relations(hub, "Qwen/Qwen3-30B-A3B")
            assert count.complete
            assert session.scalar(
                select(func.count()).select_from(Derivative).where(Derivative.repo_id.like("unsloth/%"))
            ), "real re-uploads of the corpus count as derivatives"
            qwen3 = session.scalars(select(Release).where(Release.title == "Qwen3")).one()
            assert qwen3.adoption_count and qwen3.adoption_count > 0
            all_time = session.scalars(
                select(DownloadSnapshot.downloads_all_time).where(DownloadSnapshot.artifact_id == base.id)
            ).all()
            assert any(v for v in all_time), "all-time downloads from the expand[] listing"


def test_a_failing_base_is_reported_and_the_others_complete(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 5, 20)) as hub:
        settings = _settings(backend_settings, hub, requests_per_cycle=1000, window_days=60.0)
        poll_once(settings, store, packaged("qwen"), clock=hub.clock.now)
        hub.add_fault(path="/api/models", match={"filter": "base_model:Qwen/Qwen3-8B"}, status=404, times=None)
        report = adoption_once(settings, store, clock=hub.clock.now)
        assert list(report.failures) == ["derivatives:Qwen/Qwen3-8B"]
        assert report.bases_scanned > 10


def test_lineage_from_polled_listings_feeds_derivatives_at_no_cost(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 6, 10)) as hub:
        settings = _settings(backend_settings, hub, requests_per_cycle=0)
        poll_once(settings, store, packaged("qwen", "deepseek"), clock=hub.clock.now)
        hub.reset_stats()
        report = adoption_once(settings, store, clock=hub.clock.now)
        assert report.requests == 0 and hub.stats()["total"] == 0
        with store.transaction() as session:
            via_listing = session.execute(
                select(Derivative.repo_id, Artifact.name)
                .join(Artifact, Artifact.id == Derivative.base_artifact_id)
                .where(Derivative.via == "listing")
            ).all()
        assert via_listing, "another watched lab's model built on a watched base is a derivative"
        assert all(d.split("/")[0].lower() != b.split("/")[0].lower() for d, b in via_listing)
