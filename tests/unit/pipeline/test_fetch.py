"""Tests for the fetch stage's model-info requests (:func:`tracker.pipeline.fetch.add_model_info_params`).

Storage tests take the ``store`` fixture (SQLite and PostgreSQL); names are real corpus names.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
from sqlalchemy.orm import Session

from tracker.config import Settings
from tracker.domain import ArtifactKind, Observation, SourceKind, SourceResult
from tracker.http import make_client
from tracker.pipeline.fetch import add_model_info_params
from tracker.store import Store
from tracker.store.models import Artifact, Lab, Release, SourceState
from tracker.watchlist import load_watchlist

T0 = datetime(2025, 7, 1, tzinfo=UTC)


def _lab(session: Session, slug: str = "zhipu") -> Lab:
    lab = Lab(slug=slug, name=slug, country="CN")
    session.add(lab)
    session.flush()
    return lab


def _release(session: Session, lab: Lab, family: str, at: datetime) -> Release:
    release = Release(
        lab_id=lab.id, family=family.lower(), title=family, kind="model", url="u", released_at=at, first_seen_at=at
    )
    session.add(release)
    session.flush()
    return release


def _artifact(session: Session, release: Release, name: str) -> Artifact:
    artifact = Artifact(
        source="hf",
        external_id=f"id-{name}",
        kind="model",
        lab_id=release.lab_id,
        release_id=release.id,
        name=name,
        org=name.split("/")[0],
        url="u",
        first_seen_at=release.released_at,
        attrs={"base_models": []},
    )
    session.add(artifact)
    session.flush()
    return artifact


def _obs(name: str, external_id: str) -> Observation:
    return Observation(
        source=SourceKind.HF,
        external_id=external_id,
        name=name,
        org=name.split("/")[0],
        url=f"http://hub.test/{name}",
        kind=ArtifactKind.MODEL,
        attrs={"tags": []},
    )


def test_model_info_only_for_new_unsized_repos_and_failures_do_not_fail_the_poll(
    store: Store, backend_settings: Settings
) -> None:
    lab = load_watchlist().lab("zhipu")
    with store.transaction() as session:
        session.add(
            SourceState(
                source="hf",
                lab_slug="zhipu",
                consecutive_failures=0,
                cursor={"baselined_scopes": ["hf:zai-org", "hf:thudm"]},
            )
        )
        known = _artifact(session, _release(session, _lab(session), "GLM-4.5", T0), "zai-org/GLM-4.5")
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path.endswith("/GLM-4.6"):
            return httpx.Response(200, json={"safetensors": {"total": 356_785_898_240}})
        return httpx.Response(404, json={"error": "Repository not found"})

    result = SourceResult(
        source=SourceKind.HF,
        lab="zhipu",
        observations=[
            _obs("zai-org/GLM-4.5", known.external_id),  # known: no request
            _obs("zai-org/GLM-4.6", "a1"),  # new, unsized: one request
            _obs("zai-org/GLM-4.6-Gone", "a2"),  # new, unsized, 404: logged, left unsized
            _obs("zai-org/GLM-4.5V-9B", "a3"),  # sized by name: no request
        ],
        complete_scopes={"hf:zai-org"},
        requests=1,
    )
    settings = backend_settings.model_copy(update={"hf_endpoint": "http://hub.test"})

    async def run() -> SourceResult:
        async with make_client(settings, transport=httpx.MockTransport(handler)) as client:
            return await add_model_info_params(client, settings, store, lab, result)

    out = asyncio.run(run())
    assert sorted(seen) == ["/api/models/zai-org/GLM-4.6", "/api/models/zai-org/GLM-4.6-Gone"]
    by_name = {o.name: dict(o.attrs) for o in out.observations}
    assert by_name["zai-org/GLM-4.6"]["safetensors_total"] == 356_785_898_240
    assert "safetensors_total" not in by_name["zai-org/GLM-4.6-Gone"]
    assert out.requests >= 3
    assert json.dumps(by_name)  # attrs stay JSON-serialisable


def test_model_info_lookup_waits_for_the_request_bound_only_when_it_sends(
    store: Store, backend_settings: Settings
) -> None:
    """A listing with nothing to look up never waits for the cycle's request bound (it used to
    queue behind every pending fetch before it could be stored); one with a lookup does."""
    lab = load_watchlist().lab("zhipu")
    with store.transaction() as session:
        session.add(
            SourceState(
                source="hf",
                lab_slug="zhipu",
                consecutive_failures=0,
                cursor={"baselined_scopes": ["hf:zai-org", "hf:thudm"]},
            )
        )
        _lab(session)
    settings = backend_settings.model_copy(update={"hf_endpoint": "http://hub.test"})
    sized = SourceResult(
        source=SourceKind.HF,
        lab="zhipu",
        observations=[_obs("zai-org/GLM-4.5V-9B", "s1")],
        complete_scopes={"hf:zai-org"},
        requests=1,
    )
    unsized = SourceResult(
        source=SourceKind.HF,
        lab="zhipu",
        observations=[_obs("zai-org/GLM-5", "u1")],
        complete_scopes={"hf:zai-org"},
        requests=1,
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"safetensors": {"total": 9_000_000_000}})

    async def run() -> tuple[bool, bool]:
        full = asyncio.Semaphore(1)
        await full.acquire()  # every request slot is taken by queued fetches
        async with make_client(settings, transport=httpx.MockTransport(handler)) as client:
            done = asyncio.create_task(add_model_info_params(client, settings, store, lab, sized, limit=full))
            waiting = asyncio.create_task(add_model_info_params(client, settings, store, lab, unsized, limit=full))
            await asyncio.sleep(0.2)
            finished = (done.done(), waiting.done())
            full.release()
            await asyncio.gather(done, waiting)
            return finished

    assert asyncio.run(run()) == (True, False)
