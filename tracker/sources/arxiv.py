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
* Paging (3.1.1.2): ``max_results`` is at most 2000 per call and results are served up to the
  30000th only, so ``start + max_results`` never exceeds ``ARXIV_MAX_RESULTS_TOTAL``.

Parsing one response is ``tracker.sources.arxiv_feed`` (re-exported here). A page that stays
empty keeps the pages already fetched: the query is reported and left incomplete (nothing is
withdrawn from an incomplete scope), never discarded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from tracker.config import Settings
from tracker.domain import ArtifactKind, Observation, ScopeFailure, SourceKind, SourceResult
from tracker.errors import ParseError, TrackerError
from tracker.http import HttpClient
from tracker.sources._scopes import count_requests, run_scope
from tracker.sources.arxiv_feed import ArxivPage, ArxivPaper, parse_arxiv_id, parse_feed
from tracker.sources.arxiv_query import lab_queries
from tracker.watchlist import LabConfig

__all__ = ["ArxivPage", "ArxivPaper", "parse_arxiv_id", "parse_feed", "poll", "search", "to_observation"]

log = logging.getLogger(__name__)

#: The last result arXiv's API serves for one query (user manual 3.1.1.2): ``start +
#: max_results`` beyond it is refused or answered empty, so paging stops there (incomplete).
ARXIV_MAX_RESULTS_TOTAL = 30_000


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
            "updated_at": paper.updated_at.isoformat() if paper.updated_at else None,
            **({"date_problems": list(paper.date_problems)} if paper.date_problems else {}),
        },
    )


async def _fetch_page(client: HttpClient, settings: Settings, query: str, start: int, size: int) -> ArxivPage:
    params = {
        "search_query": query,
        "sortBy": "submittedDate",
        "sortOrder": "descending",
        "start": start,
        "max_results": size,
    }
    response = await client.get(settings.arxiv.endpoint, params=params)
    return parse_feed(response.content)


@dataclass(slots=True)
class SearchResult:
    """What one query's paging found.

    Attributes:
        papers (list[ArxivPaper]): every paper fetched (versions folded), kept even when paging
            stopped early. complete (bool): every result was fetched.
        problems (list[str]): why paging stopped early (a page that stayed empty) or which
            entries were skipped; empty when there was nothing to report.
    """

    papers: list[ArxivPaper] = field(default_factory=list)
    complete: bool = False
    problems: list[str] = field(default_factory=list)


def _fold(papers: dict[str, ArxivPaper], page: ArxivPage) -> None:
    for paper in page.papers:
        known = papers.get(paper.arxiv_id)
        if known is None or paper.version > known.version:
            papers[paper.arxiv_id] = paper


async def search(client: HttpClient, settings: Settings, query: str) -> SearchResult:
    """Run one search query, newest submissions first, over up to ``settings.arxiv.max_pages`` pages.

    arXiv sometimes answers a page inside the result range with no entries; that page is asked
    again once, and a second empty answer (or a failure of any later page) stops the paging:
    the pages already fetched are kept and the query is incomplete (a problem says where). Paging never asks beyond the
    ``ARXIV_MAX_RESULTS_TOTAL`` documented cap (the query is then incomplete, not failed).

    Args:
        client (HttpClient): the HTTP funnel (it spaces arXiv requests).
        settings (Settings): endpoint, ``arxiv_max_results`` per page, ``arxiv_max_pages``.
        query (str): an arXiv ``search_query`` (``au:"Qwen Team"``).

    Returns:
        SearchResult: papers, completeness, problems.

    Raises:
        ParseError: a bad feed or arXiv's error entry on the first page (nothing fetched).
        SourceHTTPError / RateLimitedError: from the client, on the first page.
    """
    found = SearchResult()
    papers: dict[str, ArxivPaper] = {}
    start = 0
    for _ in range(settings.arxiv.max_pages):
        size = min(settings.arxiv.max_results, ARXIV_MAX_RESULTS_TOTAL - start)
        try:
            page = await _fetch_page(client, settings, query, start, size)
            if not page.papers and start < page.total_results:
                page = await _fetch_page(client, settings, query, start, size)
                if not page.papers and start < page.total_results:
                    raise ParseError(f"arXiv returned an empty page at start={start} of {page.total_results}, twice")
        except TrackerError as exc:
            if start == 0:
                raise  # nothing fetched: the whole query failed
            found.problems.append(f"{exc}; kept the {len(papers)} paper(s) already fetched, query left incomplete")
            break
        found.problems.extend(page.skipped)
        _fold(papers, page)
        start += size
        if start >= page.total_results:
            found.complete = True
            break
        if start >= ARXIV_MAX_RESULTS_TOTAL:
            log.warning("arXiv query %r: stopped at the API's %d-result cap", query, ARXIV_MAX_RESULTS_TOTAL)
            break
    found.papers = list(papers.values())
    return found


async def poll(client: HttpClient, settings: Settings, lab: LabConfig) -> SourceResult:
    """Run every arXiv query of ``lab``, one after the other, and return what was seen.

    Each query is its own scope (``arxiv:<query>``): a failing query becomes a ``ScopeFailure``
    and the others still run. A scope is complete only when all its results were fetched; a
    query whose paging stopped on a stuck page keeps its papers and reports a ``ScopeFailure``
    (the scope stays incomplete, so nothing is withdrawn).

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
            if outcome.complete:
                result.complete_scopes.add(scope)
            if outcome.problems:
                log.warning("%s/%s: %s", lab.slug, scope, "; ".join(outcome.problems))
                if not outcome.complete:
                    result.failures.append(ScopeFailure(scope, "; ".join(outcome.problems), partial=True))
            _fold(papers, ArxivPage(0, 0, 0, outcome.papers))
    result.observations = [to_observation(p) for p in papers.values()]
    return result
