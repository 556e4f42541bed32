"""Release intelligence end to end on replayed real history (SQLite and PostgreSQL).

One launch is one release with parsed variants; later repos attach as variants; dated
revisions are new releases; parameters come from ``safetensors.total`` with exactly one extra
request per new unsized repo; ``base_model`` tags resolve through the THUDM -> zai-org rename;
papers link to releases by tag and by title, queryable from both sides; significance is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.factories import packaged
from tracker.config import Settings
from tracker.grouping.significance import FLAGSHIP_THRESHOLD
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store import queries as q
from tracker.store.models import Artifact, ArtifactLink, Release
from tracker.store.serialize import release_to_dict

QWEN3_LAUNCH = {  # every Qwen repo that became public on 2025-04-28 (timeline.jsonl)
    "Qwen/Qwen3-0.6B", "Qwen/Qwen3-0.6B-Base", "Qwen/Qwen3-0.6B-FP8",
    "Qwen/Qwen3-1.7B", "Qwen/Qwen3-1.7B-Base", "Qwen/Qwen3-1.7B-FP8",
    "Qwen/Qwen3-4B", "Qwen/Qwen3-4B-Base", "Qwen/Qwen3-4B-FP8",
    "Qwen/Qwen3-8B", "Qwen/Qwen3-8B-Base", "Qwen/Qwen3-8B-FP8",
    "Qwen/Qwen3-14B", "Qwen/Qwen3-14B-Base", "Qwen/Qwen3-14B-FP8",
    "Qwen/Qwen3-32B", "Qwen/Qwen3-32B-FP8",
    "Qwen/Qwen3-30B-A3B", "Qwen/Qwen3-30B-A3B-Base", "Qwen/Qwen3-30B-A3B-FP8",
    "Qwen/Qwen3-235B-A22B", "Qwen/Qwen3-235B-A22B-FP8",
}  # fmt: skip


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _settings(base: Settings, hub: ReplayServer) -> Settings:
    return base.model_copy(update={"hf_endpoint": hub.hf_endpoint, "arxiv_endpoint": hub.arxiv_endpoint})


def _model_info_requests(hub: ReplayServer) -> dict[str, int]:
    """Single-model requests (``/api/models/<org>/<name>``) the hub served since the last reset."""
    return {k: v for k, v in hub.stats()["requests"].items() if k.startswith("/api/models/")}


def _release(session, title: str) -> Release:  # type: ignore[no-untyped-def]
    return session.scalars(select(Release).where(Release.title == title)).one()


def _artifact(session, name: str) -> Artifact:  # type: ignore[no-untyped-def]
    return session.scalars(select(Artifact).where(Artifact.name == name)).one()


def test_qwen3_launch_variants_and_revision(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 4, 27)) as hub:
        settings = _settings(backend_settings, hub)
        watchlist = packaged("qwen")
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        assert _model_info_requests(hub) == {}, "baseline repos never cost a model-info request"

        hub.set_now(_utc(2025, 4, 29))
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        with store.transaction() as session:
            launch = _release(session, "Qwen3")
            assert {a.name for a in launch.artifacts} == QWEN3_LAUNCH, "one launch is one release"
            assert launch.baseline is False
            assert launch.new_base is True and launch.derivative is False
            assert launch.significance is not None and launch.significance >= FLAGSHIP_THRESHOLD
            big = _artifact(session, "Qwen/Qwen3-235B-A22B")
            assert (big.params_total_b, big.params_active_b, big.size_label) == (235.0, 22.0, "235B-A22B")
            assert big.quantization is None and big.attrs["params_source"] == "name"
            fp8 = _artifact(session, "Qwen/Qwen3-235B-A22B-FP8")
            assert (fp8.params_total_b, fp8.params_active_b, fp8.quantization) == (235.0, 22.0, "FP8")
            assert "quantized" in fp8.kinds
            assert "base" in _artifact(session, "Qwen/Qwen3-0.6B-Base").kinds
            assert _artifact(session, "Qwen/Qwen3-0.6B").params_total_b == 0.6
            # lineage inside the launch: resolved, and it does not make the launch a derivative
            instruct, base = _artifact(session, "Qwen/Qwen3-8B"), _artifact(session, "Qwen/Qwen3-8B-Base")
            link = session.scalars(select(ArtifactLink).where(ArtifactLink.artifact_id == instruct.id)).one()
            assert (link.relation, link.base_repo_id, link.base_artifact_id) == (
                "finetune",
                "Qwen/Qwen3-8B-Base",
                base.id,
            )
            launch_id, launch_significance = launch.id, launch.significance
            data = release_to_dict(launch)
            assert data["new_base"] is True and data["significance"] == launch_significance
            assert data["derivative"] is False and data["adoption_count"] is None

        hub.set_now(_utc(2025, 5, 3))  # Qwen3-8B/14B/32B-AWQ became public on 2025-05-02
        reports = poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        events = {d.artifact: d.event.value for r in reports for d in r.detections}
        awq_events = [events[f"Qwen/Qwen3-{s}-AWQ"] for s in ("8B", "14B", "32B")]
        assert sorted(awq_events) == ["release_detected", "variant_added", "variant_added"], "a wave, one alert"
        with store.transaction() as session:
            awq = _artifact(session, "Qwen/Qwen3-8B-AWQ")
            wave = awq.release
            assert wave.id != launch_id and wave.family_release_id == launch_id
            assert wave.title == "Qwen3" and wave.attrs["wave"]["family_title"] == "Qwen3"
            assert {a.name for a in wave.artifacts} == {f"Qwen/Qwen3-{s}-AWQ" for s in ("8B", "14B", "32B")}
            assert set(wave.attrs["wave"]["new_sizes"].split(", ")) == {"8B", "14B", "32B"}
            assert wave.attrs["size_summary"] == "8B\u201332B"
            assert wave.attrs["grouped_by"][0]["signals"] == ["first repo"]
            assert any(s.startswith("family qwen3") for s in wave.attrs["grouped_by"][1]["signals"])
            assert (awq.quantization, awq.params_total_b) == ("AWQ", 8.0)
            assert session.get(Release, launch_id).significance == launch_significance  # untouched
            assert session.get(Release, launch_id).released_at_source == "first_seen"

        hub.set_now(_utc(2025, 7, 22, 14))  # Qwen3-235B-A22B-Instruct-2507 (+FP8) on 2025-07-21
        reports = poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        events = {d.artifact: d.event.value for r in reports for d in r.detections}
        assert events["Qwen/Qwen3-235B-A22B-Instruct-2507"] == "release_detected"
        with store.transaction() as session:
            revision = _release(session, "Qwen3-2507")
            assert revision.id != launch_id
            assert {a.name for a in revision.artifacts} == {
                "Qwen/Qwen3-235B-A22B-Instruct-2507",
                "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
            }
            assert revision.new_base is True
            assert FLAGSHIP_THRESHOLD <= revision.significance < launch_significance  # a revision
            # Qwen3-Embedding (2025-06-05) is built on Qwen3-*-Base: a derivative of the launch
            embedding = _artifact(session, "Qwen/Qwen3-Embedding-8B").release
            assert embedding.derivative is True and embedding.new_base is False
            assert embedding.significance < FLAGSHIP_THRESHOLD
        assert _model_info_requests(hub) == {}, "every Qwen3 name carries its size"


def test_unsized_repo_gets_params_from_safetensors_with_one_request(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 9, 21)) as hub:
        settings = _settings(backend_settings, hub)
        watchlist = packaged("deepseek")
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        assert _model_info_requests(hub) == {}, "DeepSeek-V3/R1 in the baseline cost nothing"

        hub.set_now(_utc(2025, 9, 23))  # DeepSeek-V3.1-Terminus became public on 2025-09-22
        hub.reset_stats()
        reports = poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        assert _model_info_requests(hub) == {"/api/models/deepseek-ai/DeepSeek-V3.1-Terminus": 1}
        listing_requests = hub.stats()["requests"]["/api/models?author=deepseek-ai"]
        assert sum(r.requests for r in reports) == listing_requests + 1
        with store.transaction() as session:
            terminus = _artifact(session, "deepseek-ai/DeepSeek-V3.1-Terminus")
            assert terminus.params_total_b == pytest.approx(684.531, abs=1e-3)
            assert terminus.attrs["params_source"] == "safetensors"
            release = terminus.release
            # built on DeepSeek-V3.1-Base, stored in the earlier DeepSeek-V3.1 release of the same lab
            assert release.derivative is True and release.new_base is False
            assert release.significance < FLAGSHIP_THRESHOLD

        for _ in range(2):  # steady state: no extra request, and the derived facts stay
            hub.reset_stats()
            poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
            assert _model_info_requests(hub) == {}
        with store.transaction() as session:
            terminus = _artifact(session, "deepseek-ai/DeepSeek-V3.1-Terminus")
            assert terminus.attrs["params_source"] == "safetensors"
            assert terminus.params_total_b == pytest.approx(684.531, abs=1e-3)


def test_qwen3_report_links_to_the_launch_both_ways(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 4, 27)) as hub:
        settings = _settings(backend_settings, hub)
        watchlist = packaged("qwen")
        poll_once(settings, store, watchlist, sources=["hf", "arxiv"], clock=hub.clock.now)
        hub.set_now(_utc(2025, 4, 29))
        poll_once(settings, store, watchlist, sources=["hf", "arxiv"], clock=hub.clock.now)
        # Next poll three weeks later: the GGUF/AWQ/GPTQ repos of 2025-05-02..08 are first seen past
        # the 14-day window, so they form their own release, a derivative of the launch; and the
        # Qwen3 Technical Report (2505.09388) appeared on 2025-05-14.
        hub.set_now(_utc(2025, 5, 20))
        poll_once(settings, store, watchlist, sources=["hf", "arxiv"], clock=hub.clock.now)
        with store.transaction() as session:
            launch = _artifact(session, "Qwen/Qwen3-235B-A22B").release
            later = _artifact(session, "Qwen/Qwen3-8B-AWQ").release
            assert later.id != launch.id and later.title == "Qwen3"
            assert later.derivative is True and later.new_base is False
            assert later.significance < FLAGSHIP_THRESHOLD <= launch.significance
            paper = session.scalars(select(Artifact).where(Artifact.external_id == "2505.09388")).one()
            linked = q.papers_for_release(session=session, release_id=launch.id)
            assert [(p.external_id, via) for p, via in linked] == [("2505.09388", "tag")]
            back = q.releases_for_paper(session=session, arxiv_id="2505.09388v2")
            assert sorted((r.id, via) for r, via in back) == [(launch.id, "tag"), (later.id, "title")]
            assert {r.id for r, _ in q.releases_for_paper(session=session, paper_id=paper.id)} == {launch.id, later.id}
            model_json = release_to_dict(launch)
            assert [(p["arxiv_id"], p["via"]) for p in model_json["papers"]] == [("2505.09388", "tag")]
            paper_json = release_to_dict(paper.release)
            assert paper_json["kind"] == "paper"
            assert {(m["id"], m["title"], m["via"]) for m in paper_json["models"]} == {
                (launch.id, "Qwen3", "tag"),
                (later.id, "Qwen3", "title"),
            }
            assert paper.release.significance == launch.significance, "a paper scores as its best model"


def test_paper_before_model_links_when_the_model_arrives(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 8, 1)) as hub:
        settings = _settings(backend_settings, hub)
        watchlist = packaged("qwen")
        poll_once(settings, store, watchlist, sources=["hf", "arxiv"], clock=hub.clock.now)
        hub.set_now(_utc(2025, 8, 4, 12, 30))  # Qwen-Image Technical Report at 11:49, the repo at 13:00
        poll_once(settings, store, watchlist, sources=["hf", "arxiv"], clock=hub.clock.now)
        with store.transaction() as session:
            assert session.scalars(select(Artifact).where(Artifact.external_id == "2508.02324")).one()
            assert session.scalars(select(Artifact).where(Artifact.name == "Qwen/Qwen-Image")).first() is None
        hub.set_now(_utc(2025, 8, 4, 14))
        poll_once(settings, store, watchlist, sources=["hf", "arxiv"], clock=hub.clock.now)
        with store.transaction() as session:
            image = _artifact(session, "Qwen/Qwen-Image").release
            assert [(p.external_id, via) for p, via in q.papers_for_release(session=session, release_id=image.id)] == [
                ("2508.02324", "tag")
            ]


def test_lab_paper_links_to_family_by_title(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 7, 20)) as hub:  # Kimi-K2 repos (2025-07-11) carry no arxiv tag
        settings = _settings(backend_settings, hub)
        watchlist = packaged("moonshot")
        poll_once(settings, store, watchlist, sources=["hf", "arxiv"], clock=hub.clock.now)
        hub.set_now(_utc(2025, 7, 29))  # "Kimi K2: Open Agentic Intelligence" (2507.20534) on 2025-07-28
        poll_once(settings, store, watchlist, sources=["hf", "arxiv"], clock=hub.clock.now)
        with store.transaction() as session:
            back = q.releases_for_paper(session=session, arxiv_id="2507.20534")
            assert [(r.title, via) for r, via in back] == [("Kimi-K2", "title")]


def test_glm_base_model_tags_resolve_across_the_thudm_rename(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 6, 30)) as hub:
        settings = _settings(backend_settings, hub)
        watchlist = packaged("zhipu")
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        hub.set_now(_utc(2025, 7, 2))  # THUDM/GLM-4.1V-9B-Base and -Thinking became public on 2025-07-01
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        hub.set_now(_utc(2025, 7, 29))  # after the THUDM -> zai-org rename (same _ids)
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        with store.transaction() as session:
            thinking = _artifact(session, "zai-org/GLM-4.1V-9B-Thinking")
            base = _artifact(session, "zai-org/GLM-4.1V-9B-Base")
            link = session.scalars(select(ArtifactLink).where(ArtifactLink.artifact_id == thinking.id)).one()
            assert (link.base_repo_id, link.base_artifact_id) == ("THUDM/GLM-4.1V-9B-Base", base.id)


def test_first_run_after_the_rename_resolves_thudm_tags(store: Store, backend_settings: Settings) -> None:
    with ReplayServer(now=_utc(2025, 7, 29)) as hub:  # tracker starts after the org move
        settings = _settings(backend_settings, hub)
        poll_once(settings, store, packaged("zhipu"), sources=["hf"], clock=hub.clock.now)
        with store.transaction() as session:
            thinking = _artifact(session, "zai-org/GLM-4.1V-9B-Thinking")
            base = _artifact(session, "zai-org/GLM-4.1V-9B-Base")
            link = session.scalars(select(ArtifactLink).where(ArtifactLink.artifact_id == thinking.id)).one()
            assert link.base_artifact_id == base.id
            assert thinking.release.new_base is True, "a base inside the launch is not an outside base"
