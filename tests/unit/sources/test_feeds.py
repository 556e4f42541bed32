"""tracker.sources.feeds: safe RSS/Atom parsing, guarded and conditional fetching of lab blogs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.factories import lab_config, make_settings
from tracker.config import Settings
from tracker.domain import ArtifactKind, SourceKind
from tracker.errors import ParseError
from tracker.http import make_client
from tracker.sources import feeds
from tracker.watchlist import LabConfig

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "feeds"
FEED = "http://93.184.216.34/blog/index.xml"  # a public IP literal: no DNS needed in tests


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, http_max_retries=1, http_max_body_bytes=4096)


def lab(*urls: str) -> LabConfig:
    return lab_config(feeds=urls)


def poll(settings: Settings, handler, the_lab: LabConfig, validators=None):
    async def run():
        async with make_client(settings, transport=httpx.MockTransport(handler)) as client:
            with client.conditional(validators) as store:
                result = await feeds.poll(client, settings, the_lab)
            return result, store.seen

    return asyncio.run(run())


def test_rss_entries_parse_into_typed_entries() -> None:
    entries = feeds.parse_feed(fixture("rss.xml"))
    assert [e.title for e in entries] == [
        "Qwen3: Think Deeper, Act Faster",
        "QwQ-32B: Embracing the Power of Reinforcement Learning",
    ]
    assert entries[0].entry_id == "https://qwenlm.github.io/blog/qwen3/"
    assert entries[0].published_at == datetime(2025, 4, 28, 21, 10, tzinfo=UTC)
    assert entries[0].summary.startswith("Qwen3")


def test_atom_entries_with_bare_ids_and_missing_dates() -> None:
    entries = feeds.parse_feed(fixture("atom.xml"))
    assert entries[0].title == "Introducing gpt-oss-120b and GLM-4.5"  # whitespace collapsed
    assert entries[0].published_at == datetime(2025, 8, 5, 17, tzinfo=UTC)
    assert entries[0].updated_at == datetime(2025, 8, 6, 9, tzinfo=UTC)
    assert entries[1].entry_id == "https://lab.example/news/41" and entries[1].published_at is None
    # A bare id is scoped by the feed URL; a URL id is kept.
    assert feeds.entry_external_id(FEED, "42") == f"{FEED}#42"
    assert feeds.entry_external_id(FEED, "https://x/1") == "https://x/1"
    assert feeds.entry_external_id(FEED, "x" * 300).startswith("sha256:")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("html_200.html", "an HTML page"),
        ("html_no_doctype.html", "root is <html>"),
        ("truncated.xml", "not well-formed XML"),
        ("billion_laughs.xml", "DOCTYPE"),
        ("json.json", "not well-formed XML"),
    ],
)
def test_bad_bodies_are_parse_errors_not_empty_feeds(name: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        feeds.parse_feed(fixture(name), where="feed X")


def test_html_entities_and_a_bare_ampersand_are_repaired_not_refused(caplog: pytest.LogCaptureFixture) -> None:
    """RSS feeds use ``&nbsp;`` without declaring it: the feed is read, with a warning naming it."""
    entries = feeds.parse_feed(fixture("bozo_not_wellformed.xml"), where="feed X")
    assert [e.title for e in entries] == ["Qwen3 & friends"]
    assert "feed X: 2 HTML entities or bare '&' repaired" in caplog.text


def test_one_raw_0xff_byte_keeps_every_entry(caplog: pytest.LogCaptureFixture) -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>B</title>'
        b"<item><guid>p1</guid><title>Caf\xff launch &rsquo;25</title></item>"
        b"<item><guid>p2</guid><title>Second post</title></item></channel></rss>"
    )
    entries = feeds.parse_feed(body, where="feed Y")
    assert [e.entry_id for e in entries] == ["p1", "p2"]
    assert entries[0].title == "Caf\ufffd launch \u201925"
    assert "1 undecodable byte(s) replaced" in caplog.text


def test_latin1_feed_with_entities_keeps_its_encoding() -> None:
    body = (
        b'<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><title>B</title>'
        b"<item><guid>p1</guid><title>Caf\xe9&nbsp;news</title></item></channel></rss>"
    )
    assert feeds.parse_feed(body, content_type="application/rss+xml; charset=iso-8859-1")[0].title == "Caf\u00e9 news"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Wed, 29 Jun 2016 10:00:00 GMT", datetime(2016, 6, 29, 10, tzinfo=UTC)),
        ("2016-06-29T10:00:00+02:00", datetime(2016, 6, 29, 8, tzinfo=UTC)),
        ("2016/6/29", None),  # feedparser would guess the 1st of the current month
        ("29/6/2016", None),
        ("Fri, 01 Jan 1999 00:00:00 GMT", None),  # implausible for a web feed we watch
        ("Wed, 01 Jan 2031 00:00:00 GMT", None),  # in the future
    ],
)
def test_entry_dates_are_read_strictly_never_guessed(raw: str, expected: datetime | None) -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>B</title>'
        f"<item><guid>p1</guid><title>T</title><pubDate>{raw}</pubDate></item>"
        "<item><guid>p2</guid><title>U</title><pubDate>Wed, 29 Jun 2016 10:00:00 GMT</pubDate></item>"
        "</channel></rss>"
    ).encode()
    first, second = feeds.parse_feed(body, now=datetime(2026, 12, 7, tzinfo=UTC))
    assert first.published_at == expected
    assert bool(first.date_problems) == (expected is None)
    assert second.published_at == datetime(2016, 6, 29, 10, tzinfo=UTC)
    obs = feeds.to_observation(first, feed_url=FEED)
    assert obs.created_at == expected
    assert ("date_problems" in obs.attrs) == (expected is None)


def test_bozo_flag_alone_is_not_an_error() -> None:
    """A valid RSS served as text/html: feedparser says bozo, the gate accepts it."""
    import io

    import feedparser

    body = fixture("rss.xml")
    assert feedparser.parse(io.BytesIO(body), response_headers={"content-type": "text/html"}).bozo
    assert len(feeds.parse_feed(body, content_type="text/html; charset=utf-8")) == 2


def test_to_observation_is_a_post_with_title_hints() -> None:
    entry = feeds.parse_feed(fixture("rss.xml"))[0]
    obs = feeds.to_observation(entry, feed_url=FEED)
    assert obs.source == SourceKind.FEEDS and obs.kind == ArtifactKind.POST and obs.org is None
    assert obs.scope == f"feeds:{FEED}" and obs.attrs["family_hints"] == ["Qwen3: Think Deeper, Act Faster"]
    assert obs.url == "https://qwenlm.github.io/blog/qwen3/"


def test_poll_returns_entries_and_records_validators(settings: Settings) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=fixture("rss.xml"),
            headers={
                "Content-Type": "application/rss+xml",
                "ETag": '"v1"',
                "Last-Modified": "Mon, 28 Apr 2025 21:10:00 GMT",
            },
        )

    result, seen = poll(settings, handler, lab(FEED))
    assert result.failures == [] and result.complete_scopes == {f"feeds:{FEED}"}
    assert len(result.observations) == 2
    assert seen == {FEED: {"etag": '"v1"', "last_modified": "Mon, 28 Apr 2025 21:10:00 GMT"}}


def test_304_is_counted_and_never_parsed(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(304, headers={"ETag": '"v1"'})

    def no_parse(*args, **kwargs):
        raise AssertionError("a 304 must not be parsed")

    monkeypatch.setattr(feeds, "parse_feed", no_parse)
    stored = {FEED: {"etag": '"v1"', "last_modified": "Mon, 28 Apr 2025 21:10:00 GMT"}}
    result, seen = poll(settings, handler, lab(FEED), validators=stored)
    assert asked[0].headers["If-None-Match"] == '"v1"'
    assert asked[0].headers["If-Modified-Since"] == "Mon, 28 Apr 2025 21:10:00 GMT"
    assert result.not_modified == 1 and result.not_modified_scopes == {f"feeds:{FEED}"}
    assert result.observations == [] and result.complete_scopes == set() and result.all_not_modified
    assert seen == stored  # validators carried over


def test_private_feed_is_refused_by_default_and_nothing_is_sent(settings: Settings) -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(200, content=fixture("rss.xml"))

    result, _ = poll(settings, handler, lab("http://127.0.0.1:8080/feed.xml", "http://10.0.0.8/feed", FEED))
    assert sent == [FEED]
    errors = {f.scope: f.error for f in result.failures}
    assert "refused" in errors["feeds:http://127.0.0.1:8080/feed.xml"]
    assert "10.0.0.8 (private address)" in errors["feeds:http://10.0.0.8/feed"]
    assert result.complete_scopes == {f"feeds:{FEED}"}


def test_oversized_and_html_bodies_fail_their_scope_only(settings: Settings) -> None:
    big, page = "http://93.184.216.35/big.xml", "http://93.184.216.36/moved"

    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url) == big:
            return httpx.Response(200, content=b"<rss>" + b" " * 10_000 + b"</rss>")
        if str(request.url) == page:
            return httpx.Response(200, content=fixture("html_200.html"), headers={"Content-Type": "text/html"})
        return httpx.Response(200, content=fixture("rss.xml"))

    result, _ = poll(settings, handler, lab(big, page, FEED))
    errors = {f.scope: f.error for f in result.failures}
    assert "cap" in errors[f"feeds:{big}"]
    assert "HTML page" in errors[f"feeds:{page}"]
    assert result.complete_scopes == {f"feeds:{FEED}"} and len(result.observations) == 2


def test_applies_only_to_labs_with_feeds() -> None:
    assert feeds.applies(lab(FEED)) and not feeds.applies(lab())
