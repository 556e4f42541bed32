"""arXiv source: run each lab's search queries against the arXiv API and fold paper versions.

API facts used here (arXiv API User's Manual, info.arxiv.org/help/api/user-manual.html):

* ``GET {endpoint}?search_query=Q&sortBy=submittedDate&sortOrder=descending&start=S&max_results=M``
  returns an Atom 1.0 ``<feed>`` with OpenSearch ``totalResults``/``startIndex``/``itemsPerPage``.
* Each ``<entry>`` has ``<id>http://arxiv.org/abs/<id>v<N></id>`` (``https://`` in the late-2025
  header style), ``<published>`` (v1 submission), ``<updated>`` (this version), ``<title>``,
  ``<summary>``, ``<author><name>``, ``<category term>``, ``<arxiv:primary_category term>``,
  optional ``<arxiv:comment>``, and ``<link title="pdf">``.
* Errors come back with HTTP 200 as a feed with one entry whose ``<id>`` is
  ``http://arxiv.org/api/errors#...`` and whose title is ``Error``; the summary holds the message.
* Ask at most once every 3 seconds (the ``HttpClient`` throttle does it).

Parsing is two-stage on a document we decode ourselves as UTF-8 (bad bytes replaced). First a
safety gate: the standard library's ElementTree through ``defusedxml`` refuses DTDs and entity
declarations (before feedparser, whose loose parser can expand entities, sees anything), and
anything that is not an Atom ``feed`` (an HTML error page served with 200, a plain-text "Rate
exceeded.") is a ``ParseError`` rather than an empty result. Then ``feedparser`` extracts the
entries and fields; arXiv/OpenSearch extension elements, which feedparser keys by the document's
prefix, are looked up through the prefixes bound to their namespace URIs, with the tree (matched
by URI) as the fallback, so both header styles and a future prefix change parse the same.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import feedparser

from tracker.config import Settings
from tracker.domain import ArtifactKind, Observation, SourceKind, SourceResult, as_utc
from tracker.errors import ParseError
from tracker.http import HttpClient
from tracker.sources._scopes import count_requests, run_scope
from tracker.sources._xml import ATOM, feed_root, feedparser_parse
from tracker.sources.arxiv_query import lab_queries
from tracker.watchlist import LabConfig

__all__ = ["ArxivPage", "ArxivPaper", "parse_arxiv_id", "parse_feed", "poll", "search", "to_observation"]

ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"

# New-style ids (0704.0001 .. 2505.09388, 4 or 5 digits after the dot) and old-style
# archive[.subject]/YYMMNNN ids (hep-th/9901001, math.AG/0601001), each with an optional version.
_ID_RE = re.compile(r"arxiv\.org/abs/(?P<id>\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<version>\d+))?/?$")


def parse_arxiv_id(id_url: str) -> tuple[str, int]:
    """Split an entry ``<id>`` (``http://arxiv.org/abs/2505.09388v2``) into ``("2505.09388", 2)``.

    Args:
        id_url (str): the entry id URL, ``http`` or ``https``; old-style ids
            (``hep-th/9901001v1``) are accepted.

    Returns:
        tuple[str, int]: the id without version, and the version (1 when the URL has none).

    Raises:
        ParseError: not an arXiv abs URL.
    """
    match = _ID_RE.search(id_url.strip())
    if not match:
        raise ParseError(f"arXiv entry id {id_url!r} is not an arxiv.org/abs/<id> URL")
    return match["id"], int(match["version"] or 1)


@dataclass(frozen=True, slots=True)
class ArxivPaper:
    """One arXiv paper at the version the feed shows.

    Attributes:
        arxiv_id (str): id without version (``2505.09388``, or old-style ``hep-th/9901001``).
        version (int): the version shown (``v2`` -> 2).
        title (str): title with whitespace and line breaks collapsed to single spaces.
        summary (str): abstract, stripped.
        authors (tuple[str, ...]): author names in feed order.
        published_at (datetime): submission of v1, UTC.
        updated_at (datetime): submission of this version, UTC (``published_at`` when absent).
        primary_category (str, optional): ``arxiv:primary_category`` term (``cs.CL``).
        categories (tuple[str, ...]): every ``category`` term.
        comment (str, optional): ``arxiv:comment`` (pages, figures, links), stripped.
        abs_url (str): unversioned ``https://arxiv.org/abs/<id>``.
        pdf_url (str, optional): the ``link title="pdf"`` href, as served.
    """

    arxiv_id: str
    version: int
    title: str
    summary: str
    authors: tuple[str, ...]
    published_at: datetime
    updated_at: datetime
    primary_category: str | None
    categories: tuple[str, ...]
    comment: str | None
    abs_url: str
    pdf_url: str | None


@dataclass(frozen=True, slots=True)
class ArxivPage:
    """One page of search results.

    Attributes:
        total_results (int): ``opensearch:totalResults`` for the whole query.
        start_index (int): ``opensearch:startIndex`` (0-based offset of this page).
        items_per_page (int): ``opensearch:itemsPerPage`` (the ``max_results`` asked).
        papers (list[ArxivPaper]): this page's papers, versions folded (highest kept), feed order.
    """

    total_results: int
    start_index: int
    items_per_page: int
    papers: list[ArxivPaper] = field(default_factory=list)


ATOM_NS = ATOM[1:-1]
ARXIV_NS = ARXIV[1:-1]
OPENSEARCH_NS = OPENSEARCH[1:-1]

# feedparser pins the encoding to our own UTF-8 decoding through this (RFC 3023: the charset of an
# application/*+xml Content-Type wins over the document's XML declaration).
_FEEDPARSER_HEADERS = {"content-type": "application/atom+xml; charset=utf-8"}


def _feedparser_keys(parsed: feedparser.FeedParserDict, uri: str, name: str) -> list[str]:
    """feedparser keys for element ``name`` of namespace ``uri``.

    feedparser knows neither the arXiv nor the OpenSearch 1.1 namespace, so it keys their
    elements by the document's prefix (``arxiv_primary_category``); the prefixes actually bound
    to ``uri`` are read from ``parsed.namespaces`` instead of being assumed.
    """
    prefixes = [prefix for prefix, bound in parsed.get("namespaces", {}).items() if prefix and bound == uri]
    return [f"{prefix.lower()}_{name.lower()}" for prefix in prefixes]


def _extension(parsed: feedparser.FeedParserDict, mapping: Any, uri: str, name: str) -> Any:
    """The first feedparser value for ``{uri}name`` found in ``mapping`` (entry or feed), or None."""
    for key in _feedparser_keys(parsed, uri, name):
        if key in mapping:
            return mapping[key]
    return None


def _int(parsed: feedparser.FeedParserDict, root: ET.Element, tag: str) -> int:
    value = _extension(parsed, parsed.feed, OPENSEARCH_NS, tag)
    if not isinstance(value, str):
        child = root.find(OPENSEARCH + tag)  # by namespace URI, whatever the prefix
        value = child.text if child is not None else None
    try:
        return int((value or "").strip())
    except ValueError:
        raise ParseError(f"arXiv feed: opensearch:{tag} is missing or not an integer ({value!r})") from None


def _date(value: str | None, tag: str, arxiv_id: str) -> datetime | None:
    if value is None or not value.strip():
        return None
    try:
        return as_utc(datetime.fromisoformat(value.strip()))
    except ValueError:
        raise ParseError(f"arXiv entry {arxiv_id}: <{tag}> is not an ISO-8601 date ({value!r})") from None


def _raw(entry: Any, key: str) -> Any:
    # ``in`` first: feedparser maps a missing ``updated`` to ``published`` (with a warning) on get.
    return entry.get(key, None)


def _parse_entry(parsed: feedparser.FeedParserDict, entry: Any, element: ET.Element) -> ArxivPaper:
    """Build an ``ArxivPaper`` from feedparser's ``entry``; ``element`` is the same entry's tree node.

    Namespaced arXiv fields fall back to the tree (matched by URI) when feedparser's keys are
    missing; the error-entry check looks at both ids.
    """
    tree_id = (element.findtext(ATOM + "id") or "").strip()
    id_url = (_raw(entry, "id") or tree_id or "").strip()
    title_raw = _raw(entry, "title") or ""
    summary = (_raw(entry, "summary") or "").strip()
    if "/api/errors" in id_url or "/api/errors" in tree_id:
        raise ParseError(f"arXiv API error: {' '.join(summary.split()) or title_raw.strip() or id_url}")
    arxiv_id, version = parse_arxiv_id(id_url)
    published_at = _date(_raw(entry, "published"), "published", arxiv_id)
    if published_at is None:
        raise ParseError(f"arXiv entry {arxiv_id}: <published> is missing")
    updated_at = _date(_raw(entry, "updated"), "updated", arxiv_id) or published_at

    primary = _extension(parsed, entry, ARXIV_NS, "primary_category")
    primary_term = primary.get("term") if isinstance(primary, Mapping) else None
    if not primary_term:
        node = element.find(ARXIV + "primary_category")
        primary_term = node.get("term") if node is not None else None

    comment = _extension(parsed, entry, ARXIV_NS, "comment")
    if not isinstance(comment, str):
        comment = element.findtext(ARXIV + "comment")

    links = _raw(entry, "links") or []
    pdf_url = next((link.get("href") for link in links if link.get("title") == "pdf"), None)
    authors = tuple(
        " ".join(name.split())
        for name in (author.get("name") for author in _raw(entry, "authors") or [])
        if isinstance(name, str) and name.strip()
    )
    categories = tuple(tag["term"] for tag in _raw(entry, "tags") or [] if tag.get("term"))
    return ArxivPaper(
        arxiv_id=arxiv_id,
        version=version,
        title=" ".join(title_raw.split()),
        summary=summary,
        authors=authors,
        published_at=published_at,
        updated_at=updated_at,
        primary_category=primary_term or None,
        categories=categories,
        comment=comment.strip() if comment and comment.strip() else None,
        abs_url=f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=pdf_url,
    )


def parse_feed(body: bytes) -> ArxivPage:
    """Parse one arXiv API response into an ``ArxivPage``.

    Steps: decode the body as UTF-8 here (invalid bytes become U+FFFD, so that one bad byte
    cannot make a parser re-guess the encoding and garble every non-ASCII title); parse it with
    defusedxml, refusing DTDs and entity declarations before feedparser (whose loose parser can
    expand entities) sees anything; require an Atom ``feed`` root; then extract entries and
    fields with ``feedparser``, cross-checked against the tree (same entry count; namespaced
    arXiv/OpenSearch values read by namespace URI when feedparser's prefix-based keys are
    missing). feedparser's ``bozo`` flag is only logged: the checks above decide.

    Args:
        body (bytes): the response body.

    Returns:
        ArxivPage: paging numbers and papers; ``v1``/``v2`` of one id are folded into one paper
        (the highest version is kept).

    Raises:
        ParseError: not well-formed XML; a DOCTYPE or entity declaration (refused, never
            expanded); a root other than an Atom ``feed`` (e.g. an HTML page served with 200);
            missing OpenSearch counts; arXiv's error entry (with arXiv's message); an entry
            without a parsable arXiv id or ``published`` date; feedparser and the tree
            disagreeing on the number of entries.
    """
    text = body.decode("utf-8", errors="replace").lstrip("\ufeff")
    root = feed_root(text, where="arXiv", roots={ATOM + "feed"}, expected="an Atom <feed>")
    elements = root.findall(ATOM + "entry")
    # The bytes are our own UTF-8 encoding of ``text`` and the header pins that encoding.
    parsed = feedparser_parse(
        text.encode("utf-8"), where="arXiv feed", expected_entries=len(elements), headers=_FEEDPARSER_HEADERS
    )
    papers: dict[str, ArxivPaper] = {}
    for entry, element in zip(parsed.entries, elements, strict=True):
        paper = _parse_entry(parsed, entry, element)
        known = papers.get(paper.arxiv_id)
        if known is None or paper.version > known.version:
            papers[paper.arxiv_id] = paper
    return ArxivPage(
        total_results=_int(parsed, root, "totalResults"),
        start_index=_int(parsed, root, "startIndex"),
        items_per_page=_int(parsed, root, "itemsPerPage"),
        papers=list(papers.values()),
    )


def to_observation(paper: ArxivPaper) -> Observation:
    """Turn an ``ArxivPaper`` into a source-neutral ``Observation``.

    Returns:
        Observation: ``external_id`` = unversioned arXiv id, ``name`` = title, ``org`` None,
        ``url`` = abs URL, ``created_at`` = v1 submission (UTC), ``version`` = version shown,
        and JSON-serialisable ``attrs`` (authors, summary, categories, primary_category, comment,
        pdf_url, updated_at ISO-8601).
    """
    return Observation(
        source=SourceKind.ARXIV,
        external_id=paper.arxiv_id,
        name=paper.title,
        org=None,
        url=paper.abs_url,
        kind=ArtifactKind.PAPER,
        created_at=paper.published_at,
        version=paper.version,
        attrs={
            "authors": list(paper.authors),
            "summary": paper.summary,
            "categories": list(paper.categories),
            "primary_category": paper.primary_category,
            "comment": paper.comment,
            "pdf_url": paper.pdf_url,
            "updated_at": paper.updated_at.isoformat(),
        },
    )


async def _fetch_page(client: HttpClient, settings: Settings, query: str, start: int) -> ArxivPage:
    params = {
        "search_query": query,
        "sortBy": "submittedDate",
        "sortOrder": "descending",
        "start": start,
        "max_results": settings.arxiv.max_results,
    }
    response = await client.get(settings.arxiv.endpoint, params=params)
    return parse_feed(response.content)


async def search(client: HttpClient, settings: Settings, query: str) -> tuple[list[ArxivPaper], bool]:
    """Run one search query, newest submissions first, over up to ``settings.arxiv.max_pages`` pages.

    arXiv sometimes answers a page inside the result range with no entries; that page is asked
    again once, and a second empty answer fails the query (nothing is concluded from it).

    Args:
        client (HttpClient): the HTTP funnel (it spaces arXiv requests).
        settings (Settings): endpoint, ``arxiv_max_results`` per page, ``arxiv_max_pages``.
        query (str): an arXiv ``search_query`` (``au:"Qwen Team"``).

    Returns:
        tuple[list[ArxivPaper], bool]: the papers (versions folded), and whether every result
        was fetched (False when ``arxiv_max_pages`` stopped the paging first).

    Raises:
        ParseError: a bad feed, arXiv's error entry, or an empty page twice.
        SourceHTTPError / RateLimitedError: from the client.
    """
    papers: dict[str, ArxivPaper] = {}
    start = 0
    for _ in range(settings.arxiv.max_pages):
        page = await _fetch_page(client, settings, query, start)
        if not page.papers and start < page.total_results:
            page = await _fetch_page(client, settings, query, start)
            if not page.papers and start < page.total_results:
                raise ParseError(
                    f"arXiv returned an empty page at start={start} of {page.total_results} results "
                    f"for {query!r}, twice; nothing concluded for this query"
                )
        for paper in page.papers:
            known = papers.get(paper.arxiv_id)
            if known is None or paper.version > known.version:
                papers[paper.arxiv_id] = paper
        start += settings.arxiv.max_results
        if start >= page.total_results:
            return list(papers.values()), True
    return list(papers.values()), False


async def poll(client: HttpClient, settings: Settings, lab: LabConfig) -> SourceResult:
    """Run every arXiv query of ``lab``, one after the other, and return what was seen.

    Each query is its own scope (``arxiv:<query>``): a failing query becomes a ``ScopeFailure``
    and the others still run. A scope is complete only when all its results were fetched.

    Args:
        client (HttpClient): the HTTP funnel; ``requests``/``not_modified`` count only this
            poll's requests (``client.counting()``), even when other polls share the client.
        settings (Settings): endpoint and paging settings.
        lab (LabConfig): the lab; its queries (``tracker.sources.arxiv_query.lab_queries``) are run.

    Returns:
        SourceResult: observations (one per arXiv id, highest version), complete scopes, failures.
    """
    result = SourceResult(source=SourceKind.ARXIV, lab=lab.slug)
    papers: dict[str, ArxivPaper] = {}
    with count_requests(client, result):
        for query in lab_queries(lab, settings.papers.category_list):
            scope = f"arxiv:{query}"
            outcome = await run_scope(result, scope, search(client, settings, query))
            if outcome is None:
                continue
            found, complete = outcome
            if complete:
                result.complete_scopes.add(scope)
            for paper in found:
                known = papers.get(paper.arxiv_id)
                if known is None or paper.version > known.version:
                    papers[paper.arxiv_id] = paper
    result.observations = [to_observation(p) for p in papers.values()]
    return result
