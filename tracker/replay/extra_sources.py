"""Replay endpoints for the sources beyond the Hub and arXiv: ModelScope, GitHub, lab blogs, Hub daily papers.

Mounted by ``tracker.replay.hub.create_app`` on the same server as the Hub and arXiv replays,
answering as of the hub clock's "now" from ``corpus/extra/*.json`` (see each file's ``_about``):

* ``PUT /api/v1/models/`` with ``{"Path", "PageNumber", "PageSize"}``: ModelScope's listing
  envelope ``{"Code": 200, "Success": true, "Data": {"Models": [...], "TotalCount": N}, ...}``.
* ``GET /github/{owner}/{repo}/releases.atom`` and ``/tags.atom``: GitHub's Atom feeds
  (latest 10 entries, newest first). Point ``TRACKER_GITHUB_URL`` at ``<hub>/github``.
* ``GET /github-api/orgs/{org}/repos``: REST org repos (``sort=created``, newest first, with
  ``X-RateLimit-*`` headers). Point ``TRACKER_GITHUB_API_URL`` at ``<hub>/github-api``.
* ``GET /blog/{lab}/index.xml``: a lab blog as RSS 2.0.
* ``GET /api/daily_papers``: the Hub's daily papers (newest first, ``limit``).

Every GET answers with an ``ETag`` (and ``Last-Modified`` for feeds) and honours
``If-None-Match``/``If-Modified-Since`` with 304, as GitHub and most blogs do. Requests are
counted and can be faulted like the other hub endpoints (``HubState.add_fault``), but never
delayed by the hub's latency.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from importlib import resources
from typing import Any
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tracker.replay.clock import parse_time
from tracker.replay.state import HubState

__all__ = ["extra_routes", "load_extra"]


@cache
def load_extra(name: str) -> dict[str, Any]:
    """Load ``corpus/extra/<name>.json`` (packaged data)."""
    text = resources.files("tracker.replay").joinpath("corpus", "extra", f"{name}.json").read_text("utf-8")
    return json.loads(text)


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _conditional(
    request: Request, body: bytes, media_type: str, last: datetime | None, extra: dict[str, str] | None = None
) -> Response:
    """Answer ``body`` or 304, with an ETag (quoted sha1) and Last-Modified when known."""
    etag = '"' + hashlib.sha1(body).hexdigest() + '"'
    headers = {"ETag": etag, **(extra or {})}
    if last is not None:
        headers["Last-Modified"] = format_datetime(last, usegmt=True)
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    since = request.headers.get("if-modified-since")
    if since and last is not None and "if-none-match" not in request.headers:
        try:
            if last.replace(microsecond=0) <= parsedate_to_datetime(since):
                return Response(status_code=304, headers=headers)
        except (TypeError, ValueError):
            pass
    return Response(body, media_type=media_type, headers=headers)


def _atom(title: str, feed_id: str, link: str, entries: list[tuple[str, str, str, datetime, str]]) -> bytes:
    """Render an Atom feed; ``entries`` = (id, title, link, updated, html content)."""
    updated = max((e[3] for e in entries), default=None)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-US">',
        f"  <id>{escape(feed_id)}</id>",
        f'  <link type="text/html" rel="alternate" href="{escape(link)}"/>',
        f"  <title>{escape(title)}</title>",
    ]
    if updated is not None:
        lines.append(f"  <updated>{_iso(updated)}</updated>")
    for entry_id, entry_title, href, when, content in entries:
        lines += [
            "  <entry>",
            f"    <id>{escape(entry_id)}</id>",
            f"    <updated>{_iso(when)}</updated>",
            f'    <link rel="alternate" type="text/html" href="{escape(href)}"/>',
            f"    <title>{escape(entry_title)}</title>",
            f'    <content type="html">{escape(content)}</content>',
            "    <author><name>replay</name></author>",
            "  </entry>",
        ]
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")


async def _admit(request: Request) -> tuple[HubState, Response | None]:
    """Count the request and take a pending fault (these endpoints are never delayed)."""
    state: HubState = request.app.state.replay
    return state, await state.admit(request, delay=False)


async def modelscope_list(request: Request) -> Response:
    """``PUT /api/v1/models/``: one page of an org's ModelScope models public by the hub's now."""
    state, early = await _admit(request)
    if early is not None:
        return early
    try:
        query = await request.json()
        org, page, size = str(query["Path"]), int(query.get("PageNumber", 1)), int(query.get("PageSize", 10))
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"Code": 400, "Success": False, "Message": "bad request"}, status_code=400)
    now = state.clock.now()
    visible = [
        {k: v for k, v in item.items() if not k.startswith("_")}
        for item in load_extra("modelscope").get(org, [])
        if isinstance(item, dict) and parse_time(item["_public_at"]) <= now
    ]
    visible.sort(key=lambda m: m.get("CreatedTime") or 0, reverse=True)
    start = max(0, (page - 1) * size)
    return JSONResponse(
        {
            "Code": 200,
            "Success": True,
            "Message": "success",
            "RequestId": "replay",
            "Data": {"Models": visible[start : start + size], "TotalCount": len(visible)},
        }
    )


async def github_feed(request: Request) -> Response:
    """``GET /github/{owner}/{repo}/{releases|tags}.atom``: the latest 10 entries out by now."""
    state, early = await _admit(request)
    if early is not None:
        return early
    owner, repo, kind = (request.path_params[k] for k in ("owner", "repo", "kind"))
    full = f"{owner}/{repo}"
    data = load_extra("github")["repos"].get(full)
    if data is None or kind not in ("releases", "tags"):
        return Response("Not Found", status_code=404)
    now = state.clock.now()
    items = sorted((i for i in data[kind] if parse_time(i["at"]) <= now), key=lambda i: i["at"], reverse=True)[:10]
    entries = [
        (
            f"tag:github.com,2008:Repository/{data['repo_id']}/{i['tag']}",
            i.get("title") or i["tag"],
            f"https://github.com/{full}/releases/tag/{i['tag']}",
            parse_time(i["at"]),
            i.get("body", ""),
        )
        for i in items
    ]
    title = f"Release notes from {repo}" if kind == "releases" else f"Tags from {repo}"
    body = _atom(
        title, f"tag:github.com,2008:https://github.com/{full}/{kind}", f"https://github.com/{full}/{kind}", entries
    )
    return _conditional(
        request, body, "application/atom+xml; charset=utf-8", max((e[3] for e in entries), default=None)
    )


async def github_org_repos(request: Request) -> Response:
    """``GET /github-api/orgs/{org}/repos``: the org's repos created by now, newest first."""
    state, early = await _admit(request)
    if early is not None:
        return early
    org = request.path_params["org"]
    repos = load_extra("github")["orgs"].get(org)
    if repos is None:
        return JSONResponse({"message": "Not Found"}, status_code=404)
    now = state.clock.now()
    visible = sorted(
        (r for r in repos if parse_time(r["created_at"]) <= now), key=lambda r: r["created_at"], reverse=True
    )
    per_page = int(request.query_params.get("per_page", 30))
    items = [
        {
            **r,
            "full_name": f"{org}/{r['name']}",
            "html_url": f"https://github.com/{org}/{r['name']}",
            "private": False,
            "owner": {"login": org},
        }
        for r in visible[:per_page]
    ]
    body = json.dumps(items).encode()
    reset = str(int(now.timestamp()) + 3600)
    return _conditional(
        request,
        body,
        "application/json; charset=utf-8",
        None,
        {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "59", "X-RateLimit-Reset": reset},
    )


async def blog_feed(request: Request) -> Response:
    """``GET /blog/{lab}/index.xml``: the lab blog's posts published by now, as RSS 2.0."""
    state, early = await _admit(request)
    if early is not None:
        return early
    blog = load_extra("blogs").get(request.path_params["lab"])
    if blog is None:
        return Response("<html><body>Not Found</body></html>", status_code=404, media_type="text/html")
    now = state.clock.now()
    items = sorted((i for i in blog["items"] if parse_time(i["at"]) <= now), key=lambda i: i["at"], reverse=True)
    last = max((parse_time(i["at"]) for i in items), default=None)
    lines = [
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?>',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">',
        "  <channel>",
        f"    <title>{escape(blog['title'])}</title>",
        f"    <link>{escape(blog['link'])}</link>",
        "    <description>Recent content</description>",
    ]
    for item in items:
        lines += [
            "    <item>",
            f"      <title>{escape(item['title'])}</title>",
            f"      <link>{escape(item['link'])}</link>",
            f"      <pubDate>{format_datetime(parse_time(item['at']), usegmt=True)}</pubDate>",
            f"      <guid>{escape(item['link'])}</guid>",
            f"      <description>{escape(item.get('description', ''))}</description>",
            "    </item>",
        ]
    lines += ["  </channel>", "</rss>"]
    return _conditional(request, ("\n".join(lines) + "\n").encode(), "application/rss+xml; charset=utf-8", last)


async def daily_papers(request: Request) -> Response:
    """``GET /api/daily_papers``: the Hub's daily papers featured by now, newest first."""
    state, early = await _admit(request)
    if early is not None:
        return early
    now = state.clock.now()
    limit = int(request.query_params.get("limit", 50))
    entries = sorted(
        (e for e in load_extra("daily_papers")["entries"] if parse_time(e["_featured_at"]) <= now),
        key=lambda e: e["_featured_at"],
        reverse=True,
    )[:limit]
    items = [
        {**{k: v for k, v in e.items() if not k.startswith("_")}, "publishedAt": e["_featured_at"]} for e in entries
    ]
    return _conditional(request, json.dumps(items).encode(), "application/json; charset=utf-8", None)


def extra_routes() -> list[Route]:
    """The extra sources' routes."""
    return [
        Route("/api/v1/models/", modelscope_list, methods=["PUT"]),
        Route("/github/{owner}/{repo}/{kind:str}.atom", github_feed, methods=["GET"]),
        Route("/github-api/orgs/{org}/repos", github_org_repos, methods=["GET"]),
        Route("/blog/{lab}/index.xml", blog_feed, methods=["GET"]),
        Route("/api/daily_papers", daily_papers, methods=["GET"]),
    ]
