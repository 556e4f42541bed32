"""tracker.sources.modelscope: the ModelScope org listing, parsed tolerantly into Hub-shaped models."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.factories import lab_config, make_settings
from tracker.config import Settings
from tracker.domain import ArtifactKind, SourceKind
from tracker.errors import ParseError
from tracker.http import make_client
from tracker.sources import modelscope as ms
from tracker.watchlist import LabConfig

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "modelscope"
ENDPOINT = "http://modelscope.test"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, http_max_retries=1, modelscope_endpoint=ENDPOINT, modelscope_page_size=2)


def lab(*orgs: str) -> LabConfig:
    return lab_config(modelscope_orgs=orgs)


def paged(requests: list[dict] | None = None, fail: set[str] = frozenset()):
    models = json.loads(fixture("qwen_page.json"))["Data"]["Models"]

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "PUT" and request.url.path == "/api/v1/models/"
        body = json.loads(request.content)
        if requests is not None:
            requests.append(body)
        if body["Path"] in fail:
            return httpx.Response(200, content=fixture("html_error.html"), headers={"Content-Type": "text/html"})
        items = models if body["Path"] == "Qwen" else []
        start = (body["PageNumber"] - 1) * body["PageSize"]
        return httpx.Response(
            200,
            json={
                "Code": 200,
                "Success": True,
                "Data": {"Models": items[start : start + body["PageSize"]], "TotalCount": len(items)},
            },
        )

    return handler


def poll(settings: Settings, handler, the_lab: LabConfig):
    async def run():
        async with make_client(settings, transport=httpx.MockTransport(handler)) as client:
            return await ms.poll(client, settings, the_lab)

    return asyncio.run(run())


def test_parse_page_reads_the_documented_envelope() -> None:
    models, total = ms.parse_page(fixture("qwen_page.json"), org="Qwen")
    assert total == 6 and len(models) == 6
    qwen3 = next(m for m in models if m.name == "Qwen3-8B")
    assert qwen3.repo_id == "Qwen/Qwen3-8B" and qwen3.model_id == "512377"
    assert qwen3.created_at == datetime.fromtimestamp(1745785057, UTC)
    assert qwen3.tasks == ("text-generation",) and qwen3.stars == 3 and qwen3.visibility == 5


def test_missing_optional_fields_and_unknown_keys() -> None:
    body = json.dumps(
        {
            "Code": 200,
            "Success": True,
            "Data": {"TotalCount": 1, "Models": [{"Name": "M-1B", "Path": "Org", "SomethingNew": [1, 2]}]},
        }
    ).encode()
    [model], _ = ms.parse_page(body, org="Org")
    assert model.model_id == "Org/M-1B" and model.created_at is None and model.tasks == ()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("html_error.html", "not valid JSON"),
        ("truncated.json", "not valid JSON"),
        ("wrong_types.json", "'CreatedTime' should be an integer"),
        ("success_false.json", "owner not found"),
    ],
)
def test_bad_pages_are_parse_errors(name: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        ms.parse_page(fixture(name), org="Qwen")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "expected a JSON object"),
        ({"Code": 200, "Data": {"Models": {}, "TotalCount": 1}}, "Data.Models"),
        ({"Code": 200, "Data": {"Models": [], "TotalCount": "1"}}, "TotalCount"),
        ({"Code": 200, "Data": {"Models": [{"Name": "x"}], "TotalCount": 1}}, "'Path'"),
        ({"Code": 200, "Data": {"Models": [{"Name": "x", "Path": "o", "Id": True}], "TotalCount": 1}}, "'Id'"),
        ({"Code": 200, "Data": {"Models": [{"Name": "x", "Path": "o", "Tasks": "nlp"}], "TotalCount": 1}}, "'Tasks'"),
    ],
)
def test_wrong_shapes_name_the_field(payload, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        ms.parse_page(json.dumps(payload).encode(), org="o")


def test_poll_pages_through_the_org_and_skips_non_public(settings: Settings) -> None:
    requests: list[dict] = []
    result = poll(settings, paged(requests), lab("Qwen"))
    assert [r["PageNumber"] for r in requests] == [1, 2, 3]
    assert result.failures == [] and result.complete_scopes == {"modelscope:Qwen"}
    names = {o.name for o in result.observations}
    assert "Qwen/Qwen3-235B-A22B-internal" not in names and len(names) == 5
    obs = next(o for o in result.observations if o.name == "Qwen/Qwen3-8B")
    assert obs.source == SourceKind.MODELSCOPE and obs.kind == ArtifactKind.MODEL and obs.org == "Qwen"
    assert obs.url == f"{ENDPOINT}/models/Qwen/Qwen3-8B" and obs.attrs["pipeline_tag"] == "text-generation"
    json.dumps(obs.attrs)


def test_poll_isolates_a_failing_org(settings: Settings) -> None:
    result = poll(settings, paged(fail={"Broken"}), lab("Broken", "Qwen"))
    assert [f.scope for f in result.failures] == ["modelscope:Broken"]
    assert "not valid JSON" in result.failures[0].error
    assert result.complete_scopes == {"modelscope:Qwen"}


def test_oversized_body_fails_the_scope(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None, data_dir=tmp_path, http_max_retries=1, modelscope_endpoint=ENDPOINT, http_max_body_bytes=1024
    )
    result = poll(settings, lambda request: httpx.Response(200, content=b"{" + b" " * 5000 + b"}"), lab("Qwen"))
    assert "cap" in result.failures[0].error


def test_applies_only_with_modelscope_orgs() -> None:
    assert ms.applies(lab("Qwen")) and not ms.applies(lab())
