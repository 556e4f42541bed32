"""Tests for :mod:`tracker.grouping.lineage`: parameter sources, base-model resolution, release flags.

Storage tests take the ``store`` fixture (SQLite and PostgreSQL); names are real corpus names.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import observation
from tracker.grouping import lineage
from tracker.config import Settings
from tracker.domain import SourceKind, SourceResult
from tracker.grouping.families import classify
from tracker.http import make_client
from tracker.store import Store
from tracker.store.models import Artifact, ArtifactLink, Event, Lab, Release, SourceState
from tracker.watchlist import load_watchlist

T0 = datetime(2025, 7, 1, tzinfo=UTC)


# ------------------------------------------------------------------------------ parameters


def test_params_from_prefers_the_name() -> None:
    facts = classify("Qwen3-235B-A22B")
    assert lineage.params_from(facts, {"safetensors_total": 1}) == (235.0, "name")


def test_params_from_safetensors_when_the_name_has_no_size() -> None:
    facts = classify("DeepSeek-V3.1-Terminus")
    assert lineage.params_from(facts, {"safetensors_total": 684_531_386_000}) == (684.531, "safetensors")


@pytest.mark.parametrize("attrs", [{}, {"safetensors_total": None}, {"safetensors_total": True},
                                   {"safetensors_total": 0}, {"safetensors_total": "684531386000"}])
def test_params_from_unknown(attrs: dict) -> None:
    assert lineage.params_from(classify("GLM-4.5"), attrs) == (None, None)


# ------------------------------------------------------------------------------ helpers


def _lab(session: Session, slug: str = "zhipu") -> Lab:
    lab = Lab(slug=slug, name=slug, country="CN")
    session.add(lab)
    session.flush()
    return lab


def _release(session: Session, lab: Lab, family: str, at: datetime) -> Release:
    release = Release(lab_id=lab.id, family=family.lower(), title=family, kind="model", url="u",
                      released_at=at, first_seen_at=at)
    session.add(release)
    session.flush()
    return release


def _artifact(session: Session, release: Release, name: str, bases: list[str] = ()) -> Artifact:
    artifact = Artifact(source="hf", external_id=f"id-{name}", kind="model", lab_id=release.lab_id,
                        release_id=release.id, name=name, org=name.split("/")[0], url="u",
                        first_seen_at=release.released_at,
                        attrs={"base_models": [{"relation": "finetune", "repo_id": b} for b in bases]})
    session.add(artifact)
    session.flush()
    return artifact


# ------------------------------------------------------------------------------ resolution


def test_base_resolves_through_a_recorded_rename(store: Store) -> None:
    with store.transaction() as session:
        lab = _lab(session)
        old = _release(session, lab, "GLM-4.1V", T0)
        base = _artifact(session, old, "zai-org/GLM-4.1V-9B-Base")
        session.add(Event(type="artifact_renamed", artifact_id=base.id, created_at=T0,
                          payload={"old_name": "THUDM/GLM-4.1V-9B-Base", "name": base.name}))
        new = _release(session, lab, "GLM-4.5V", T0 + timedelta(days=40))
        child = _artifact(session, new, "zai-org/GLM-4.5V-Demo", ["THUDM/GLM-4.1V-9B-Base"])
        # lab orgs without THUDM: only the rename event can resolve it
        lineage.link_artifacts(session, [child], lab_orgs=["zai-org"])
        link = session.scalars(select(ArtifactLink).where(ArtifactLink.artifact_id == child.id)).one()
        assert link.base_artifact_id == base.id


def test_base_resolves_under_a_sibling_org_of_the_lab(store: Store) -> None:
    with store.transaction() as session:
        lab = _lab(session)
        rel = _release(session, lab, "GLM-4.1V", T0)
        base = _artifact(session, rel, "zai-org/GLM-4.1V-9B-Base")
        child = _artifact(session, rel, "zai-org/GLM-4.1V-9B-Thinking", ["THUDM/GLM-4.1V-9B-Base"])
        lineage.link_artifacts(session, [child], lab_orgs=["zai-org", "THUDM"])
        assert session.scalars(select(ArtifactLink.base_artifact_id)).one() == base.id


def test_pending_link_resolves_when_the_base_arrives(store: Store) -> None:
    with store.transaction() as session:
        lab = _lab(session, "qwen")
        rel = _release(session, lab, "Qwen3", T0)
        child = _artifact(session, rel, "Qwen/Qwen3-8B", ["Qwen/Qwen3-8B-Base"])
        lineage.link_artifacts(session, [child], lab_orgs=["Qwen"])
        assert session.scalars(select(ArtifactLink.base_artifact_id)).one() is None
        base = _artifact(session, rel, "Qwen/Qwen3-8B-Base")
        assert lineage.resolve_pending(session, [base], lab_orgs=["Qwen"]) == {rel.id}
        assert session.scalars(select(ArtifactLink.base_artifact_id)).one() == base.id


# ------------------------------------------------------------------------------ release flags


def test_flags_new_base_when_bases_stay_inside_the_launch(store: Store) -> None:
    with store.transaction() as session:
        lab = _lab(session, "qwen")
        rel = _release(session, lab, "Qwen3", T0)
        base = _artifact(session, rel, "Qwen/Qwen3-8B-Base")
        chat = _artifact(session, rel, "Qwen/Qwen3-8B", ["Qwen/Qwen3-8B-Base"])
        lineage.link_artifacts(session, [base, chat], lab_orgs=["Qwen"])
        session.refresh(rel)
        assert lineage.release_lineage(session, rel) == (False, True)


def test_flags_derivative_of_an_earlier_release_of_the_same_lab(store: Store) -> None:
    with store.transaction() as session:
        lab = _lab(session, "qwen")
        first = _release(session, lab, "Qwen3", T0)
        base = _artifact(session, first, "Qwen/Qwen3-8B-Base")
        later = _release(session, lab, "Qwen3-Embedding", T0 + timedelta(days=38))
        emb = _artifact(session, later, "Qwen/Qwen3-Embedding-8B", ["Qwen/Qwen3-8B-Base"])
        quant = _artifact(session, later, "Qwen/Qwen3-Embedding-8B-FP8", ["Qwen/Qwen3-Embedding-8B"])
        lineage.link_artifacts(session, [emb, quant], lab_orgs=["Qwen"])
        session.refresh(later)
        assert lineage.release_lineage(session, later) == (True, False)
        assert base.id in session.scalars(select(ArtifactLink.base_artifact_id)).all()


def test_flags_other_labs_base_is_neither(store: Store) -> None:
    with store.transaction() as session:
        qwen, deepseek = _lab(session, "qwen"), _lab(session, "deepseek")
        qrel = _release(session, qwen, "Qwen2.5", T0)
        _artifact(session, qrel, "Qwen/Qwen2.5-14B")
        rel = _release(session, deepseek, "DeepSeek-R1-Distill", T0 + timedelta(days=1))
        distill = _artifact(session, rel, "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B", ["Qwen/Qwen2.5-14B"])
        lineage.link_artifacts(session, [distill], lab_orgs=["deepseek-ai"])
        session.refresh(rel)
        assert lineage.release_lineage(session, rel) == (False, False)


def test_flags_unresolved_outside_base_is_not_new_base(store: Store) -> None:
    with store.transaction() as session:
        lab = _lab(session, "qwen")
        rel = _release(session, lab, "WorldPM", T0)
        pm = _artifact(session, rel, "Qwen/WorldPM-72B", ["Qwen/Qwen2.5-72B"])
        lineage.link_artifacts(session, [pm], lab_orgs=["Qwen"])
        session.refresh(rel)
        assert lineage.release_lineage(session, rel) == (False, False)


# ------------------------------------------------------------------------------ fetch stage


def test_model_info_only_for_new_unsized_repos_and_failures_do_not_fail_the_poll(
        store: Store, backend_settings: Settings) -> None:
    lab = load_watchlist().lab("zhipu")
    with store.transaction() as session:
        session.add(SourceState(source="hf", lab_slug="zhipu", consecutive_failures=0,
                                cursor={"baselined_scopes": ["hf:zai-org", "hf:thudm"]}))
        known = _artifact(session, _release(session, _lab(session), "GLM-4.5", T0), "zai-org/GLM-4.5")
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path.endswith("/GLM-4.6"):
            return httpx.Response(200, json={"safetensors": {"total": 356_785_898_240}})
        return httpx.Response(404, json={"error": "Repository not found"})

    result = SourceResult(source=SourceKind.HF, lab="zhipu", observations=[
        observation("zai-org/GLM-4.5", known.external_id),  # known: no request
        observation("zai-org/GLM-4.6", "a1"),  # new, unsized: one request
        observation("zai-org/GLM-4.6-Gone", "a2"),  # new, unsized, 404: logged, left unsized
        observation("zai-org/GLM-4.5V-9B", "a3"),  # sized by name: no request
    ], complete_scopes={"hf:zai-org"}, requests=1)
    settings = backend_settings.model_copy(update={"hf_endpoint": "http://hub.test"})

    async def run() -> SourceResult:
        async with make_client(settings, transport=httpx.MockTransport(handler)) as client:
            return await lineage.add_model_info_params(client, settings, store, lab, result)

    out = asyncio.run(run())
    assert sorted(seen) == ["/api/models/zai-org/GLM-4.6", "/api/models/zai-org/GLM-4.6-Gone"]
    by_name = {o.name: dict(o.attrs) for o in out.observations}
    assert by_name["zai-org/GLM-4.6"]["safetensors_total"] == 356_785_898_240
    assert "safetensors_total" not in by_name["zai-org/GLM-4.6-Gone"]
    assert out.requests >= 3
    assert json.dumps(by_name)  # attrs stay JSON-serialisable


def test_model_info_lookup_waits_for_the_request_bound_only_when_it_sends(store: Store, backend_settings: Settings) -> None:
    """A listing with nothing to look up never waits for the cycle's request bound (it used to
    queue behind every pending fetch before it could be stored); one with a lookup does."""
    lab = load_watchlist().lab("zhipu")
    with store.transaction() as session:
        session.add(SourceState(source="hf", lab_slug="zhipu", consecutive_failures=0,
                                cursor={"baselined_scopes": ["hf:zai-org", "hf:thudm"]}))
        _lab(session)
    settings = backend_settings.model_copy(update={"hf_endpoint": "http://hub.test"})
    sized = SourceResult(source=SourceKind.HF, lab="zhipu", observations=[observation("zai-org/GLM-4.5V-9B", "s1")],
                         complete_scopes={"hf:zai-org"}, requests=1)
    unsized = SourceResult(source=SourceKind.HF, lab="zhipu", observations=[observation("zai-org/GLM-5", "u1")],
                           complete_scopes={"hf:zai-org"}, requests=1)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"safetensors": {"total": 9_000_000_000}})

    async def run() -> tuple[bool, bool]:
        full = asyncio.Semaphore(1)
        await full.acquire()  # every request slot is taken by queued fetches
        async with make_client(settings, transport=httpx.MockTransport(handler)) as client:
            done = asyncio.create_task(lineage.add_model_info_params(client, settings, store, lab, sized, limit=full))
            waiting = asyncio.create_task(lineage.add_model_info_params(client, settings, store, lab, unsized,
                                                                        limit=full))
            await asyncio.sleep(0.2)
            finished = (done.done(), waiting.done())
            full.release()
            await asyncio.gather(done, waiting)
            return finished

    assert asyncio.run(run()) == (True, False)
