"""More sources end to end on the replay hub: ModelScope + Hub launch, GitHub and blog links, daily
papers, the SSRF guard through a poll, and conditional requests in steady state.

The replay hub (tracker.replay.extra_sources) serves ModelScope, GitHub and a lab blog on
127.0.0.1, so these tests allow private feeds explicitly (``allow_private_feeds=True``) except
the one that checks the default refusal. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tracker.config import Settings
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.sources import feeds as feeds_source
from tracker.sources import github as github_source
from tracker.store import Store
from tracker.store import queries as q
from tracker.store.models import Artifact, Event, Release
from tracker.store.serialize import release_to_dict
from tracker.watchlist import LabConfig, Watchlist, load_watchlist


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _settings(base: Settings, hub: ReplayServer, **extra: object) -> Settings:
    return base.model_copy(
        update={
            "hf_endpoint": hub.url,
            "arxiv_endpoint": hub.arxiv_endpoint,
            "modelscope_endpoint": hub.url,
            "github_api_url": hub.url + "/github-api",
            "github_url": hub.url + "/github",
            "allow_private_feeds": True,
            **extra,
        }
    )


def _qwen(hub: ReplayServer, **extra: object) -> Watchlist:
    base = load_watchlist().lab("qwen")
    lab = LabConfig(
        slug="qwen",
        name=base.name,
        country="CN",
        hf_orgs=("Qwen",),
        modelscope_orgs=("Qwen",),
        github=("QwenLM/Qwen3",),
        feeds=(hub.url + "/blog/qwen/index.xml",),
        arxiv_queries=base.arxiv_queries,
        **extra,
    )  # type: ignore[arg-type]
    return Watchlist(labs=(lab,), source="test")


def _release_of(store: Store, name: str, source: str) -> dict:
    with store.transaction() as session:
        artifact = session.scalars(select(Artifact).where(Artifact.name == name, Artifact.source == source)).one()
        release = session.get(Release, artifact.release_id)
        return release_to_dict(release)


def test_launch_on_both_hubs_is_one_release_first_seen_on_modelscope(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 4, 27)) as hub:
        settings, watchlist = _settings(backend_settings, hub), _qwen(hub)
        first = poll_once(settings, store, watchlist, sources=["hf", "modelscope"], clock=hub.clock.now)
        assert all(r.status == "ok" and r.baseline for r in first), [(r.source, r.error, r.failures) for r in first]

        hub.set_now(_utc(2025, 4, 28, 20, 35))  # Qwen3-8B is on ModelScope (20:29), not yet on the Hub (20:40+)
        early = {
            r.source: r
            for r in poll_once(settings, store, watchlist, sources=["hf", "modelscope"], clock=hub.clock.now)
        }
        assert [d.artifact for d in early["modelscope"].detections] == ["Qwen/Qwen3-8B"]
        assert early["hf"].detections == []

        hub.set_now(_utc(2025, 4, 29))
        later = poll_once(settings, store, watchlist, sources=["hf", "modelscope"], clock=hub.clock.now)
        assert {d.event.value for r in later for d in r.detections} == {"variant_added"}

    release = _release_of(store, "Qwen/Qwen3-8B", "hf")
    assert release == _release_of(store, "Qwen/Qwen3-8B", "modelscope"), "one launch on two hubs is ONE release"
    assert release["title"] == "Qwen3"
    sources = {a["source"] for a in release["artifacts"]}
    assert sources == {"hf", "modelscope"}
    twins = {a["source"]: a for a in release["artifacts"] if a["name"] == "Qwen/Qwen3-8B"}
    assert twins["modelscope"]["first_seen_at"] == "2025-04-28T20:35:00Z"
    assert twins["hf"]["first_seen_at"] == "2025-04-29T00:00:00Z"
    first_hub = min(release["artifacts"], key=lambda a: a["first_seen_at"])["source"]
    assert first_hub == "modelscope"
    with store.transaction() as session:
        assert session.scalar(select(func.count(Release.id)).where(Release.title == "Qwen3")) == 1
        detected = session.scalars(select(Event).where(Event.type == "release_detected")).all()
        assert [e.payload["artifact"]["source"] for e in detected] == ["modelscope"]


def test_github_release_and_blog_post_join_the_family_in_history(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 4, 27)) as hub:
        settings, watchlist = _settings(backend_settings, hub), _qwen(hub)
        # Model sources first: links are made when a code/post artifact is stored (see README).
        first = poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        first += poll_once(settings, store, watchlist, sources=["github", "feeds"], clock=hub.clock.now)
        assert all(r.status == "ok" for r in first), [(r.source, r.error, r.failures) for r in first]

        hub.set_now(_utc(2025, 4, 29))  # weights first, then the GitHub release and the blog post
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        reports = {
            r.source: r for r in poll_once(settings, store, watchlist, sources=["github", "feeds"], clock=hub.clock.now)
        }
        assert [d.title for d in reports["github"].detections] == ["Qwen3"]
        assert [(d.title, d.artifact) for d in reports["feeds"].detections] == [
            ("Qwen3", "Qwen3: Think Deeper, Act Faster")
        ]

    with store.transaction() as session:
        history = [release_to_dict(r) for r in q.list_releases(session=session, flt=q.ReleaseFilter(lab="qwen"))]
    qwen3 = [r for r in history if r["title"] == "Qwen3"]
    assert len(qwen3) == 1 and qwen3[0]["kind"] == "model"
    by_source = {}
    for artifact in qwen3[0]["artifacts"]:
        by_source.setdefault(artifact["source"], []).append(artifact["name"])
    assert by_source["github"] == ["QwenLM/Qwen3 Qwen3"]
    assert by_source["feeds"] == ["Qwen3: Think Deeper, Act Faster"]
    # Baseline history links too: the QwQ-32B post joined the QwQ model release.
    qwq_post = next(r for r in history if any(a["name"].startswith("QwQ-32B: Embracing") for a in r["artifacts"]))
    assert qwq_post["kind"] == "model" and qwq_post["title"] == "QwQ"


def test_feed_on_loopback_is_refused_by_default_through_poll(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 4, 29)) as hub:
        settings = _settings(backend_settings, hub, allow_private_feeds=False)
        lab = LabConfig(
            slug="qwen", name="Qwen", country="CN", feeds=(hub.url + "/blog/qwen/index.xml", "http://10.1.2.3/feed.xml")
        )
        hub.reset_stats()
        [report] = poll_once(
            settings, store, Watchlist(labs=(lab,), source="test"), sources=["feeds"], clock=hub.clock.now
        )
        assert hub.stats()["total"] == 0, "nothing may be sent to a private address"
    assert report.status == "failed" and report.new_artifacts == 0
    errors = {f.scope.split(":", 1)[1]: f.error for f in report.failures}
    assert "127.0.0.1 (loopback address)" in errors[hub.url + "/blog/qwen/index.xml"]
    assert "10.1.2.3 (private address)" in errors["http://10.1.2.3/feed.xml"]
    assert all("TRACKER_ALLOW_PRIVATE_FEEDS" in e for e in errors.values())


def test_steady_state_is_304s_with_no_parsing(
    store: Store, backend_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ReplayServer(now=_utc(2025, 5, 1)) as hub:
        settings = _settings(backend_settings, hub)
        lab = LabConfig(
            slug="qwen",
            name="Qwen",
            country="CN",
            hf_orgs=("Qwen",),
            github=("QwenLM/Qwen3", "QwenLM"),
            feeds=(hub.url + "/blog/qwen/index.xml",),
        )
        watchlist = Watchlist(labs=(lab,), source="test")
        units = ["github", "feeds", "daily_papers"]
        first = poll_once(settings, store, watchlist, sources=units, clock=hub.clock.now)
        assert all(r.status == "ok" and r.not_modified == 0 for r in first), [(r.source, r.failures) for r in first]

        def no_parse(*args, **kwargs):
            raise AssertionError("an unchanged feed must not be parsed")

        for module, name in (
            (feeds_source, "parse_feed"),
            (github_source, "parse_feed"),
            (github_source, "parse_repos"),
        ):
            monkeypatch.setattr(module, name, no_parse)
        monkeypatch.setattr("tracker.sources.daily_papers.parse_daily_papers", no_parse)
        hub.advance(300)
        second = {r.source: r for r in poll_once(settings, store, watchlist, sources=units, clock=hub.clock.now)}
    assert {s: (r.status, r.requests, r.not_modified) for s, r in second.items()} == {
        "github": ("ok", 3, 3),
        "feeds": ("ok", 1, 1),
        "daily_papers": ("ok", 1, 1),
    }
    assert all(r.new_artifacts == 0 and r.detections == [] for r in second.values())
    with store.transaction() as session:
        states = {s.source: s for s in q.list_source_states(session=session)}
    assert states["feeds"].last_success_at == _utc(2025, 5, 1, 0, 5)
    assert states["feeds"].cursor["validators"], "ETags are kept in the unit's cursor"


def test_daily_papers_deduplicate_with_arxiv_by_id(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 5, 1)) as hub:
        settings, watchlist = _settings(backend_settings, hub), _qwen(hub)
        poll_once(settings, store, watchlist, sources=["arxiv", "daily_papers"], clock=hub.clock.now)
        hub.set_now(_utc(2025, 5, 20))
        reports = poll_once(settings, store, watchlist, sources=["daily_papers", "arxiv"], clock=hub.clock.now)
        assert all(r.status == "ok" for r in reports), [(r.source, r.error, r.failures) for r in reports]
    with store.transaction() as session:
        papers = session.scalars(select(Artifact).where(Artifact.external_id == "2505.09388")).all()
        assert [(p.source, p.kind) for p in papers] == [("arxiv", "paper")]
        events = session.scalars(select(Event).where(Event.type == "release_detected")).all()
        assert [e.payload["artifact"]["external_id"] for e in events].count("2505.09388") == 1
        assert not session.scalars(select(Event).where(Event.type == "artifact_renamed")).all()
