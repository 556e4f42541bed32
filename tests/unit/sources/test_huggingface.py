"""Tests for tracker.sources.huggingface: tolerant listing parse, pagination, per-org isolation."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.factories import lab_config, offline_settings
from tracker.domain import ArtifactKind, SourceKind
from tracker.errors import ParseError
from tracker.http import make_client
from tracker.sources import get_source
from tracker.sources import huggingface as hf
from tracker.watchlist import LabConfig

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "hf"
HUB = "http://hub.test"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def settings(tmp_path):
    return offline_settings(tmp_path, hf_endpoint=HUB, hf_page_limit=4)


def paged_hub(listings: dict[str, list], *, page_size: int, requests: list | None = None):
    """A Hub mock: ``/api/models?author=ORG`` sliced into pages linked by ``Link: rel="next"``."""

    def handler(request: httpx.Request) -> httpx.Response:
        if requests is not None:
            requests.append(request)
        assert request.url.path == "/api/models"
        org = request.url.params["author"]
        if org not in listings:
            return httpx.Response(404, json={"error": "not found"})
        assert request.url.params["full"] == "true"
        items = listings[org]
        offset = int(request.url.params.get("cursor", "0"))
        page = items[offset : offset + page_size]
        headers = {}
        if offset + page_size < len(items):
            nxt = request.url.copy_set_param("cursor", str(offset + page_size))
            headers["Link"] = f'<{nxt}>; rel="next"'
        return httpx.Response(200, json=page, headers=headers)

    return handler


def lab(*orgs: str) -> LabConfig:
    return lab_config(slug="demo", name="Demo", hf_orgs=orgs)


def poll(settings, handler, the_lab):
    async def main():
        async with make_client(settings, transport=httpx.MockTransport(handler)) as client:
            client.backoff_base_s = 0
            return await hf.poll(client, settings, the_lab)

    return asyncio.run(main())


# --- parsing -------------------------------------------------------------------------------------


def test_parse_listing_real_sample():
    models = hf.parse_listing(fixture("MiniMaxAI.json"), org="MiniMaxAI")
    assert len(models) == 6
    first = models[0]
    raw = json.loads(fixture("MiniMaxAI.json"))[0]
    assert first.object_id == raw["_id"]
    assert first.repo_id == raw["id"]
    assert first.author == "MiniMaxAI"
    assert first.created_at.tzinfo is not None and first.created_at.utcoffset().total_seconds() == 0
    assert first.created_at == datetime.fromisoformat(raw["createdAt"]).astimezone(UTC)
    assert first.tags == tuple(raw["tags"])
    assert first.gated is False
    assert isinstance(first.downloads, int)


def test_missing_fields_default_and_unknown_keys_are_ignored():
    minimal, extra, private, disabled = hf.parse_listing(fixture("minimal_and_extra.json"), org="demo-org")
    assert minimal.repo_id == "demo-org/Minimal"
    assert minimal.author == "demo-org"  # fallback: the part before '/'
    assert minimal.created_at is None and minimal.sha is None and minimal.tags == ()
    assert minimal.license is None and minimal.base_models == [] and minimal.arxiv_ids == []
    assert extra.gated == "manual"
    assert private.private is True
    assert disabled.disabled is True


def test_derived_properties_from_tags():
    model = hf.HubModel.from_api(
        {
            "_id": "x1",
            "id": "unsloth/Qwen3-8B-GGUF",
            "tags": [
                "gguf",
                "arxiv:2505.09388",
                "arxiv:2505.09388",
                "base_model:Qwen/Qwen3-8B",
                "base_model:quantized:Qwen/Qwen3-8B",
                "base_model:adapter:org/LoRA-Base",
                "base_model:org/Plain",
                "license:apache-2.0",
            ],
        }
    )
    assert model.license == "apache-2.0"
    assert model.arxiv_ids == ["2505.09388"]
    assert model.base_models == [("quantized", "Qwen/Qwen3-8B"), ("adapter", "org/LoRA-Base"), (None, "org/Plain")]


def test_truncated_json_is_a_parse_error():
    with pytest.raises(ParseError, match=r"Hub listing for MiniMaxAI: not valid JSON"):
        hf.parse_listing(fixture("truncated.json"), org="MiniMaxAI")


def test_html_error_page_is_a_parse_error():
    with pytest.raises(ParseError, match=r"not valid JSON.*<!DOCTYPE html>"):
        hf.parse_listing(fixture("html_error.html"), org="Qwen")


def test_object_instead_of_array_is_a_parse_error():
    with pytest.raises(ParseError, match=r"expected a JSON array"):
        hf.parse_listing(fixture("object_not_array.json"), org="Qwen")


def test_wrong_tags_type_fails_the_whole_page_naming_repo_and_field():
    with pytest.raises(ParseError) as info:
        hf.parse_listing(fixture("wrong_tags.json"), org="demo-org")
    assert "demo-org/Bad-Tags" in str(info.value) and "'tags'" in str(info.value)


def test_wrong_created_at_names_repo_and_field():
    with pytest.raises(ParseError) as info:
        hf.parse_listing(fixture("wrong_created_at.json"), org="demo-org")
    assert "demo-org/Bad-Date" in str(info.value) and "'createdAt'" in str(info.value)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"id": "a/b"}, "'_id'"),
        ({"_id": "x"}, "'id'"),
        ("a/b", "expected a JSON object"),
        ({"_id": "x", "id": "a/b", "downloads": "many"}, "'downloads'"),
        ({"_id": "x", "id": "a/b", "downloads": True}, "'downloads'"),
        ({"_id": "x", "id": "a/b", "private": "no"}, "'private'"),
        ({"_id": "x", "id": "a/b", "gated": 1}, "'gated'"),
        ({"_id": "x", "id": "a/b", "tags": ["ok", 3]}, "'tags'"),
    ],
)
def test_bad_items_raise_parse_error(item, message):
    with pytest.raises(ParseError, match=message):
        hf.parse_listing(json.dumps([item]).encode(), org="a")


def test_to_observation_is_json_serialisable():
    model = hf.parse_listing(fixture("minimal_and_extra.json"), org="demo-org")[1]
    obs = hf.to_observation(model, endpoint=HUB)
    assert obs.source is SourceKind.HF
    assert obs.kind is ArtifactKind.MODEL
    assert obs.external_id == "680fdc2a0000000000000005"
    assert obs.name == "demo-org/Extra"
    assert obs.org == "demo-org"
    assert obs.url == f"{HUB}/demo-org/Extra"
    assert obs.created_at == datetime(2025, 5, 1, tzinfo=UTC)
    assert obs.attrs["base_models"] == [
        {"relation": "quantized", "repo_id": "Qwen/Qwen3-8B"},
        {"relation": None, "repo_id": "other/Base"},
    ]
    assert obs.attrs["license"] == "apache-2.0"
    assert obs.attrs["gated"] == "manual"
    json.dumps(dict(obs.attrs))


# --- listing and polling -------------------------------------------------------------------------


def test_list_org_models_follows_pages_and_skips_private_and_disabled(settings):
    items = json.loads(fixture("MiniMaxAI.json")) + json.loads(fixture("minimal_and_extra.json"))
    sent = []
    handler = paged_hub({"MiniMaxAI": items}, page_size=4, requests=sent)

    async def main():
        async with make_client(settings, transport=httpx.MockTransport(handler)) as client:
            return await hf.list_org_models(client, settings, "MiniMaxAI")

    models = asyncio.run(main())
    assert len(sent) == 3  # 10 items, 4 per page
    assert sent[0].url.params["limit"] == "4"
    assert [m.repo_id for m in models][-2:] == ["demo-org/Minimal", "demo-org/Extra"]
    assert len(models) == 8  # private and disabled dropped


def test_poll_isolates_a_failing_org(settings):
    handler = paged_hub({"MiniMaxAI": json.loads(fixture("MiniMaxAI.json"))}, page_size=4)
    result = poll(settings, handler, lab("MiniMaxAI", "ghost-org"))
    assert result.source is SourceKind.HF
    assert result.lab == "demo"
    assert result.complete_scopes == {"hf:MiniMaxAI"}
    assert len(result.observations) == 6
    [failure] = result.failures
    assert failure.scope == "hf:ghost-org"
    assert "404" in failure.error
    assert result.ok
    assert result.requests == 3  # two pages + one 404, no per-repo requests


def test_poll_reports_retry_after_of_a_rate_limited_org(settings):
    def handler(request):
        if request.url.params["author"] == "busy":
            return httpx.Response(429, headers={"Retry-After": "3600"})
        return httpx.Response(200, json=[])

    result = poll(settings, handler, lab("busy", "quiet"))
    assert result.complete_scopes == {"hf:quiet"}
    [failure] = result.failures
    assert failure.scope == "hf:busy" and failure.retry_after == 3600


def test_poll_fails_an_org_whose_page_is_not_understood(settings):
    def handler(request):
        if request.url.params["author"] == "broken":
            return httpx.Response(200, content=fixture("html_error.html"))
        return httpx.Response(200, content=fixture("MiniMaxAI.json"))

    result = poll(settings, handler, lab("broken", "MiniMaxAI"))
    assert result.complete_scopes == {"hf:MiniMaxAI"}
    assert result.failures[0].scope == "hf:broken"
    assert "not valid JSON" in result.failures[0].error
    assert {o.org for o in result.observations} == {"MiniMaxAI"}


def test_poll_deduplicates_by_id_preferring_the_matching_org(settings):
    # Around the THUDM -> zai-org rename, the old org's listing may still show moved repos.
    new = json.loads(fixture("zai-org.json"))
    moved = [
        dict(item, likes=-1) for item in new if item["_id"] in {i["_id"] for i in json.loads(fixture("THUDM.json"))}
    ]
    assert moved
    handler = paged_hub({"THUDM": moved, "zai-org": new}, page_size=1000)
    result = poll(settings, handler, lab("THUDM", "zai-org"))
    assert result.complete_scopes == {"hf:THUDM", "hf:zai-org"}
    assert len(result.observations) == len(new)
    assert len({o.external_id for o in result.observations}) == len(new)
    assert all(o.attrs["likes"] != -1 for o in result.observations)  # the zai-org listing's copy won
    assert {o.org for o in result.observations} == {"zai-org"}


def test_poll_deduplicates_an_item_repeated_across_pages(settings):
    items = json.loads(fixture("MiniMaxAI.json"))
    handler = paged_hub({"MiniMaxAI": items[:4] + items[3:]}, page_size=4)  # item 3 twice
    result = poll(settings, handler, lab("MiniMaxAI"))
    assert len(result.observations) == 6


def test_registry_finds_the_hf_module():
    assert get_source("hf") is hf


def test_fetch_model_info(settings):
    def handler(request):
        if request.url.path == "/api/models/Qwen/Qwen3-8B":
            return httpx.Response(200, json={"id": "Qwen/Qwen3-8B", "safetensors": {"total": 8_190_735_360}})
        return httpx.Response(200, json=["not", "an", "object"])

    async def main():
        async with make_client(settings, transport=httpx.MockTransport(handler)) as client:
            info = await hf.fetch_model_info(client, settings, "Qwen/Qwen3-8B")
            with pytest.raises(ParseError, match=r"expected a JSON object"):
                await hf.fetch_model_info(client, settings, "Qwen/Other")
            return info

    assert asyncio.run(main())["safetensors"]["total"] == 8_190_735_360


def test_concurrent_polls_on_one_client_count_their_own_requests(settings):
    """The pipeline polls every unit of a cycle concurrently on one client: no cross-counting."""
    items = [{"_id": f"id{i}", "id": f"big-org/m{i}", "author": "big-org"} for i in range(10)]
    inner = paged_hub({"big-org": items, "small-org": items[:1]}, page_size=4)

    async def handler(request):
        await asyncio.sleep(0)  # let the other poll run between any two requests
        return inner(request)

    async def main():
        async with make_client(settings, transport=httpx.MockTransport(handler)) as client:
            big, small = await asyncio.gather(
                hf.poll(client, settings, lab("big-org")), hf.poll(client, settings, lab("small-org"))
            )
            return big, small, client.requests

    big, small, total = asyncio.run(main())
    assert (big.requests, small.requests, total) == (3, 1, 4)
    assert (big.not_modified, small.not_modified) == (0, 0)
    assert len(big.observations) == 10 and len(small.observations) == 1
