"""The radar on the replay hub: a corpus lab removed from the watchlist is found, noise never is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tracker.config import Settings
from tracker.pipeline.radar import radar_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import RadarCandidate
from tracker.watchlist import Watchlist, load_watchlist

LAUNCH = datetime(2025, 4, 30, 4, 0, tzinfo=UTC)  # XiaomiMiMo's first repo goes public (timeline)


def without(*slugs: str) -> Watchlist:
    """The packaged watchlist minus ``slugs``."""
    full = load_watchlist()
    return Watchlist(labs=tuple(lab for lab in full.labs if lab.slug not in slugs), source="test")


def radar_settings(base: Settings, hub: ReplayServer, **radar: object) -> Settings:
    s = base.model_copy(update={"hf_endpoint": hub.hf_endpoint, "sources": "hf"}, deep=True)
    for key, value in radar.items():
        setattr(s.radar, key, value)
    return s


def run_until(settings: Settings, store: Store, watchlist: Watchlist, hub: ReplayServer, end: datetime, step_h: float):
    """Run radar cycles every ``step_h`` hours of replayed time up to ``end``; return the reports."""
    reports = []
    while hub.clock.now() <= end:
        reports.append(radar_once(settings, store, watchlist, clock=hub.clock.now))
        hub.set_now(hub.clock.now() + timedelta(hours=step_h))
    return reports


def test_an_unwatched_lab_crosses_within_a_day_of_its_launch_and_noise_never(
    store: Store, backend_settings: Settings
) -> None:
    with ReplayServer(now=LAUNCH - timedelta(days=2)) as hub:
        settings = radar_settings(backend_settings, hub)
        watchlist = without("xiaomi")
        reports = run_until(settings, store, watchlist, hub, LAUNCH + timedelta(days=3), step_h=3)
        assert all(r.requests <= settings.radar.requests_per_cycle for r in reports)
        assert not any(r.failures for r in reports)
        with store.transaction() as session:
            mimo = session.scalars(select(RadarCandidate).where(RadarCandidate.org_key == "xiaomimimo")).one()
            rows = session.scalars(select(RadarCandidate)).all()
        assert mimo.crossed_at is not None and mimo.crossed_at <= LAUNCH + timedelta(days=1), (mimo.score, mimo.reasons)
        assert mimo.first_seen_at <= LAUNCH + timedelta(days=1)
        codes = {r["code"] for r in mimo.reasons}
        assert {"base_model", "trending", "arxiv", "launch"} <= codes
        assert mimo.country == "CN", "evidence: the packaged watchlist's lab owning the org"
        assert mimo.best_repo_id and mimo.best_repo_id.startswith("XiaomiMiMo/")
        noise = [r for r in rows if r.org_key.startswith("noise-") or r.org_key == "unsloth"]
        assert {r.org_key.rstrip("-0123456789") for r in noise} >= {"noise-merges", "noise-finetunes", "noise-quants"}
        assert all(r.crossed_at is None and r.score < settings.radar.alert_score for r in noise), [
            (r.org, r.score, r.reasons) for r in noise if r.score >= settings.radar.alert_score
        ]
        assert all(r.country is None for r in noise)
        watched = set(watchlist.labs_for_org())
        assert not any(r.org_key in watched for r in rows), "watched orgs are never candidates"
