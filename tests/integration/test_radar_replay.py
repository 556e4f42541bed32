"""The radar on the replay hub: a corpus lab removed from the watchlist is found, noise never is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tracker.config import Settings
from tracker.pipeline.radar import radar_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import Event, RadarCandidate
from tracker.watchlist import Watchlist, load_watchlist

LAUNCH = datetime(2025, 4, 30, 4, 0, tzinfo=UTC)  # XiaomiMiMo's first repo goes public (timeline)
#: (lab slug removed from the watchlist, its org, when its launch goes viral in the replay, reasons expected)
CASES = [
    ("xiaomi", "xiaomimimo", LAUNCH, {"base_model", "trending", "arxiv", "launch"}),
    # inclusionAI's first launches (Ling-lite, Ling-plus) drew little traction; Ling-1T went viral
    ("inclusionai", "inclusionai", datetime(2025, 10, 9, 8, 0, tzinfo=UTC), {"base_model", "trending", "likes_growth"}),
]


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


@pytest.mark.parametrize(("slug", "org_key", "viral", "expected"), CASES, ids=[c[0] for c in CASES])
def test_an_unwatched_lab_crosses_within_a_day_of_its_launch_and_noise_never(
    store: Store, backend_settings: Settings, slug: str, org_key: str, viral: datetime, expected: set[str]
) -> None:
    with ReplayServer(now=viral - timedelta(days=2)) as hub:
        settings = radar_settings(backend_settings, hub, alerts=True)
        watchlist = without(slug)
        reports = run_until(settings, store, watchlist, hub, viral + timedelta(days=1), step_h=3)
        assert all(r.requests <= settings.radar.requests_per_cycle for r in reports)
        assert not any(r.failures for r in reports)
        with store.transaction() as session:
            lab = session.scalars(select(RadarCandidate).where(RadarCandidate.org_key == org_key)).one()
            rows = session.scalars(select(RadarCandidate)).all()
            announced = [e.dedupe_key for e in session.scalars(select(Event).where(Event.type == "radar_crossed"))]
        crossed = sorted(f"radar:{r.org_key}" for r in rows if r.crossed_at is not None and r.status == "candidate")
        assert sorted(announced) == crossed and f"radar:{org_key}" in announced, "one alert per crossed org, ever"
        assert sum(r.announced for r in reports) == len(announced)
        assert lab.crossed_at is not None and lab.crossed_at <= viral + timedelta(days=1), (lab.score, lab.reasons)
        assert lab.crossed_at >= lab.first_seen_at
        assert lab.score >= settings.radar.alert_score and expected <= {r["code"] for r in lab.reasons}
        assert all(r["text"] and r["points"] > 0 for r in lab.reasons)
        assert lab.country == "CN", "evidence: the packaged watchlist's lab owning the org"
        assert lab.best_repo_id and lab.best_repo_id.lower().startswith(org_key + "/")
        noise = [r for r in rows if r.org_key.startswith("noise-") or r.org_key == "unsloth"]
        assert {r.org_key.rstrip("-0123456789") for r in noise} >= {"noise-merges", "noise-finetunes", "noise-quants"}
        assert all(r.crossed_at is None and r.score < settings.radar.alert_score for r in noise), [
            (r.org, r.score, r.reasons) for r in noise if r.score >= settings.radar.alert_score
        ]
        assert all(r.country is None for r in noise)
        copies = [r for r in noise if not r.org_key.startswith("noise-user")]
        assert copies and all(r.status == "excluded" and r.excluded_reason for r in copies), "excluded by lineage"
        assert {r.reasons[0]["code"] for r in copies} == {"derivatives_only"}
        watched = set(watchlist.labs_for_org())
        assert not any(r.org_key in watched for r in rows), "watched orgs are never candidates"


def test_the_budget_caps_requests_and_a_failing_listing_never_stops_the_others(
    store: Store, backend_settings: Settings
) -> None:
    with ReplayServer(now=LAUNCH + timedelta(hours=12)) as hub:
        watchlist = without("xiaomi")
        none = radar_once(
            radar_settings(backend_settings, hub, requests_per_cycle=0), store, watchlist, clock=hub.clock.now
        )
        assert none.requests == 0 and hub.stats()["total"] == 0
        one = radar_once(
            radar_settings(backend_settings, hub, requests_per_cycle=1), store, watchlist, clock=hub.clock.now
        )
        assert one.listings == ["trending"] and one.requests == hub.stats()["total"] == 1

        hub.reset_stats()
        hub.add_fault(path="/api/models", match={"sort": "likes"}, status=404, times=None)
        settings = radar_settings(backend_settings, hub, requests_per_cycle=10)
        report = radar_once(settings, store, watchlist, clock=hub.clock.now)
        assert list(report.failures) == ["listing:liked"]
        assert report.listings == ["trending", "newest"] and report.repos > 100
        assert report.requests <= 10 and hub.stats()["total"] <= 10
        with store.transaction() as session:
            mimo = session.scalars(select(RadarCandidate).where(RadarCandidate.org_key == "xiaomimimo")).one()
        assert mimo.score > 0 and mimo.status == "candidate"
