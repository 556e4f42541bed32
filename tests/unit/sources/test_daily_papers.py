"""tracker.sources.daily_papers: Hub daily papers of a lab's orgs, with arXiv identities."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.factories import lab_config, make_settings
from tracker.config import Settings
from tracker.domain import ArtifactKind, SourceKind
from tracker.errors import ParseError
from tracker.http import make_client
from tracker.sources import daily_papers as dp
from tracker.watchlist import LabConfig

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "daily_papers"
HUB = "http://hub.test"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, http_max_retries=1, hf_endpoint=HUB)


def lab(*orgs: str) -> LabConfig:
    return lab_config(hf_orgs=orgs)


def poll(settings: Settings, handler, the_lab: LabConfig, validators=None):
    async def run():
        async with make_client(settings, transport=httpx.MockTransport(handler)) as client:
            with client.conditional(validators) as store:
                return await dp.poll(client, settings, the_lab), store.seen

    return asyncio.run(run())


def test_parse_reads_arxiv_ids_orgs_and_dates() -> None:
    papers = dp.parse_daily_papers(fixture("daily.json"))
    first = papers[0]
    assert first.arxiv_id == "2505.09388" and first.title == "Qwen3 Technical Report"
    assert first.orgs == ("Qwen", "akhaliq") and first.upvotes == 240
    assert first.published_at is not None and first.featured_at is not None
    assert papers[2].orgs == ("Qwen",)  # submitted by the org itself


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("html_error.html", "not valid JSON"),
        ("truncated.json", "not valid JSON"),
        ("wrong_types.json", "upvotes"),
        ("bad_id.json", "not an arXiv id"),
    ],
)
def test_bad_bodies_are_parse_errors(name: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        dp.parse_daily_papers(fixture(name))


def test_an_object_instead_of_an_array_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="expected a JSON array"):
        dp.parse_daily_papers(b'{"error": "x"}')


def test_poll_keeps_papers_of_the_labs_orgs_with_arxiv_identity(settings: Settings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/daily_papers"
        return httpx.Response(200, content=fixture("daily.json"), headers={"ETag": '"d1"'})

    result, seen = poll(settings, handler, lab("Qwen"))
    assert result.source == SourceKind.DAILY_PAPERS and result.complete_scopes == {"daily_papers"}
    ids = sorted(o.external_id for o in result.observations)
    assert ids == ["2505.09388", "2505.14000"]  # the robots paper is nobody's
    obs = next(o for o in result.observations if o.external_id == "2505.09388")
    assert obs.source == SourceKind.ARXIV and obs.kind == ArtifactKind.PAPER  # deduplicates with arXiv
    assert obs.url == "https://arxiv.org/abs/2505.09388" and obs.scope == "daily_papers"
    assert list(seen.values()) == [{"etag": '"d1"'}]


def test_304_is_not_parsed(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dp, "parse_daily_papers", lambda body: (_ for _ in ()).throw(AssertionError("parsed")))
    url = f"{HUB}/api/daily_papers?limit=100"
    result, _ = poll(settings, lambda r: httpx.Response(304), lab("Qwen"), validators={url: {"etag": '"d1"'}})
    assert result.all_not_modified and result.not_modified == 1


def test_failure_is_a_scope_failure(settings: Settings) -> None:
    result, _ = poll(settings, lambda r: httpx.Response(200, content=fixture("truncated.json")), lab("Qwen"))
    assert [f.scope for f in result.failures] == ["daily_papers"]
