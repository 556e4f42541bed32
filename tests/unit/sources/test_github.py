"""tracker.sources.github: release/tag feeds, org repo listing, ETags and rate limits."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from tests.factories import lab_config, make_settings
from tracker.config import Settings
from tracker.domain import ArtifactKind, SourceKind
from tracker.errors import ParseError
from tracker.http import make_client
from tracker.sources import github
from tracker.sources.feeds import parse_feed
from tracker.watchlist import LabConfig

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "github"
WEB, API = "http://github.test", "http://api.github.test"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, http_max_retries=1, github_url=WEB, github_api_url=API, github_token="ghp_secret")


def lab(*targets: str) -> LabConfig:
    return lab_config(github=targets)


def poll(settings: Settings, handler, the_lab: LabConfig, validators=None):
    async def run():
        async with make_client(settings, transport=httpx.MockTransport(handler)) as client:
            with client.conditional(validators) as store:
                return await github.poll(client, settings, the_lab), store.seen

    return asyncio.run(run())


def github_mock(requests: list[httpx.Request] | None = None, *, remaining: str = "58"):
    def handler(request: httpx.Request) -> httpx.Response:
        if requests is not None:
            requests.append(request)
        path = request.url.path
        if request.url.host == "github.test" and path.endswith(".atom"):
            return httpx.Response(
                200,
                content=fixture(path.rsplit("/", 1)[1]),
                headers={"Content-Type": "application/atom+xml", "ETag": f'W/"{path}"'},
            )
        if path == "/orgs/QwenLM/repos":
            return httpx.Response(
                200,
                content=fixture("repos.json"),
                headers={
                    "ETag": '"repos1"',
                    "X-RateLimit-Remaining": remaining,
                    "X-RateLimit-Reset": str(int(time.time()) + 600),
                },
            )
        if path == "/orgs/someuser/repos":
            return httpx.Response(404, json={"message": "Not Found"})
        if path == "/users/someuser/repos":
            return httpx.Response(200, json=[], headers={"ETag": '"u"'})
        return httpx.Response(404)

    return handler


def test_release_and_tag_feeds_become_one_artifact_per_tag(settings: Settings) -> None:
    result, seen = poll(settings, github_mock(), lab("QwenLM/Qwen3"))
    assert result.failures == []
    assert result.complete_scopes == {"github:releases:QwenLM/Qwen3", "github:tags:QwenLM/Qwen3"}
    by_id = {o.external_id: o for o in result.observations}
    assert set(by_id) == {"QwenLM/Qwen3@v3.0", "QwenLM/Qwen3@v2.5", "QwenLM/Qwen3@v3.0.1"}
    v3 = by_id["QwenLM/Qwen3@v3.0"]  # in both feeds: the release wins over the tag
    assert v3.attrs["github_kind"] == "release" and v3.name == "QwenLM/Qwen3 Qwen3"
    assert v3.attrs["family_hints"] == ["Qwen3", "Qwen3"]
    assert v3.kind == ArtifactKind.CODE and v3.source == SourceKind.GITHUB and v3.org is None
    assert v3.url == "https://github.com/QwenLM/Qwen3/releases/tag/v3.0"
    assert by_id["QwenLM/Qwen3@v3.0.1"].attrs["github_kind"] == "tag"
    assert set(seen) == {f"{WEB}/QwenLM/Qwen3/releases.atom", f"{WEB}/QwenLM/Qwen3/tags.atom"}


def test_org_repos_skip_forks_and_send_the_token_only_to_the_api(settings: Settings) -> None:
    requests: list[httpx.Request] = []
    result, _ = poll(settings, github_mock(requests), lab("QwenLM", "QwenLM/Qwen3"))
    names = {o.name for o in result.observations if o.attrs["github_kind"] == "repo"}
    assert names == {"QwenLM/Qwen3", "QwenLM/Qwen2.5-VL", "QwenLM/Qwen3-Coder"}  # the vllm fork is skipped
    api = [r for r in requests if r.url.host == "api.github.test"]
    web = [r for r in requests if r.url.host == "github.test"]
    assert api[0].url.params["sort"] == "created" and api[0].url.params["direction"] == "desc"
    assert api[0].headers["Authorization"] == "Bearer ghp_secret"
    assert api[0].headers["Accept"] == "application/vnd.github+json"
    assert all("Authorization" not in r.headers for r in web)
    repo = next(o for o in result.observations if o.name == "QwenLM/Qwen3")
    assert repo.external_id == "repo:704226380" and repo.scope == "github:repos:QwenLM"


def test_a_user_account_falls_back_to_the_users_endpoint(settings: Settings) -> None:
    result, _ = poll(settings, github_mock(), lab("someuser"))
    assert result.failures == [] and result.complete_scopes == {"github:repos:someuser"}


def test_etag_304_costs_no_parsing(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(304)

    def no_parse(*a, **k):
        raise AssertionError("a 304 must not be parsed")

    monkeypatch.setattr(github, "parse_feed", no_parse)
    monkeypatch.setattr(github, "parse_repos", no_parse)
    stored = {
        f"{WEB}/QwenLM/Qwen3/releases.atom": {"etag": 'W/"r"'},
        f"{WEB}/QwenLM/Qwen3/tags.atom": {"etag": 'W/"t"'},
        f"{API}/orgs/QwenLM/repos?type=public&sort=created&direction=desc&per_page=100": {"etag": '"o"'},
    }
    result, seen = poll(settings, handler, lab("QwenLM/Qwen3", "QwenLM"), validators=stored)
    assert [r.headers["If-None-Match"] for r in requests] == ['W/"r"', 'W/"t"', '"o"']
    assert result.not_modified == 3 and result.all_not_modified and seen == stored


def test_rate_limit_exhaustion_is_a_rate_limited_failure_with_reset(settings: Settings) -> None:
    reset = int(time.time()) + 900

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            403,
            json={"message": "API rate limit exceeded"},
            headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
        )

    result, _ = poll(settings, handler, lab("QwenLM"))
    [failure] = result.failures
    assert "rate limit exhausted" in failure.error and failure.retry_after is not None
    assert 800 < failure.retry_after <= 900


def test_remaining_zero_skips_the_next_org_without_a_request(settings: Settings) -> None:
    requests: list[httpx.Request] = []
    result, _ = poll(settings, github_mock(requests, remaining="0"), lab("QwenLM", "OtherOrg"))
    assert [r.url.path for r in requests] == ["/orgs/QwenLM/repos"]
    assert [f.scope for f in result.failures] == ["github:repos:OtherOrg"]
    assert "rate limit exhausted" in result.failures[0].error


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<!DOCTYPE html><html><body>Unicorn!</body></html>", "not valid JSON"),
        (fixture("truncated.json"), "not valid JSON"),
        (b'{"message": "x"}', "expected a JSON array"),
        (fixture("wrong_types.json"), "field 'id'"),
        (b'[{"id": 1, "full_name": "a/b", "html_url": "u", "created_at": "yesterday"}]', "created_at"),
        (b'[{"id": 1, "full_name": "a/b", "html_url": "u", "fork": "no"}]', "'fork'"),
    ],
)
def test_bad_repo_listings_are_parse_errors(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        github.parse_repos(body, where="GitHub repos of QwenLM")


def test_html_instead_of_an_atom_feed_fails_its_scope(settings: Settings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("releases.atom"):
            return httpx.Response(200, content=b"<!DOCTYPE html><html><body>Sign in</body></html>")
        return httpx.Response(200, content=fixture("tags.atom"))

    result, _ = poll(settings, handler, lab("QwenLM/Qwen3"))
    assert [f.scope for f in result.failures] == ["github:releases:QwenLM/Qwen3"]
    assert "HTML page" in result.failures[0].error
    assert result.complete_scopes == {"github:tags:QwenLM/Qwen3"}


def test_tag_name_is_read_from_the_entry_id() -> None:
    entries = parse_feed(fixture("tags.atom"))
    obs = github.release_observation(entries[0], repo="QwenLM/Qwen3", feed="tags", web_url=WEB)
    assert obs.attrs["tag"] == "v3.0.1" and obs.scope == "github:tags:QwenLM/Qwen3"
