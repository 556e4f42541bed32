"""Replay hub: corpus time rules, Hub listing/pagination, arXiv feed, faults, stats, latency."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import feedparser
import httpx
import pytest

from tracker.replay.clock import parse_time
from tracker.replay.corpus import Corpus
from tracker.replay.server import ReplayServer


def T(text: str) -> datetime:
    return parse_time(text)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus.load()


@pytest.fixture(scope="module")
def server(corpus: Corpus):
    with ReplayServer(T("2025-04-28T00:00:00Z"), corpus=corpus, synthetic_orgs=5) as srv:
        yield srv


@pytest.fixture
def hub(server: ReplayServer):
    server.clear_faults()
    server.reset_stats()
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield server, client
    server.clear_faults()


def list_all(client: httpx.Client, author: str, **params) -> list[dict]:
    items: list[dict] = []
    resp = client.get("/api/models", params={"author": author, **params})
    while True:
        assert resp.status_code == 200
        items.extend(resp.json())
        if "next" not in resp.links:
            return items
        resp = client.get(resp.links["next"]["url"])


def ids(items: list[dict]) -> list[str]:
    return [it["id"] for it in items]


def deepseek_query(corpus: Corpus) -> str:
    return next(lab["arxiv_query"] for lab in corpus.labs() if lab["slug"] == "deepseek")


# ------------------------------------------------------------------ corpus rules
def test_parse_time_is_aware_utc():
    assert T("2025-04-29T00:00:00Z") == datetime(2025, 4, 29, tzinfo=UTC)
    assert T("2025-04-29T00:00:00.000Z").tzinfo is not None
    assert T(datetime(2025, 1, 1)).tzinfo is not None


def test_qwen3_launch_by_public_time_not_created_at(corpus: Corpus):
    before = ids(corpus.visible_models("Qwen", T("2025-04-28T20:00:00Z")))
    after = ids(corpus.visible_models("Qwen", T("2025-04-29T00:00:00Z")))
    assert "Qwen/Qwen3-8B" not in before
    assert "Qwen/Qwen3-8B" in after
    early = corpus.visible_models("Qwen", T("2025-04-27T00:00:00Z"))
    assert "Qwen/Qwen3-235B-A22B" not in ids(early)
    item = next(
        i for i in corpus.visible_models("Qwen", T("2025-05-01T00:00:00Z")) if i["id"] == "Qwen/Qwen3-235B-A22B"
    )
    assert item["createdAt"].startswith("2025-04-16")


def test_listing_shape_and_order(corpus: Corpus):
    items = corpus.visible_models("Qwen", T("2025-12-01T00:00:00Z"))
    assert len(items) == 94
    assert list(items[0]) == [
        "_id",
        "id",
        "author",
        "gated",
        "lastModified",
        "likes",
        "trendingScore",
        "private",
        "disabled",
        "sha",
        "downloads",
        "tags",
        "pipeline_tag",
        "library_name",
        "createdAt",
        "modelId",
        "siblings",
    ]
    created = [i["createdAt"] for i in items]
    assert created == sorted(created, reverse=True)
    assert corpus.visible_models("bartowski", T("2025-12-01T00:00:00Z")) == []
    # returned items are copies
    items[0]["id"] = "mutated"
    assert corpus.visible_models("Qwen", T("2025-12-01T00:00:00Z"))[0]["id"] != "mutated"


def test_rename_thudm_to_zai_org(corpus: Corpus):
    before = corpus.visible_models("THUDM", T("2025-07-01T00:00:00Z"))
    assert "THUDM/GLM-4-32B-0414" in ids(before)
    assert all(i["author"] == "THUDM" and i["modelId"] == i["id"] for i in before)
    assert corpus.visible_models("zai-org", T("2025-07-01T00:00:00Z")) == []
    edge = T("2025-07-28T03:00:00Z")
    assert len(corpus.visible_models("THUDM", T("2025-07-28T02:59:59Z"))) == 17
    assert corpus.visible_models("THUDM", edge) == []
    after = corpus.visible_models("zai-org", T("2025-08-01T00:00:00Z"))
    assert "zai-org/GLM-4-32B-0414" in ids(after)
    assert {i["_id"] for i in before} <= {i["_id"] for i in after}
    assert all(i["author"] == "zai-org" for i in after)
    # single-model endpoint follows the name of the moment
    assert corpus.model_info("THUDM/GLM-4-32B-0414", T("2025-07-01T00:00:00Z"))["id"] == "THUDM/GLM-4-32B-0414"
    assert corpus.model_info("THUDM/GLM-4-32B-0414", T("2025-08-01T00:00:00Z")) is None
    assert corpus.model_info("zai-org/GLM-4-32B-0414", T("2025-07-01T00:00:00Z")) is None
    assert corpus.model_info("zai-org/GLM-4-32B-0414", T("2025-08-01T00:00:00Z"))["author"] == "zai-org"


def test_deletion_and_synthesized_items(corpus: Corpus):
    during = corpus.visible_models("microsoft", T("2024-04-15T23:00:00Z"))
    assert "microsoft/WizardLM-2-7B" in ids(during)
    wiz = next(i for i in during if i["id"] == "microsoft/WizardLM-2-7B")
    assert wiz["private"] is False and wiz["tags"] == [] and wiz["sha"] and wiz["createdAt"]
    after = corpus.visible_models("microsoft", T("2024-04-16T06:02:00Z"))
    assert "microsoft/WizardLM-2-7B" not in ids(after)
    assert corpus.model_info("microsoft/WizardLM-2-7B", T("2024-04-15T23:00:00Z")) is not None
    assert corpus.model_info("microsoft/WizardLM-2-7B", T("2024-04-17T00:00:00Z")) is None


def test_sha_and_last_modified_follow_updates(corpus: Corpus):
    upd = [e for e in corpus.timeline if e["event"] == "hf_model_updated" and e["repo_id"] == "deepseek-ai/DeepSeek-V3"]
    pub = next(
        e for e in corpus.timeline if e["event"] == "hf_model_public" and e["repo_id"] == "deepseek-ai/DeepSeek-V3"
    )
    assert upd
    first = T(upd[0]["at"])
    at_pub = corpus.model_info("deepseek-ai/DeepSeek-V3", T(pub["at"]))
    assert at_pub["sha"] == pub["sha"]
    assert T(at_pub["lastModified"]) == T(pub["at"])
    assert "safetensors" in at_pub  # the model_info file, not a listing item
    at_upd = corpus.model_info("deepseek-ai/DeepSeek-V3", first)
    assert at_upd["sha"] == upd[0]["sha"] and T(at_upd["lastModified"]) == first
    # visible repo without model_info file -> listing-shaped item
    info = corpus.model_info("Qwen/Qwen3-8B", T("2025-05-01T00:00:00Z"))
    assert info is not None and "siblings" in info and "safetensors" not in info
    assert corpus.model_info("Qwen/Qwen3-8B", T("2025-04-28T00:00:00Z")) is None


def test_events_between(corpus: Corpus):
    evs = corpus.events_between(T("2025-04-28T00:00:00Z"), T("2025-04-30T00:00:00Z"))
    assert any(e["repo_id"] == "Qwen/Qwen3-8B" and e["event"] == "hf_model_public" for e in evs)
    assert all(T("2025-04-28T00:00:00Z") < T(e["at"]) <= T("2025-04-30T00:00:00Z") for e in evs)
    assert corpus.events_between(T("2025-04-30T00:00:00Z"), T("2025-04-30T00:00:00Z")) == []


def test_arxiv_versions(corpus: Corpus):
    q = deepseek_query(corpus)
    assert corpus.arxiv_entries(q, T("2024-12-27T00:00:00Z")) == [] or all(
        e.arxiv_id != "2412.19437" for e in corpus.arxiv_entries(q, T("2024-12-27T00:00:00Z"))
    )
    v1 = next(e for e in corpus.arxiv_entries(q, T("2025-01-01T00:00:00Z")) if e.arxiv_id == "2412.19437")
    assert v1.version == 1 and "2412.19437v1" in v1.xml and "2412.19437v2" not in v1.xml
    assert v1.updated == v1.published
    v2 = next(e for e in corpus.arxiv_entries(q, T("2025-03-01T00:00:00Z")) if e.arxiv_id == "2412.19437")
    assert v2.version == 2 and "2412.19437v2" in v2.xml
    # title changed between versions: v1 title before latest_updated
    zq = next(lab["arxiv_query"] for lab in corpus.labs() if lab["slug"] == "zhipu")
    glm = next(e for e in corpus.arxiv_entries(zq, T("2025-08-01T00:00:00Z")) if e.arxiv_id == "2507.01006")
    assert glm.version == 1 and glm.title.startswith("GLM-4.1V-Thinking:") and "GLM-4.5V" not in glm.title
    assert corpus.arxiv_entries('au:"Nobody"', T("2025-08-01T00:00:00Z")) == []


# ------------------------------------------------------------------ over HTTP
def test_http_qwen3_launch(hub):
    server, client = hub
    server.set_now(T("2025-04-28T20:00:00Z"))
    assert "Qwen/Qwen3-8B" not in ids(list_all(client, "Qwen"))
    server.advance(4 * 3600)
    assert server.clock.now() == T("2025-04-29T00:00:00Z")
    assert "Qwen/Qwen3-8B" in ids(list_all(client, "Qwen"))
    server.set_now(T("2025-04-27T00:00:00Z"))
    assert "Qwen/Qwen3-235B-A22B" not in ids(list_all(client, "Qwen", full="true"))
    assert client.get("/api/models", params={"author": "unsloth-fan"}).json() == []
    assert {it["author"] for it in client.get("/api/models").json()} > {"Qwen"}, "no author: the global listing"


def test_http_rename_and_deletion(hub):
    server, client = hub
    server.set_now(T("2025-07-01T00:00:00Z"))
    thudm = list_all(client, "THUDM")
    assert "THUDM/GLM-4-32B-0414" in ids(thudm)
    assert client.get("/api/models/THUDM/GLM-4-32B-0414").json()["id"] == "THUDM/GLM-4-32B-0414"
    server.set_now(T("2025-08-01T00:00:00Z"))
    assert list_all(client, "THUDM") == []
    zai = list_all(client, "zai-org")
    assert {i["_id"] for i in thudm} <= {i["_id"] for i in zai}
    redirect = client.get("/api/models/THUDM/GLM-4-32B-0414")
    assert redirect.status_code == 307
    assert redirect.headers["location"].endswith("/api/models/zai-org/GLM-4-32B-0414")
    followed = client.get("/api/models/THUDM/GLM-4-32B-0414", follow_redirects=True)
    assert followed.json()["id"] == "zai-org/GLM-4-32B-0414"

    server.set_now(T("2024-04-15T23:00:00Z"))
    assert "microsoft/WizardLM-2-7B" in ids(list_all(client, "microsoft"))
    assert client.get("/api/models/microsoft/WizardLM-2-7B").status_code == 200
    server.set_now(T("2024-04-16T06:02:00Z"))
    assert "microsoft/WizardLM-2-7B" not in ids(list_all(client, "microsoft"))
    gone = client.get("/api/models/microsoft/WizardLM-2-7B")
    assert gone.status_code == 404 and gone.json() == {"error": "Repository not found"}


def test_http_pagination(hub):
    server, client = hub
    server.set_now(T("2025-12-01T00:00:00Z"))
    expected = ids(client.get("/api/models", params={"author": "Qwen"}).json())
    assert len(expected) == 94
    pages = []
    resp = client.get("/api/models", params={"author": "Qwen", "limit": 10, "full": "true"})
    while True:
        assert resp.status_code == 200
        pages.append(ids(resp.json()))
        if "next" not in resp.links:
            assert "link" not in resp.headers
            break
        nxt = resp.links["next"]["url"]
        assert nxt.startswith(server.url + "/api/models?")
        assert "author=Qwen" in nxt and "limit=10" in nxt and "full=true" in nxt and "cursor=" in nxt
        resp = client.get(nxt)
    assert [len(p) for p in pages] == [10] * 9 + [4]
    flat = [i for p in pages for i in p]
    assert flat == expected and len(set(flat)) == 94
    assert server.stats()["requests"]["/api/models?author=Qwen"] == 11
    bad = client.get("/api/models", params={"author": "Qwen", "cursor": "!!!"})
    assert bad.status_code == 400


def test_http_sort_and_direction(hub):
    server, client = hub
    server.set_now(T("2025-12-01T00:00:00Z"))
    items = client.get("/api/models", params={"author": "deepseek-ai", "sort": "downloads", "direction": "-1"}).json()
    dl = [i["downloads"] for i in items]
    assert dl == sorted(dl, reverse=True)
    asc = client.get("/api/models", params={"author": "deepseek-ai", "sort": "createdAt", "direction": "1"}).json()
    created = [i["createdAt"] for i in asc]
    assert created == sorted(created)


def test_http_arxiv_feed(hub, corpus: Corpus):
    server, client = hub
    q = deepseek_query(corpus)
    params = {"search_query": q, "sortBy": "submittedDate", "sortOrder": "descending", "start": 0, "max_results": 100}
    server.set_now(T("2025-01-01T00:00:00Z"))
    resp = client.get(server.arxiv_endpoint, params=params)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(resp.text)
    assert not feed.bozo
    entry = next(e for e in feed.entries if "2412.19437" in e.id)
    assert entry.id == "http://arxiv.org/abs/2412.19437v1"
    assert entry.updated == entry.published
    assert all("v1" in link.href for link in entry.links)
    total_then = int(feed.feed.opensearch_totalresults)
    assert total_then == len(feed.entries) == len(corpus.arxiv_entries(q, T("2025-01-01T00:00:00Z")))

    server.set_now(T("2025-10-15T00:00:00Z"))
    feed = feedparser.parse(client.get(server.arxiv_endpoint, params=params).text)
    entry = next(e for e in feed.entries if "2412.19437" in e.id)
    assert entry.id == "http://arxiv.org/abs/2412.19437v2"
    assert int(feed.feed.opensearch_totalresults) == 8 == len(feed.entries)
    published = [e.published for e in feed.entries]
    assert published == sorted(published, reverse=True)

    page = feedparser.parse(client.get(server.arxiv_endpoint, params={**params, "start": 2, "max_results": 3}).text)
    assert len(page.entries) == 3
    assert int(page.feed.opensearch_totalresults) == 8
    assert int(page.feed.opensearch_startindex) == 2
    assert [e.id for e in page.entries] == [e.id for e in feed.entries[2:5]]

    empty = client.get(server.arxiv_endpoint, params={**params, "search_query": 'au:"Nobody Here"'})
    assert empty.status_code == 200
    efeed = feedparser.parse(empty.text)
    assert not efeed.bozo and efeed.entries == [] and int(efeed.feed.opensearch_totalresults) == 0
    assert server.stats()["paths"]["/api/query"] == 4


def test_http_faults_and_stats(hub):
    server, client = hub
    server.set_now(T("2025-12-01T00:00:00Z"))
    server.add_fault(
        path="/api/models", match={"author": "Qwen"}, status=503, headers={"Retry-After": "1"}, body="busy", times=1
    )
    assert client.get("/api/models", params={"author": "deepseek-ai"}).status_code == 200
    first = client.get("/api/models", params={"author": "Qwen"})
    assert first.status_code == 503 and first.text == "busy" and first.headers["retry-after"] == "1"
    assert client.get("/api/models", params={"author": "Qwen"}).status_code == 200
    stats = server.stats()
    assert stats["requests"]["/api/models?author=Qwen"] == 2
    assert stats["requests"]["/api/models?author=deepseek-ai"] == 1
    assert stats["faults_served"] == 1 and stats["total"] == 3

    # the same through the control endpoints
    r = client.post("/_replay/faults", json=[{"path": "/api/query", "status": 429, "times": 2}])
    assert r.status_code == 200
    assert client.get("/api/query", params={"search_query": "x"}).status_code == 429
    assert client.get("/api/query", params={"search_query": "x"}).status_code == 429
    assert client.get("/api/query", params={"search_query": "x"}).status_code == 200
    client.post("/_replay/faults", json=[{"path": "/api/models/*", "status": 500, "times": None}])
    assert client.get("/api/models/Qwen/Qwen3-8B").status_code == 500
    assert client.get("/api/models/Qwen/Qwen3-8B").status_code == 500
    assert client.delete("/_replay/faults").status_code == 200
    assert client.get("/api/models/Qwen/Qwen3-8B").status_code == 200
    assert client.get("/_replay/stats").json()["paths"]["/api/query"] == 3


def test_http_clock_endpoints(hub):
    server, client = hub
    r = client.post("/_replay/clock", json={"now": "2025-04-28T00:00:00Z"})
    assert r.json() == {"now": "2025-04-28T00:00:00Z"}
    r = client.post("/_replay/clock", json={"advance_s": 3600})
    assert r.json() == {"now": "2025-04-28T01:00:00Z"}
    assert client.get("/_replay/clock").json() == {"now": "2025-04-28T01:00:00Z"}
    assert server.clock.now() == T("2025-04-28T01:00:00Z")
    assert client.post("/_replay/clock", json={"bogus": 1}).status_code == 400
    assert server.stats()["total"] == 0  # control calls are not counted


def test_synthetic_orgs(hub):
    _server, client = hub
    items = client.get("/api/models", params={"author": "synth-0004"}).json()
    assert len(items) >= 2 and all(i["author"] == "synth-0004" for i in items)
    again = client.get("/api/models", params={"author": "synth-0004"}).json()
    assert items == again
    assert client.get("/api/models", params={"author": "synth-0005"}).json() == []
    assert client.get(f"/api/models/{items[0]['id']}").json()["_id"] == items[0]["_id"]


def test_latency(corpus: Corpus):
    with ReplayServer(T("2025-04-29T00:00:00Z"), corpus=corpus, latency_s=0.2) as srv:
        with httpx.Client(base_url=srv.url) as client:
            started = time.perf_counter()
            assert client.get("/api/models", params={"author": "Qwen"}).status_code == 200
            assert time.perf_counter() - started >= 0.2
            started = time.perf_counter()
            client.get("/_replay/clock")
            assert time.perf_counter() - started < 0.2


def test_server_endpoints_and_restart(corpus: Corpus):
    srv = ReplayServer(T("2025-04-29T00:00:00Z"), corpus=corpus)
    with srv:
        assert srv.hf_endpoint == srv.url and srv.arxiv_endpoint == srv.url + "/api/query"
        assert srv.url.startswith("http://127.0.0.1:")
        assert httpx.get(srv.url + "/_replay/clock").json()["now"] == "2025-04-29T00:00:00Z"
        url = srv.url
    with pytest.raises(httpx.HTTPError):
        httpx.get(url + "/_replay/clock", timeout=1)
