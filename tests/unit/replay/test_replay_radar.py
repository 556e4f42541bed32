"""The replay hub's global listings: every org, synthetic noise, a trending score that peaks and fades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tracker.replay.radar import NOISE_PREFIX, trending_score
from tracker.replay.server import ReplayServer

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def test_the_trending_score_peaks_within_a_day_and_fades() -> None:
    item = {"likes": 300}
    scores = [trending_score(item, T0, T0 + timedelta(days=d)) for d in (-1, 0.1, 0.5, 3, 30)]
    assert scores[0] == 0 and scores[1] < scores[2] and scores[2] > scores[3] > scores[4] > 0
    assert trending_score(item, None, T0) == 0, "a repo with no known start is old: not trending"


def _listing(hub: ReplayServer, sort: str) -> list[dict]:
    return httpx.get(f"{hub.url}/api/models", params={"sort": sort, "direction": -1, "limit": 1000}).json()


def test_global_listings_cover_every_org_with_noise_sorted_as_asked() -> None:
    with ReplayServer(now=datetime(2025, 5, 1, tzinfo=UTC)) as hub:
        trending = _listing(hub, "trendingScore")
        scores = [it["trendingScore"] for it in trending]
        assert scores == sorted(scores, reverse=True) and scores[0] > 0
        orgs = {it["id"].split("/")[0] for it in trending}
        assert {"Qwen", "XiaomiMiMo", "unsloth"} <= orgs
        noise = [it for it in trending if it["id"].startswith(NOISE_PREFIX)]
        kinds = {it["id"].split("/")[0].rstrip("-0123456789") for it in noise}
        assert {"noise-merges", "noise-finetunes", "noise-quants", "noise-mirror", "noise-user"} <= kinds
        newest = _listing(hub, "createdAt")
        created = [it["createdAt"] for it in newest]
        assert created == sorted(created, reverse=True)
        liked_before = {it["id"]: it["likes"] for it in _listing(hub, "likes")}
        hub.set_now(datetime(2025, 5, 10, tzinfo=UTC))
        liked_after = {it["id"]: it["likes"] for it in _listing(hub, "likes")}
        common = set(liked_before) & set(liked_after)
        assert all(liked_after[i] >= liked_before[i] for i in common), "likes never shrink"
        assert any(liked_after[i] > liked_before[i] for i in common), "traction grows over replayed time"
        assert httpx.get(f"{hub.url}/api/models", params={"author": "nobody-here"}).json() == []
