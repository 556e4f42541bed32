"""The replay hub: an ASGI app serving the corpus as the Hugging Face Hub and arXiv APIs would.

Endpoints (all answers as of the :class:`ReplayClock`'s "now", aware UTC):

* ``GET /api/models?author=ORG[&limit=N][&cursor=C][&full=true][&sort=...][&direction=-1|1]``:
  JSON array of Hub listing items; ``Link: <absolute next url>; rel="next"`` while more remain.
  ``limit`` defaults to and is capped at 1000; ``cursor`` is opaque (urlsafe base64 of the
  offset). ``sort`` is one of ``createdAt`` (default), ``lastModified``, ``downloads``,
  ``likes``, ``trendingScore``, ``id``; ``direction`` ``-1`` (default, descending) or ``1``.
  Documented simplification: ``full``/``expand[]`` are accepted and ignored; every item has
  the full listing shape. No ``author`` or an unknown author -> ``[]``.
* ``GET /api/models/{org}/{name}``: single-model body, or 404 ``{"error": "Repository not
  found"}``. A former name (after a rename) answers ``307`` to the current path, as the Hub does.
* ``GET /api/query``: arXiv Atom feed (classic format) for ``search_query`` (or ``id_list``),
  ``start`` (default 0), ``max_results`` (default 10, as on arXiv), ``sortBy``
  (``submittedDate``/``lastUpdatedDate``/``relevance``), ``sortOrder``.
* Control (never delayed, faulted or counted): ``GET/POST /_replay/clock``,
  ``POST/DELETE /_replay/faults``, ``GET/DELETE /_replay/stats``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import html
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tracker.replay.corpus import ArxivEntry, Corpus, format_hub_time, parse_time

__all__ = ["ReplayClock", "HubState", "create_app", "SYNTH_PREFIX"]

#: Synthetic orgs are named ``synth-0000``, ``synth-0001``, ...
SYNTH_PREFIX = "synth-"
_SYNTH_ITEMS_PER_ORG = 3
_MAX_LIMIT = 1000
_ATOM_TYPE = "application/atom+xml; charset=utf-8"
_SORT_KEYS = {"createdAt", "lastModified", "downloads", "likes", "trendingScore", "id"}


class ReplayClock:
    """Thread-safe settable "now" (aware UTC datetime). It does not advance by itself."""

    def __init__(self, now: datetime | str) -> None:
        self._lock = threading.Lock()
        self._now = parse_time(now)

    def now(self) -> datetime:
        """Current replay time (aware UTC)."""
        with self._lock:
            return self._now

    def set(self, dt: datetime | str) -> datetime:
        """Set the replay time (naive -> UTC); returns it."""
        value = parse_time(dt)
        with self._lock:
            self._now = value
        return value

    def advance(self, seconds: float) -> datetime:
        """Move the replay time forward by ``seconds`` (may be negative); returns the new time."""
        with self._lock:
            self._now = self._now + timedelta(seconds=seconds)
            return self._now


@dataclass
class _Fault:
    path: str
    match: dict[str, str]
    status: int
    headers: dict[str, str]
    body: str | bytes
    remaining: int | None  # None = until cleared

    def applies(self, path: str, params: dict[str, str]) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.path.endswith("*"):
            if not path.startswith(self.path[:-1]):
                return False
        elif path != self.path:
            return False
        return all(params.get(k) == str(v) for k, v in self.match.items())


@dataclass
class HubState:
    """Mutable state of one hub app (faults, stats), shared with :class:`ReplayServer`."""

    corpus: Corpus
    clock: ReplayClock
    latency_s: float = 0.0
    synthetic_orgs: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _faults: list[_Fault] = field(default_factory=list, repr=False)
    _paths: dict[str, int] = field(default_factory=dict, repr=False)
    _requests: dict[str, int] = field(default_factory=dict, repr=False)
    _faults_served: int = 0

    # -- faults
    def add_fault(self, path: str, status: int = 503, match: dict[str, Any] | None = None,
                  headers: dict[str, str] | None = None, body: Any = "", times: int | None = 1) -> None:
        """Serve ``status``/``headers``/``body`` instead of the real answer for the next ``times``
        requests to ``path`` (exact, or a prefix when it ends with ``*``) whose query parameters
        include ``match``. ``times=None`` keeps the fault until cleared. A non-str body is sent
        as JSON."""
        if not isinstance(body, (str, bytes)):
            body = json.dumps(body)
            headers = {"Content-Type": "application/json", **(headers or {})}
        with self._lock:
            self._faults.append(_Fault(path, {k: str(v) for k, v in (match or {}).items()},
                                       int(status), dict(headers or {}), body,
                                       None if times is None else int(times)))

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()

    def _take_fault(self, path: str, params: dict[str, str]) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.applies(path, params):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    self._faults_served += 1
                    return fault
            self._faults = [f for f in self._faults if f.remaining is None or f.remaining > 0]
        return None

    # -- stats
    def _count(self, path: str, params: dict[str, str]) -> None:
        key = path
        if path == "/api/models" and "author" in params:
            key = f"/api/models?author={params['author']}"
        elif path == "/api/query":
            if "search_query" in params:
                key = f"/api/query?search_query={params['search_query']}"
            elif "id_list" in params:
                key = f"/api/query?id_list={params['id_list']}"
        with self._lock:
            self._paths[path] = self._paths.get(path, 0) + 1
            self._requests[key] = self._requests.get(key, 0) + 1

    def stats(self) -> dict[str, Any]:
        """Request counts since start or the last reset::

            {"total": 7,
             "paths": {"/api/models": 5, "/api/query": 2},
             "requests": {"/api/models?author=Qwen": 3, "/api/models?author=THUDM": 2,
                          "/api/query?search_query=au:\\"MiniMax\\"": 2},
             "faults_served": 1}

        ``requests`` keys are the path plus ``author`` (listings) or ``search_query``/``id_list``
        (arXiv); single-model requests are keyed by their path. Fault answers are counted too.
        """
        with self._lock:
            return {"total": sum(self._paths.values()), "paths": dict(self._paths),
                    "requests": dict(self._requests), "faults_served": self._faults_served}

    def reset_stats(self) -> None:
        """Zero all counters."""
        with self._lock:
            self._paths.clear()
            self._requests.clear()
            self._faults_served = 0


# ---------------------------------------------------------------------------- synthetic orgs
def _synth_org_index(org: str, n: int) -> int | None:
    if not org.startswith(SYNTH_PREFIX):
        return None
    digits = org[len(SYNTH_PREFIX):]
    if len(digits) != 4 or not digits.isdigit():
        return None
    i = int(digits)
    return i if i < n else None


def _synth_items(org: str) -> list[dict[str, Any]]:
    """Deterministic listing items for a synthetic org (always visible), createdAt descending."""
    out = []
    base = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for k in range(_SYNTH_ITEMS_PER_ORG):
        repo_id = f"{org}/synth-model-{k}"
        digest = hashlib.sha1(repo_id.encode()).hexdigest()
        created = base + timedelta(days=k, seconds=int(digest[:4], 16))
        _id = f"{int(created.timestamp()):08x}" + digest[:16]
        out.append({
            "_id": _id, "id": repo_id, "author": org, "gated": False,
            "lastModified": format_hub_time(created + timedelta(hours=1)),
            "likes": int(digest[4:6], 16), "trendingScore": 0, "private": False,
            "disabled": False, "sha": hashlib.sha1(digest.encode()).hexdigest(),
            "downloads": int(digest[6:10], 16), "tags": ["transformers", "safetensors", "region:us"],
            "pipeline_tag": "text-generation", "library_name": "transformers",
            "createdAt": format_hub_time(created), "modelId": repo_id,
            "siblings": [{"rfilename": "config.json"}, {"rfilename": "model.safetensors"}],
        })
    out.reverse()
    return out


# ---------------------------------------------------------------------------- helpers
def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status_code=status, headers=headers,
                    media_type="application/json")


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    padded = cursor + "=" * (-len(cursor) % 4)
    text = base64.urlsafe_b64decode(padded.encode()).decode()
    if not text.startswith("offset:"):
        raise ValueError(cursor)
    offset = int(text[len("offset:"):])
    if offset < 0:
        raise ValueError(cursor)
    return offset


def _sort_items(items: list[dict[str, Any]], sort: str, direction: int) -> list[dict[str, Any]]:
    def key(it: dict[str, Any]) -> tuple[Any, str]:
        value = it.get(sort)
        if value is None:
            value = 0 if sort in ("downloads", "likes", "trendingScore") else ""
        return (value, it["_id"])
    return sorted(items, key=key, reverse=direction < 0)


def _arxiv_feed_updated(now: datetime) -> str:
    """arXiv's feed-level ``updated``: today's midnight in US Eastern time."""
    try:
        from zoneinfo import ZoneInfo
        local = now.astimezone(ZoneInfo("America/New_York"))
    except Exception:  # no tz database: EST is close enough
        local = now.astimezone(timezone(timedelta(hours=-5)))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    text = midnight.isoformat()
    return text


def _render_feed(query_desc: str, entries: list[ArxivEntry], total: int, start: int,
                 max_results: int, now: datetime, search_query: str, id_list: str) -> str:
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


# ---------------------------------------------------------------------------- app
def create_app(corpus: Corpus, clock: ReplayClock, *, latency_s: float = 0.0,
               synthetic_orgs: int = 0) -> Starlette:
    """Build the replay hub ASGI app (Starlette) over ``corpus`` as of ``clock.now()``.

    ``latency_s`` (seconds) delays every API answer with ``asyncio.sleep``; ``synthetic_orgs=N``
    adds orgs ``synth-0000``..``synth-{N-1:04d}`` with a few always-visible items each. The
    :class:`HubState` (faults, stats) is at ``app.state.replay``.
    """
    state = HubState(corpus=corpus, clock=clock, latency_s=float(latency_s),
                     synthetic_orgs=int(synthetic_orgs))

    def listing(author: str, now: datetime) -> list[dict[str, Any]]:
        if _synth_org_index(author, state.synthetic_orgs) is not None:
            return _synth_items(author)
        return corpus.listing_view(author, now)

    async def guard(request: Request) -> Response | None:
        """Count, delay and maybe fault an API request; a Response means "answer this"."""
        params = dict(request.query_params)
        path = request.url.path
        state._count(path, params)
        if state.latency_s > 0:
            await asyncio.sleep(state.latency_s)
        fault = state._take_fault(path, params)
        if fault is not None:
            return Response(fault.body, status_code=fault.status, headers=fault.headers)
        return None

    async def list_models(request: Request) -> Response:
        if (early := await guard(request)) is not None:
            return early
        q = request.query_params
        author = q.get("author")
        try:
            limit = int(q.get("limit", _MAX_LIMIT))
            offset = _decode_cursor(q["cursor"]) if q.get("cursor") else 0
            direction = int(q.get("direction", -1))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return _error(400, "Invalid limit, cursor or direction")
        limit = max(1, min(limit, _MAX_LIMIT))
        sort = q.get("sort") or "createdAt"
        if sort not in _SORT_KEYS:
            return _error(400, f"Invalid sort: {sort}")
        items = listing(author, clock.now()) if author else []
        if sort != "createdAt" or direction > 0:
            items = _sort_items(items, sort, direction)
        page = items[offset:offset + limit]
        headers = {}
        if offset + limit < len(items):
            pairs = [(k, v) for k, v in q.multi_items() if k != "cursor"]
            pairs.append(("cursor", _encode_cursor(offset + limit)))
            query = "&".join(f"{quote(k, safe='[]')}={quote(v, safe='')}" for k, v in pairs)
            next_url = str(request.url.replace(query=query))
            headers["Link"] = f'<{next_url}>; rel="next"'
        return _json(page, headers=headers)

    async def model_info(request: Request) -> Response:
        if (early := await guard(request)) is not None:
            return early
        repo_path = request.path_params["repo"].strip("/")
        parts = repo_path.split("/")
        if len(parts) != 2 or not all(parts):
            return _error(404, "Repository not found")
        repo_id = "/".join(parts)
        now = clock.now()
        org = parts[0]
        if _synth_org_index(org, state.synthetic_orgs) is not None:
            for item in _synth_items(org):
                if item["id"] == repo_id:
                    return _json(item)
            return _error(404, "Repository not found")
        info = corpus.model_info(repo_id, now)
        if info is not None:
            return _json(info)
        current = corpus.resolve(repo_id, now)
        if current is not None and current != repo_id:
            target = request.url.replace(path=f"/api/models/{current}")
            return RedirectResponse(str(target), status_code=307)
        return _error(404, "Repository not found")

    async def arxiv_query(request: Request) -> Response:
        if (early := await guard(request)) is not None:
            return early
        q = request.query_params
        search_query = q.get("search_query", "")
        id_list = q.get("id_list", "")
        try:
            start = max(0, int(q.get("start", 0)))
            max_results = max(0, int(q.get("max_results", 10)))
        except ValueError:
            return _error(400, "start and max_results must be integers")
        now = clock.now()
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
        page = entries[start:start + max_results]
        desc_parts = [f"search_query={search_query}"] if search_query else ["search_query="]
        desc = "&".join(desc_parts + [f"id_list={id_list}", f"start={start}", f"max_results={max_results}"])
        body = _render_feed(desc, page, len(entries), start, max_results, now, search_query, id_list)
        return Response(body, media_type=None, headers={"Content-Type": _ATOM_TYPE})

    # -- control
    async def clock_get(request: Request) -> Response:
        return _json({"now": _iso(clock.now())})

    async def clock_post(request: Request) -> Response:
        try:
            data = await request.json()
            if "now" in data:
                clock.set(parse_time(data["now"]))
            elif "advance_s" in data:
                clock.advance(float(data["advance_s"]))
            else:
                return _error(400, 'expected {"now": iso} or {"advance_s": seconds}')
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            return _error(400, f"bad clock request: {exc}")
        return _json({"now": _iso(clock.now())})

    async def faults_post(request: Request) -> Response:
        try:
            data = await request.json()
            for fault in data if isinstance(data, list) else [data]:
                state.add_fault(**fault)
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            return _error(400, f"bad fault: {exc}")
        return _json({"ok": True})

    async def faults_delete(request: Request) -> Response:
        state.clear_faults()
        return _json({"ok": True})

    async def stats_get(request: Request) -> Response:
        return _json(state.stats())

    async def stats_delete(request: Request) -> Response:
        state.reset_stats()
        return _json({"ok": True})

    routes = [
        Route("/api/models", list_models, methods=["GET"]),
        Route("/api/models/{repo:path}", model_info, methods=["GET"]),
        Route("/api/query", arxiv_query, methods=["GET"]),
        Route("/_replay/clock", clock_get, methods=["GET"]),
        Route("/_replay/clock", clock_post, methods=["POST"]),
        Route("/_replay/faults", faults_post, methods=["POST"]),
        Route("/_replay/faults", faults_delete, methods=["DELETE"]),
        Route("/_replay/stats", stats_get, methods=["GET"]),
        Route("/_replay/stats", stats_delete, methods=["DELETE"]),
    ]
    from tracker.replay.extra_sources import extra_routes  # issue 8: ModelScope, GitHub, blogs, daily papers

    routes.extend(extra_routes(state))
    app = Starlette(routes=routes)
    app.state.replay = state
    return app


def _iso(dt: datetime) -> str:
    return parse_time(dt).strftime("%Y-%m-%dT%H:%M:%S") + (
        f".{dt.microsecond:06d}" if dt.microsecond else "") + "Z"
