"""Feeds and dashboard as a newcomer meets them: feeds without baseline history unless asked, a
dashboard that pages ("older releases"), a page (not raw JSON) for a bad filter, and ``/docs``
served from local Swagger UI assets (no CDN)."""

from __future__ import annotations

import re
from datetime import timedelta

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import add_adoption_history, add_lab
from tests.integration.test_feeds import _replayed
from tracker.api import create_app, dashboard
from tracker.config import Settings
from tracker.domain import utcnow
from tracker.store import Store
from tracker.store.models import Release


def test_feeds_leave_baseline_out_unless_asked_and_dashboard_pages(
    store: Store, backend_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _replayed(store, backend_settings)
    monkeypatch.setattr(dashboard, "TIMELINE_LIMIT", 7)
    with TestClient(create_app(settings, store=store)) as client:
        live = client.get("/releases", params={"baseline": "false", "limit": 500}).json()["items"]
        history = client.get("/releases", params={"baseline": "true", "limit": 500}).json()["items"]
        assert live and history
        feed = feedparser.parse(client.get("/feeds/releases.atom", params={"limit": 200}).content)
        assert [e.link for e in feed.entries] == [r["url"] for r in live]
        asked = feedparser.parse(client.get("/feeds/releases.atom", params={"baseline": "true", "limit": 5}).content)
        assert [e.link for e in asked.entries] == [r["url"] for r in history[:5]]
        lab = feedparser.parse(client.get("/feeds/labs/qwen.atom").content)
        qwen_live = [r["url"] for r in live if r["lab"] == "qwen"]
        assert lab.entries and [e.link for e in lab.entries] == qwen_live

        # Pages of 7, newest first, every release once, filters kept across pages.
        seen: list[str] = []
        url = "/?lab=qwen"
        pages = 0
        while url:
            page = client.get(url)
            assert page.status_code == 200
            seen += re.findall(r'<tr class="release" data-id="(\d+)"', page.text)
            older = re.search(r'<a id="older" href="([^"]+)"', page.text)
            url = older[1].replace("&amp;", "&") if older else ""
            assert not older or "lab=qwen" in url
            pages += 1
        qwen = client.get("/releases", params={"lab": "qwen", "limit": 500}).json()["items"]
        assert pages == -(-len(qwen) // 7) and pages > 1
        assert seen == [str(r["id"]) for r in qwen], "every release once, in order"


def test_a_bad_dashboard_filter_is_a_page_and_the_api_keeps_json(store: Store, backend_settings: Settings) -> None:
    with TestClient(create_app(backend_settings, store=store)) as client:
        page = client.get("/", params={"kind": "<script>x</script>", "since": "yesterday"})
        api = client.get("/releases", params={"kind": "nope"})

    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "That filter does not work" in page.text
    assert "<script>x</script>" not in page.text and "&lt;script&gt;" in page.text
    assert '<a id="back" href="/">' in page.text
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["query", "kind"]


def test_docs_load_swagger_ui_from_local_assets(store: Store, backend_settings: Settings) -> None:
    with TestClient(create_app(backend_settings, store=store)) as client:
        docs = client.get("/docs")
        assets = re.findall(r'(?:src|href)="(/docs-assets/[^"]+)"', docs.text)
        fetched = {a: client.get(a) for a in assets}

    assert docs.status_code == 200
    assert "cdn.jsdelivr.net" not in docs.text and "unpkg.com" not in docs.text
    assert {"/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"} <= set(assets)
    assert all(r.status_code == 200 and r.content for r in fetched.values())
    assert len(fetched["/docs-assets/swagger-ui-bundle.js"].content) > 100_000


def test_a_release_page_shows_variants_papers_lineage_and_its_alerts(store: Store, backend_settings: Settings) -> None:
    settings = _replayed(store, backend_settings)
    with TestClient(create_app(settings, store=store)) as client:
        live = client.get("/releases", params={"baseline": "false", "lab": "qwen", "limit": 500}).json()["items"]
        release = max(live, key=lambda r: len(r["artifacts"]))
        page = client.get(f"/release/{release['id']}")
        dashboard_page = client.get("/", params={"lab": "qwen"})
        missing = client.get("/release/999999")

    assert page.status_code == 200
    assert f"{release['lab_name']}: {release['title']}" in page.text
    assert page.text.count('<tr class="variant">') == len(release["artifacts"])
    for artifact in release["artifacts"]:
        assert artifact["name"] in page.text
    assert 'id="papers"' in page.text and 'id="lineage"' in page.text
    assert "release_detected" in page.text  # the alert event the launch produced
    assert f'href="/release/{release["id"]}"' in dashboard_page.text
    assert missing.status_code == 404


def test_a_release_page_says_how_fast_it_was_adopted_only_when_a_ratio_exists(
    store: Store, backend_settings: Settings
) -> None:
    with store.transaction() as session:
        lab = add_lab(session)
        fresh = add_adoption_history(session, lab, released_at=utcnow() - timedelta(days=14, hours=1)).id
        first_peer = session.scalars(select(Release.id).where(Release.title == "Peer2-30B")).one()
    with TestClient(create_app(backend_settings, store=store)) as client:
        page = client.get(f"/release/{fresh}")
        peer = client.get(f"/release/{first_peer}")

    assert page.status_code == 200
    assert (
        '<p id="adoption">Adopted 3.2× faster than a typical 10–100B release (downloads at 14 days, '
        "against the median of 3 earlier 10–100B releases at the same age).</p>"
    ) in page.text
    assert peer.status_code == 200 and 'id="adoption"' not in peer.text  # no earlier peers: no number


def test_dashboard_lists_a_releases_sizes_smallest_first(store: Store, backend_settings: Settings) -> None:
    from tracker.sizes import parse_params

    settings = _replayed(store, backend_settings)
    with TestClient(create_app(settings, store=store)) as client:
        page = client.get("/", params={"lab": "qwen"}).text

    cells = [
        re.findall(r'<td class="muted">([^<]*)</td>', row)[-1]
        for row in re.findall(r'<tr class="release" data-id="\d+".*?</tr>', page, flags=re.DOTALL)
    ]
    lists = [[s for s in cell.split(", ") if s] for cell in cells]
    assert any(len(sizes) >= 3 for sizes in lists), cells
    for sizes in lists:
        totals = [parse_params(s)[0] for s in sizes]
        counted = [t for t in totals if t is not None]
        assert counted == sorted(counted), sizes  # by parameters, not as text ("14B" < "8B")


def test_an_unknown_or_malformed_release_page_is_a_page_and_the_api_keeps_json(
    store: Store, backend_settings: Settings
) -> None:
    with TestClient(create_app(backend_settings, store=store)) as client:
        missing = client.get("/release/999999")
        malformed = client.get("/release/<b>x")
        api_missing = client.get("/releases/999999")
        api_malformed = client.get("/releases/abc")

    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "<h1>No such release</h1>" in missing.text and "999999" in missing.text
    assert '<a id="back" href="/">' in missing.text
    assert malformed.status_code == 422 and malformed.headers["content-type"].startswith("text/html")
    assert "<h1>That is not a release id</h1>" in malformed.text
    assert "<b>x" not in malformed.text and "&lt;b&gt;x" in malformed.text
    assert api_missing.status_code == 404 and api_missing.json()["detail"]
    assert api_malformed.status_code == 422 and api_malformed.json()["detail"][0]["loc"][0] == "path"
