"""One arXiv API response, parsed as untrusted input: ``parse_feed`` -> ``ArxivPage`` of ``ArxivPaper``.

API facts used here (arXiv API User's Manual, info.arxiv.org/help/api/user-manual.html, 3.3):
each ``<entry>`` has ``<id>http://arxiv.org/abs/<id>v<N></id>`` (``https://`` in the late-2025
header style), ``<published>`` (v1 submission), ``<updated>`` (this version), ``<title>``,
``<summary>``, ``<author><name>``, ``<category term>``, ``<arxiv:primary_category term>``,
optional ``<arxiv:comment>`` and ``<link title="pdf">``; errors come back with HTTP 200 as a feed
with one entry whose ``<id>`` is ``http://arxiv.org/api/errors#...``.

Parsing is two-stage on a document we decode ourselves as UTF-8 (bad bytes replaced). First a
safety gate: the standard library's ElementTree through ``defusedxml`` refuses DTDs and entity
declarations (before feedparser, whose loose parser can expand entities, sees anything), and
anything that is not an Atom ``feed`` (an HTML error page served with 200, a plain-text "Rate
exceeded.") is a ``ParseError`` rather than an empty result. Then ``feedparser`` extracts the
entries and fields; arXiv/OpenSearch extension elements, which feedparser keys by the document's
prefix, are looked up through the prefixes bound to their namespace URIs, with the tree (matched
by URI) as the fallback, so both header styles and a future prefix change parse the same.

One unreadable entry (no arXiv id) is skipped and reported, never the page; a date that is not
ISO 8601 / RFC 822, or implausible, is stored as unknown and flagged (``tracker.external``).
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from tracker.domain import utcnow
from tracker.errors import ParseError
from tracker.external import parse_date
from tracker.sources._xml import ATOM, feed_root, feedparser_parse

__all__ = ["ArxivPage", "ArxivPaper", "parse_arxiv_id", "parse_feed"]

log = logging.getLogger(__name__)

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
        published_at (datetime, optional): submission of v1, UTC; None when the entry's date is
            missing, not ISO 8601/RFC 822, or implausible (``date_problems`` says which).
        updated_at (datetime, optional): this version, UTC (``published_at`` when absent).
        primary_category (str, optional): ``arxiv:primary_category`` term (``cs.CL``).
        categories (tuple[str, ...]): every ``category`` term.
        comment (str, optional): ``arxiv:comment`` (pages, figures, links), stripped.
        abs_url (str): unversioned ``https://arxiv.org/abs/<id>``.
        pdf_url (str, optional): the ``link title="pdf"`` href, as served.
        date_problems (tuple[str, ...]): dates present but unreadable or implausible.
    """

    arxiv_id: str
    version: int
    title: str
    summary: str
    authors: tuple[str, ...]
    published_at: datetime | None
    updated_at: datetime | None
    primary_category: str | None
    categories: tuple[str, ...]
    comment: str | None
    abs_url: str
    pdf_url: str | None
    date_problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ArxivPage:
    """One page of search results.

    Attributes:
        total_results (int): ``opensearch:totalResults`` for the whole query.
        start_index (int): ``opensearch:startIndex`` (0-based offset of this page).
        items_per_page (int): ``opensearch:itemsPerPage`` (the ``max_results`` asked).
        papers (list[ArxivPaper]): this page's papers, versions folded (highest kept), feed order.
        skipped (list[str]): why each unreadable entry (no arXiv id) was left out; its
            neighbours are kept.
    """

    total_results: int
    start_index: int
    items_per_page: int
    papers: list[ArxivPaper] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


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


#: arXiv opened in August 1991: an earlier date on an entry is a broken one.
ARXIV_FIRST = datetime(1991, 8, 1, tzinfo=UTC)


class _BadEntry(ParseError):
    """Internal: one entry cannot be read (no arXiv id); it is skipped, its neighbours kept."""


def _date(value: Any, tag: str, arxiv_id: str, problems: list[str]) -> datetime | None:
    text = value if isinstance(value, str) else None
    when, problem = parse_date(text, what=f"arXiv entry {arxiv_id} <{tag}>", now=utcnow(), earliest=ARXIV_FIRST)
    if problem:
        problems.append(problem)
    return when


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
    try:
        arxiv_id, version = parse_arxiv_id(id_url)
    except ParseError as exc:
        raise _BadEntry(str(exc)) from None
    problems: list[str] = []
    published_at = _date(_raw(entry, "published"), "published", arxiv_id, problems)
    updated_at = _date(_raw(entry, "updated"), "updated", arxiv_id, problems) or published_at

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
        date_problems=tuple(problems),
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
            missing OpenSearch counts; arXiv's error entry (with arXiv's message); feedparser
            and the tree disagreeing on the number of entries. An entry without an arXiv id is
            skipped (``ArxivPage.skipped``); a bad or implausible date is stored as unknown.
    """
    text = body.decode("utf-8", errors="replace").lstrip("\ufeff")
    root = feed_root(text, where="arXiv", roots={ATOM + "feed"}, expected="an Atom <feed>")
    elements = root.findall(ATOM + "entry")
    # The bytes are our own UTF-8 encoding of ``text`` and the header pins that encoding.
    parsed = feedparser_parse(
        text.encode("utf-8"), where="arXiv feed", expected_entries=len(elements), headers=_FEEDPARSER_HEADERS
    )
    papers: dict[str, ArxivPaper] = {}
    skipped: list[str] = []
    for entry, element in zip(parsed.entries, elements, strict=True):
        try:
            paper = _parse_entry(parsed, entry, element)
        except _BadEntry as exc:  # arXiv's error entry is not a _BadEntry: it still fails the page
            log.warning("arXiv feed: entry skipped, neighbours kept: %s", exc)
            skipped.append(str(exc))
            continue
        known = papers.get(paper.arxiv_id)
        if known is None or paper.version > known.version:
            papers[paper.arxiv_id] = paper
    return ArxivPage(
        total_results=_int(parsed, root, "totalResults"),
        start_index=_int(parsed, root, "startIndex"),
        items_per_page=_int(parsed, root, "itemsPerPage"),
        papers=list(papers.values()),
        skipped=skipped,
    )
