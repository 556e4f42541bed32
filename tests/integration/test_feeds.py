"""Atom feeds over replayed history (feedparser: well-formed, stable ids, published = released_at)."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
from fastapi.testclient import TestClient

from tests.factories import packaged
from tracker.api import create_app
from tracker.config import Settings
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _replayed(store: Store, settings: Settings) -> Settings:
    watchlist = packaged("qwen", "mistral", "zhipu")
    with ReplayServer(now=_utc(2025, 7, 20)) as hub:
        polling = settings.model_copy(update={"hf_endpoint": hub.hf_endpoint, "arxiv_endpoint": hub.arxiv_endpoint})
        poll_once(polling, store, watchlist, clock=hub.clock.now)
        for day in (23, 26, 29):  # Qwen3-2507, Qwen3-Coder, Magistral-2507, GLM-4.5 go public
            hub.set_now(_utc(2025, 7, day))
            poll_once(polling, store, watchlist, clock=hub.clock.now)
    return settings


def test_feeds_are_valid_atom_with_stable_ids(store: Store, backend_settings: Settings) -> None:
    settings = _replayed(store, backend_settings)
    with TestClient(create_app(settings, store=store)) as client:
        response = client.get("/feeds/releases.atom", params={"limit": 30})
        assert "history recorded on first run" not in response.text
        assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
        feed = feedparser.parse(response.content)
        assert not feed.bozo, feed.get("bozo_exception")
        assert feed.version == "atom10"
        api = client.get("/releases", params={"limit": 30, "baseline": "false"}).json()["items"]
        assert len(feed.entries) == len(api) > 0  # live detections only: baseline history is not news
        for entry, release in zip(feed.entries, api, strict=True):  # same order: newest first
            assert entry.title == f"{release['lab_name']}: {release['title']}"
            released_at = _parse(release["released_at"])
            # updated moves on when a paper joins or the release is withdrawn, never before publication
            assert _parse(entry.published) == released_at <= _parse(entry.updated)
            assert entry.id.startswith("urn:uuid:")
            assert entry.link == release["url"]
        assert _parse(feed.feed.updated) == max(_parse(e.updated) for e in feed.entries)
        assert len({e.id for e in feed.entries}) == len(feed.entries)

        again = feedparser.parse(client.get("/feeds/releases.atom", params={"limit": 30}).content)
        assert [e.id for e in again.entries] == [e.id for e in feed.entries], "entry ids are stable"

        lab = feedparser.parse(client.get("/feeds/labs/qwen.atom").content)
        assert not lab.bozo and lab.entries
        assert {e.author for e in lab.entries} == {"Qwen (Alibaba Cloud)"}
        by_id = {e.id: e for e in feed.entries}
        shared = [e for e in lab.entries if e.id in by_id]
        assert shared, "a release has the same entry id in every feed"
        assert lab.feed.id != feed.feed.id

        filtered = feedparser.parse(client.get("/feeds/releases.atom", params={"country": "FR"}).content)
        assert not filtered.bozo and filtered.entries
        assert all(e.author == "Mistral AI" for e in filtered.entries)
        assert client.get("/feeds/releases.atom", params={"kind": "x"}).status_code == 422


def test_empty_feed_is_valid(store: Store, backend_settings: Settings) -> None:
    with TestClient(create_app(backend_settings, store=store)) as client:
        feed = feedparser.parse(client.get("/feeds/releases.atom").content)
        assert not feed.bozo and feed.entries == [] and _parse(feed.feed.updated) == _utc(2000, 1, 1)
