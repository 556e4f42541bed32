"""The replay hub's synthetic adoption: counters that grow, derivatives by base-model filter, expand[]."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tracker.replay.adoption import derivative_relation, grown, synthetic_derivatives
from tracker.replay.server import ReplayServer

T0 = datetime(2025, 1, 1, tzinfo=UTC)
ITEM = {"_id": "abc", "id": "org/base", "downloads": 3000, "likes": 90, "tags": []}


def test_counters_grow_from_the_start_and_reach_the_recorded_figure_at_30_days() -> None:
    assert grown(ITEM, T0, T0 - timedelta(days=1))["downloads"] == 0
    ten = grown(ITEM, T0, T0 + timedelta(days=10))
    assert (ten["downloads"], ten["downloadsAllTime"], ten["likes"]) == (1000, 1000, 30)
    sixty = grown(ITEM, T0, T0 + timedelta(days=60))
    assert (sixty["downloads"], sixty["downloadsAllTime"], sixty["likes"]) == (3000, 6000, 90)
    assert ITEM["downloads"] == 3000, "the corpus item itself is never changed"


def test_derivatives_appear_over_time_with_stable_names_and_relation_tags() -> None:
    early = synthetic_derivatives("org/base", ITEM, T0, T0 + timedelta(days=10))
    late = synthetic_derivatives("org/base", ITEM, T0, T0 + timedelta(days=200))
    assert 0 < len(early) < len(late)
    assert {d["id"] for d in early} <= {d["id"] for d in late}
    renamed = synthetic_derivatives("neworg/base", ITEM, T0, T0 + timedelta(days=200))
    assert [d["id"] for d in renamed] == [d["id"] for d in late], "names follow the base's _id, not its name"
    for d in late:
        rel = d["tags"][1].split(":")[1]
        assert d["tags"][:2] == ["base_model:org/base", f"base_model:{rel}:org/base"]
        assert d["author"].startswith("community-")
    assert [derivative_relation(i) for i in range(10)].count("quantized") == 5


def test_hub_serves_filter_and_expand_like_the_hub() -> None:
    with ReplayServer(now=datetime(2025, 6, 1, tzinfo=UTC)) as hub:
        c = httpx.Client(base_url=hub.url)
        tagged = c.get("/api/models", params={"filter": "base_model:Qwen/Qwen3-30B-A3B"}).json()
        authors = {it["author"] for it in tagged}
        assert "unsloth" in authors and any(a.startswith("community-") for a in authors)
        assert all("base_model:Qwen/Qwen3-30B-A3B" in it["tags"] for it in tagged)
        both = c.get("/api/models", params={"filter": "base_model:Qwen/Qwen3-30B-A3B", "author": "unsloth"}).json()
        assert {it["author"] for it in both} == {"unsloth"}
        slim = c.get("/api/models", params={"author": "Qwen", "expand[]": ["downloadsAllTime"], "limit": 2}).json()
        assert all(set(it) == {"_id", "id", "downloadsAllTime"} for it in slim)
        assert c.get("/api/models", params={"author": "Qwen", "full": "true", "expand[]": "likes"}).status_code == 400
        assert c.get("/api/models", params={"filter": "base_model:nobody/nothing"}).json() == []
