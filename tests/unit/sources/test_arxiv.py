"""Tests for tracker.sources.arxiv: safe Atom parsing, version folding, paging, isolation."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.factories import lab_config, offline_settings
from tracker.domain import ArtifactKind, SourceKind
from tracker.errors import ParseError
from tracker.http import make_client
from tracker.sources import arxiv, arxiv_feed, get_source
from tracker.watchlist import LabConfig

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "arxiv"
ENDPOINT = "http://arxiv.test/api/query"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def settings(tmp_path):
    return offline_settings(tmp_path, arxiv_endpoint=ENDPOINT, arxiv_max_results=2, arxiv_max_pages=5)


def feed(entries: list[tuple[str, str]], *, total: int, start: int) -> bytes:
    """A classic-header feed page; ``entries`` are ``(versioned id, title)``."""
    body = "".join(
        f"""<entry><id>http://arxiv.org/abs/{eid}</id><title>{title}</title>
        <published>2025-01-0{i + 1}T00:00:00Z</published><updated>2025-02-01T00:00:00Z</updated>
        <summary>s</summary><author><name>A. Author</name></author></entry>"""
        for i, (eid, title) in enumerate(entries)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{total}</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">{start}</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">2</opensearch:itemsPerPage>
  {body}
</feed>""".encode()


PAPERS = [
    ("2505.00005v1", "Five"),
    ("2505.00004v2", "Four"),
    ("2505.00003v1", "Three"),
    ("2505.00002v1", "Two"),
    ("2505.00001v1", "One"),
]


def arxiv_server(results: dict[str, list[tuple[str, str]]], *, requests: list | None = None, empty_at=None):
    """An arXiv mock serving ``results[search_query]`` by ``start``/``max_results``.

    ``empty_at`` maps ``(query, start)`` to how many times that page first comes back empty.
    """
    empty_at = dict(empty_at or {})

    def handler(request: httpx.Request) -> httpx.Response:
        if requests is not None:
            requests.append(request)
        params = request.url.params
        assert params["sortBy"] == "submittedDate" and params["sortOrder"] == "descending"
        query, start, size = params["search_query"], int(params["start"]), int(params["max_results"])
        if query not in results:
            return httpx.Response(500)
        items = results[query]
        if empty_at.get((query, start), 0) > 0:
            empty_at[(query, start)] -= 1
            return httpx.Response(200, content=feed([], total=len(items), start=start))
        return httpx.Response(200, content=feed(items[start : start + size], total=len(items), start=start))

    return handler


def lab(*queries: str) -> LabConfig:
    return lab_config(slug="demo", name="Demo", arxiv_queries=queries)


def poll(settings, handler, the_lab, **client_kwargs):
    async def main():
        async with make_client(settings, transport=httpx.MockTransport(handler), **client_kwargs) as client:
            client.backoff_base_s = 0
            return await arxiv.poll(client, settings, the_lab)

    return asyncio.run(main())


# --- parse_feed ----------------------------------------------------------------------------------


def test_classic_header_feed_parses():
    page = arxiv.parse_feed(fixture("query_qwen.xml"))
    assert (page.total_results, page.start_index, page.items_per_page) == (9, 0, 100)
    assert len(page.papers) == 9
    omni = page.papers[0]
    assert omni.arxiv_id == "2509.17765" and omni.version == 1
    assert omni.title == "Qwen3-Omni Technical Report"
    assert omni.authors[0] == "Jin Xu"
    assert omni.published_at == datetime(2025, 9, 22, 13, 26, 24, tzinfo=UTC)
    assert omni.primary_category == "cs.CL"
    assert omni.categories[:2] == ("cs.CL", "cs.AI")
    assert omni.abs_url == "https://arxiv.org/abs/2509.17765"
    assert omni.pdf_url == "http://arxiv.org/pdf/2509.17765v1"
    assert omni.summary.startswith("Omni-modal") and omni.summary == omni.summary.strip()


def test_late_2025_header_feed_parses_and_folds_versions():
    page = arxiv.parse_feed(fixture("new_header.xml"))
    assert page.total_results == 3
    kimi, old_style = page.papers
    assert kimi.arxiv_id == "2507.20534"
    assert kimi.version == 2  # v1 and v2 are one paper; the highest version is kept
    assert kimi.title == "Kimi K2: Open Agentic Intelligence"  # line break collapsed
    assert kimi.summary.startswith("MoE model") and not kimi.summary.endswith(" ")
    assert kimi.comment == "tech report"
    assert kimi.primary_category == "cs.LG"
    assert kimi.pdf_url == "https://arxiv.org/pdf/2507.20534v2"
    assert kimi.updated_at == datetime(2025, 8, 1, 9, tzinfo=UTC)
    assert kimi.authors == ("Kimi Team", "Yifan Bai")
    assert old_style.arxiv_id == "hep-th/9901001" and old_style.version == 3
    assert old_style.abs_url == "https://arxiv.org/abs/hep-th/9901001"
    assert old_style.pdf_url is None and old_style.comment is None


def test_feed_showing_a_later_version():
    page = arxiv.parse_feed(fixture("query_deepseek.xml"))
    v3 = next(p for p in page.papers if p.arxiv_id == "2412.19437")
    assert v3.version == 2
    assert v3.published_at < v3.updated_at


def test_empty_feed_is_valid():
    page = arxiv.parse_feed(fixture("query_meta.xml"))
    assert page.papers == [] and page.total_results == 0


def test_html_page_served_with_200_is_refused():
    with pytest.raises(ParseError, match=r"HTML page"):
        arxiv.parse_feed(fixture("html_200.html"))


def test_xhtml_page_without_doctype_is_refused_by_root_check():
    with pytest.raises(ParseError, match=r"not an Atom <feed>"):
        arxiv.parse_feed(fixture("xhtml_200.xml"))


def test_plain_text_rate_limit_body_is_refused():
    with pytest.raises(ParseError, match=r"not well-formed XML.*Rate exceeded"):
        arxiv.parse_feed(b"Rate exceeded.")


def test_arxiv_error_entry_is_refused_with_its_message():
    with pytest.raises(ParseError, match=r"arXiv API error: incorrect id format for 1234.12345"):
        arxiv.parse_feed(fixture("error_entry.xml"))


def test_billion_laughs_is_refused_not_expanded():
    started = time.perf_counter()
    with pytest.raises(ParseError, match=r"DTDs are refused"):
        arxiv.parse_feed(fixture("billion_laughs.xml"))
    assert time.perf_counter() - started < 1


def test_entity_declaration_is_refused():
    body = b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY x "y">]><feed xmlns="http://www.w3.org/2005/Atom"/>'
    with pytest.raises(ParseError):
        arxiv.parse_feed(body)


def test_one_bad_byte_keeps_chinese_text_intact():
    body = fixture("bad_byte_chinese.xml")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")  # the fixture really is broken
    page = arxiv.parse_feed(body)
    chinese, second = page.papers
    assert chinese.title == "通义千问技术报告"
    assert chinese.summary == "中文摘要"
    assert chinese.authors == ("千问团队",)
    assert "\ufffd" in second.summary


def test_entry_without_an_arxiv_id_is_skipped_and_reported():
    page = arxiv.parse_feed(fixture("bad_entry_id.xml"))
    assert page.papers == []
    [why] = page.skipped
    assert "not an arxiv.org/abs" in why


def _entry(arxiv_id: str, published: str | None) -> str:
    date = f"<published>{published}</published>" if published is not None else ""
    return f"<entry><id>http://arxiv.org/abs/{arxiv_id}v1</id><title>Paper {arxiv_id}</title>{date}</entry>"


def _page(*entries: str) -> bytes:
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"<opensearch:totalResults>{len(entries)}</opensearch:totalResults>"
        "<opensearch:startIndex>0</opensearch:startIndex><opensearch:itemsPerPage>10</opensearch:itemsPerPage>"
        + "".join(entries)
        + "</feed>"
    ).encode()


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        (None, None),
        ("", None),
        ("Mon, 28 Jul 2025 10:00:00 GMT", datetime(2025, 7, 28, 10, tzinfo=UTC)),  # RFC 822: unambiguous
        ("2025/7/28", None),  # not guessed
        ("1985-01-01T00:00:00Z", None),  # before arXiv existed
        ("2099-01-01T00:00:00Z", None),  # in the future
    ],
)
def test_one_bad_date_never_drops_the_page(published, expected):
    page = arxiv.parse_feed(
        _page(_entry("2507.00001", published), _entry("2507.00002", "2025-07-28T10:00:00Z"), _entry("x/1", "2025"))
    )
    first, second = page.papers
    assert first.published_at == expected
    assert bool(first.date_problems) == (expected is None and bool(published))
    assert second.published_at == datetime(2025, 7, 28, 10, tzinfo=UTC)
    assert len(page.skipped) == 1  # the entry without an arXiv id
    obs = arxiv.to_observation(first)
    assert obs.created_at == expected
    json.dumps(dict(obs.attrs))


def test_missing_opensearch_counts_are_refused():
    body = b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>'
    with pytest.raises(ParseError, match=r"totalResults"):
        arxiv.parse_feed(body)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://arxiv.org/abs/2505.09388v1", ("2505.09388", 1)),
        ("https://arxiv.org/abs/2412.19437v12", ("2412.19437", 12)),
        ("http://arxiv.org/abs/0704.0001v1", ("0704.0001", 1)),
        ("http://arxiv.org/abs/hep-th/9901001v2", ("hep-th/9901001", 2)),
        ("http://arxiv.org/abs/math.AG/0601001", ("math.AG/0601001", 1)),
    ],
)
def test_parse_arxiv_id(url, expected):
    assert arxiv.parse_arxiv_id(url) == expected


def test_to_observation():
    paper = arxiv.parse_feed(fixture("new_header.xml")).papers[0]
    obs = arxiv.to_observation(paper)
    assert obs.source is SourceKind.ARXIV and obs.kind is ArtifactKind.PAPER
    assert obs.external_id == "2507.20534"
    assert obs.name == "Kimi K2: Open Agentic Intelligence"
    assert obs.org is None
    assert obs.url == "https://arxiv.org/abs/2507.20534"
    assert obs.version == 2
    assert obs.created_at == datetime(2025, 7, 28, 10, tzinfo=UTC)
    assert obs.attrs["updated_at"] == "2025-08-01T09:00:00+00:00"
    assert obs.attrs["authors"] == ["Kimi Team", "Yifan Bai"]
    json.dumps(dict(obs.attrs))


# --- poll ----------------------------------------------------------------------------------------


def test_poll_pages_until_total_results(settings):
    sent = []
    result = poll(settings, arxiv_server({'au:"Demo"': PAPERS}, requests=sent), lab('au:"Demo"'))
    assert [r.url.params["start"] for r in sent] == ["0", "2", "4"]
    assert {r.url.params["max_results"] for r in sent} == {"2"}
    assert result.source is SourceKind.ARXIV
    assert result.complete_scopes == {'arxiv:au:"Demo"'}
    assert result.failures == []
    assert sorted(o.external_id for o in result.observations) == [f"2505.0000{i}" for i in range(1, 6)]
    assert result.requests == 3


def test_poll_stops_at_max_pages_without_claiming_completeness(settings):
    settings = settings.model_copy(update={"arxiv_max_pages": 2})
    result = poll(settings, arxiv_server({"q": PAPERS}), lab("q"))
    assert len(result.observations) == 4
    assert result.complete_scopes == set()
    assert result.failures == []


def test_poll_retries_an_empty_page_mid_pagination_once(settings):
    sent = []
    handler = arxiv_server({"q": PAPERS}, requests=sent, empty_at={("q", 2): 1})
    result = poll(settings, handler, lab("q"))
    assert [r.url.params["start"] for r in sent] == ["0", "2", "2", "4"]
    assert len(result.observations) == 5
    assert result.complete_scopes == {"arxiv:q"}


def test_a_page_that_stays_empty_keeps_the_pages_fetched_and_leaves_the_scope_incomplete(settings):
    handler = arxiv_server({"q": PAPERS, "other": PAPERS[:1]}, empty_at={("q", 2): 2})
    result = poll(settings, handler, lab("q", "other"))
    [failure] = result.failures
    assert failure.scope == "arxiv:q"
    assert "empty page at start=2 of 5" in failure.error and "kept the 2 paper(s)" in failure.error
    assert result.complete_scopes == {"arxiv:other"}  # "q" is incomplete: nothing is withdrawn from it
    # the first page of "q" (two papers) is kept; "other" shares one of them
    assert sorted(o.external_id for o in result.observations) == ["2505.00004", "2505.00005"]


def test_paging_never_asks_beyond_the_documented_30000_cap(settings):
    settings = settings.model_copy(update={"arxiv_max_results": 2000, "arxiv_max_pages": 20})
    sent = []

    def handler(request):
        sent.append(request)
        start = int(request.url.params["start"])
        entries = _entry(f"2507.{start // 2000:05d}", "2025-07-28T10:00:00Z")  # one entry is enough to go on
        body = _page().replace(b"<opensearch:totalResults>0", b"<opensearch:totalResults>50000")
        return httpx.Response(200, content=body.replace(b"</feed>", entries.encode() + b"</feed>"))

    result = poll(settings, handler, lab("huge"))
    assert max(int(r.url.params["start"]) + int(r.url.params["max_results"]) for r in sent) == 30_000
    assert len(sent) == 15 and result.complete_scopes == set() and result.failures == []


def test_poll_isolates_a_failing_query(settings):
    result = poll(settings, arxiv_server({"good": PAPERS[:2]}), lab("broken", "good"))
    assert result.complete_scopes == {"arxiv:good"}
    assert result.failures[0].scope == "arxiv:broken"
    assert "500" in result.failures[0].error
    assert len(result.observations) == 2
    assert result.requests == 3  # two attempts at the broken query, one page of the good one


def test_poll_folds_versions_across_queries(settings):
    handler = arxiv_server({"a": [("2505.00004v1", "Four")], "b": [("2505.00004v3", "Four, revised")]})
    result = poll(settings, handler, lab("a", "b"))
    [obs] = result.observations
    assert obs.version == 3 and obs.name == "Four, revised"


def test_poll_spaces_requests_with_the_throttle(settings):
    settings = settings.model_copy(update={"arxiv_min_interval": 3.0})
    now = [0.0]
    sent_at = []
    sleeps = []

    async def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    inner = arxiv_server({"a": PAPERS, "b": PAPERS[:1]})

    def handler(request):
        sent_at.append(now[0])
        return inner(request)

    result = poll(settings, handler, lab("a", "b"), sleep=sleep, clock=lambda: now[0])
    assert result.failures == []
    assert sent_at == [0.0, 3.0, 6.0, 9.0]
    assert sleeps == [3.0, 3.0, 3.0]


def test_registry_finds_the_arxiv_module_and_refuses_unknown_slugs():
    from tracker.errors import ConfigError

    assert get_source("arxiv") is arxiv
    with pytest.raises(ConfigError, match=r"known sources: arxiv, hf"):
        get_source("myspace")


# --- feedparser extraction, cross-checked with the tree ----------------------------------------

CLASSIC_ENTRY = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">10</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/abs/2505.09388v2</id>
    <updated>2025-05-20T10:00:00Z</updated>
    <published>2025-05-14T17:00:00Z</published>
    <title>Qwen3 Technical
      Report</title>
    <summary>  We present Qwen3, with a &lt; b &amp; c.
    </summary>
    <author><name>An Yang</name></author>
    <author><name>Baosong  Yang</name></author>
    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">35 pages</arxiv:comment>
    <link href="http://arxiv.org/abs/2505.09388v2" rel="alternate" type="text/html"/>
    <link title="pdf" href="https://arxiv.org/pdf/2505.09388v2" rel="related" type="application/pdf"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.AI" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>"""

LATE_2025_ENTRY = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <opensearch:itemsPerPage>10</opensearch:itemsPerPage>
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <entry>
    <id>https://arxiv.org/abs/2505.09388v2</id>
    <title>Qwen3 Technical Report</title>
    <updated>2025-05-20T10:00:00Z</updated>
    <link href="https://arxiv.org/abs/2505.09388v2" rel="alternate" type="text/html"/>
    <link href="https://arxiv.org/pdf/2505.09388v2" rel="related" type="application/pdf" title="pdf"/>
    <summary>We present Qwen3, with a &lt; b &amp; c.</summary>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.AI" scheme="http://arxiv.org/schemas/atom"/>
    <published>2025-05-14T17:00:00Z</published>
    <arxiv:comment>35 pages</arxiv:comment>
    <arxiv:primary_category term="cs.CL"/>
    <author><name>An Yang</name></author>
    <author><name>Baosong Yang</name></author>
  </entry>
</feed>"""

EXPECTED_QWEN3 = arxiv.ArxivPaper(
    arxiv_id="2505.09388",
    version=2,
    title="Qwen3 Technical Report",
    summary="We present Qwen3, with a < b & c.",
    authors=("An Yang", "Baosong Yang"),
    published_at=datetime(2025, 5, 14, 17, tzinfo=UTC),
    updated_at=datetime(2025, 5, 20, 10, tzinfo=UTC),
    primary_category="cs.CL",
    categories=("cs.CL", "cs.AI"),
    comment="35 pages",
    abs_url="https://arxiv.org/abs/2505.09388",
    pdf_url="https://arxiv.org/pdf/2505.09388v2",
)


def test_both_header_styles_give_identical_papers():
    classic = arxiv.parse_feed(CLASSIC_ENTRY.encode())
    late = arxiv.parse_feed(LATE_2025_ENTRY.encode())
    assert classic.papers == late.papers == [EXPECTED_QWEN3]
    assert (classic.total_results, classic.start_index, classic.items_per_page) == (1, 0, 10)
    assert (late.total_results, late.start_index, late.items_per_page) == (1, 0, 10)


def test_renamed_namespace_prefixes_parse_the_same():
    """feedparser keys unknown namespaces by prefix; values are found by namespace URI instead."""
    renamed = (
        LATE_2025_ENTRY.replace("xmlns:opensearch=", "xmlns:os=")
        .replace("opensearch:", "os:")
        .replace("xmlns:arxiv=", "xmlns:ax=")
        .replace("arxiv:", "ax:")
    )
    assert "arxiv:" not in renamed and "opensearch:" not in renamed
    page = arxiv.parse_feed(renamed.encode())
    assert page.papers == [EXPECTED_QWEN3]
    assert (page.total_results, page.start_index, page.items_per_page) == (1, 0, 10)


def test_a_prefix_bound_to_another_namespace_is_not_mistaken_for_arxiv():
    # "arxiv" now names some other namespace; the real arXiv elements use the prefix "a".
    doc = (
        LATE_2025_ENTRY.replace(
            'xmlns:arxiv="http://arxiv.org/schemas/atom"', 'xmlns:a="http://arxiv.org/schemas/atom"'
        )
        .replace("arxiv:", "a:")
        .replace(
            "<a:comment>35 pages</a:comment>",
            '<a:comment>35 pages</a:comment><arxiv:comment xmlns:arxiv="urn:other">wrong</arxiv:comment>'
            '<arxiv:primary_category xmlns:arxiv="urn:other" term="wrong"/>',
        )
    )
    [paper] = arxiv.parse_feed(doc.encode()).papers
    assert paper == EXPECTED_QWEN3


def test_extension_elements_in_a_default_namespace_are_read_by_uri():
    doc = LATE_2025_ENTRY.replace(
        '<arxiv:primary_category term="cs.CL"/>',
        '<primary_category xmlns="http://arxiv.org/schemas/atom" term="cs.CL"/>',
    ).replace("<arxiv:comment>35 pages</arxiv:comment>", "")
    [paper] = arxiv.parse_feed(doc.encode()).papers
    assert paper.primary_category == "cs.CL" and paper.comment is None


def test_entries_and_fields_come_from_feedparser(monkeypatch):
    calls = []
    real_parse = arxiv_feed.feedparser.parse

    def spy(source, **kwargs):
        calls.append(kwargs)
        return real_parse(source, **kwargs)

    monkeypatch.setattr(arxiv_feed.feedparser, "parse", spy)
    assert arxiv.parse_feed(LATE_2025_ENTRY.encode()).papers == [EXPECTED_QWEN3]
    assert len(calls) == 1


@pytest.mark.parametrize("name", ["billion_laughs.xml", "html_200.html", "xhtml_200.xml"])
def test_unsafe_or_non_feed_documents_never_reach_feedparser(monkeypatch, name):
    def refuse(*args, **kwargs):
        raise AssertionError("feedparser must not see this document")

    monkeypatch.setattr(arxiv_feed.feedparser, "parse", refuse)
    with pytest.raises(ParseError):
        arxiv.parse_feed(fixture(name))


def test_declared_encoding_does_not_override_our_utf8_decoding():
    doc = CLASSIC_ENTRY.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace(
        "Qwen3 Technical\n      Report", "通义千问 Qwen3 Technical Report"
    )
    [paper] = arxiv.parse_feed(doc.encode("utf-8")).papers
    assert paper.title == "通义千问 Qwen3 Technical Report"


def test_missing_updated_falls_back_to_published():
    doc = LATE_2025_ENTRY.replace("<updated>2025-05-20T10:00:00Z</updated>", "")
    [paper] = arxiv.parse_feed(doc.encode()).papers
    assert paper.updated_at == paper.published_at == datetime(2025, 5, 14, 17, tzinfo=UTC)


def test_concurrent_polls_on_one_client_count_their_own_requests(settings):
    inner = arxiv_server({"big": PAPERS, "small": PAPERS[:1]})

    async def handler(request):
        await asyncio.sleep(0)  # let the other poll run between any two requests
        return inner(request)

    async def main():
        async with make_client(settings, transport=httpx.MockTransport(handler)) as client:
            big, small = await asyncio.gather(
                arxiv.poll(client, settings, lab("big")), arxiv.poll(client, settings, lab("small"))
            )
            return big, small, client.requests

    big, small, total = asyncio.run(main())
    assert (big.requests, small.requests, total) == (3, 1, 4)
    assert len(big.observations) == 5 and len(small.observations) == 1
