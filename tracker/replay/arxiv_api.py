"""The replay hub's arXiv endpoint: ``GET /api/query``, an Atom feed in arXiv's classic format.

Parameters as on arXiv: ``search_query`` (or ``id_list``, or both: the ids the query returns),
``start`` (default 0), ``max_results`` (default 10), ``sortBy`` (``submittedDate``,
``lastUpdatedDate`` or ``relevance``), ``sortOrder``. A query is answered only when it is one
the corpus recorded, or one it can evaluate on the recorded papers (``Corpus.arxiv_entries``).
"""

from __future__ import annotations

import hashlib
import html
from datetime import datetime, timedelta, timezone
from urllib.parse import quote
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tracker.replay.papers import ArxivEntry
from tracker.replay.responses import error_response
from tracker.replay.state import HubState

__all__ = ["arxiv_routes"]

_ATOM_TYPE = "application/atom+xml; charset=utf-8"


def _arxiv_feed_updated(now: datetime) -> str:
    """arXiv's feed-level ``updated``: today's midnight in US Eastern time."""
    try:
        local = now.astimezone(ZoneInfo("America/New_York"))
    except Exception:  # no tz database: EST is close enough
        local = now.astimezone(timezone(timedelta(hours=-5)))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    text = midnight.isoformat()
    return text


def _render_feed(
    query_desc: str,
    entries: list[ArxivEntry],
    total: int,
    start: int,
    max_results: int,
    now: datetime,
    search_query: str,
    id_list: str,
) -> str:
    """Render one page of ``entries`` (``total`` in all) as arXiv's Atom feed, as of ``now`` (UTC)."""
    self_q = f"search_query={search_query}&id_list={id_list}&start={start}&max_results={max_results}"
    feed_id = hashlib.sha1(self_q.encode()).hexdigest()[:27]
    os_ns = 'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f'  <link href="http://arxiv.org/api/query?{html.escape(quote(self_q, safe=""))}" '
        'rel="self" type="application/atom+xml"/>',
        f'  <title type="html">ArXiv Query: {html.escape(query_desc, quote=False)}</title>',
        f"  <id>http://arxiv.org/api/{feed_id}</id>",
        f"  <updated>{_arxiv_feed_updated(now)}</updated>",
        f"  <opensearch:totalResults {os_ns}>{total}</opensearch:totalResults>",
        f"  <opensearch:startIndex {os_ns}>{start}</opensearch:startIndex>",
        f"  <opensearch:itemsPerPage {os_ns}>{max_results}</opensearch:itemsPerPage>",
    ]
    for entry in entries:
        lines.append(entry.xml.rstrip())
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


async def arxiv_query(request: Request) -> Response:
    """``GET /api/query``: the papers a recorded query (or id list) returns as of the hub's now."""
    state: HubState = request.app.state.replay
    if (early := await state.admit(request)) is not None:
        return early
    corpus = state.corpus
    q = request.query_params
    search_query = q.get("search_query", "")
    id_list = q.get("id_list", "")
    try:
        start = max(0, int(q.get("start", 0)))
        max_results = max(0, int(q.get("max_results", 10)))
    except ValueError:
        return error_response(400, "start and max_results must be integers")
    now = state.clock.now()
    if id_list:
        entries = corpus.arxiv_by_ids([s for s in id_list.split(",") if s.strip()], now)
        if search_query:
            allowed = {e.arxiv_id for e in corpus.arxiv_entries(search_query, now)}
            entries = [e for e in entries if e.arxiv_id in allowed]
    else:
        entries = corpus.arxiv_entries(search_query, now) if search_query else []
    sort_by = q.get("sortBy", "relevance")
    descending = q.get("sortOrder", "descending") != "ascending"
    if sort_by == "lastUpdatedDate":
        entries = sorted(entries, key=lambda e: (e.updated, e.arxiv_id), reverse=descending)
    elif sort_by == "submittedDate" or not id_list:
        entries = sorted(entries, key=lambda e: (e.published, e.arxiv_id), reverse=descending)
    page = entries[start : start + max_results]
    desc_parts = [f"search_query={search_query}"] if search_query else ["search_query="]
    desc = "&".join([*desc_parts, f"id_list={id_list}", f"start={start}", f"max_results={max_results}"])
    body = _render_feed(desc, page, len(entries), start, max_results, now, search_query, id_list)
    return Response(body, media_type=None, headers={"Content-Type": _ATOM_TYPE})


def arxiv_routes() -> list[Route]:
    """The arXiv endpoint's route."""
    return [Route("/api/query", arxiv_query, methods=["GET"])]
