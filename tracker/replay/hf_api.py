"""The replay hub's Hugging Face Hub endpoints: the model listing and the single-model body.

* ``GET /api/models?author=ORG[&limit=N][&cursor=C][&full=true][&sort=...][&direction=-1|1]``:
  JSON array of Hub listing items; ``Link: <absolute next url>; rel="next"`` while more remain.
  ``limit`` defaults to and is capped at 1000; ``cursor`` is opaque (urlsafe base64 of the
  offset). ``sort`` is one of ``createdAt`` (default), ``lastModified``, ``downloads``,
  ``likes``, ``trendingScore``, ``id``; ``direction`` ``-1`` (default, descending) or ``1``.
  ``expand[]=<property>`` (repeatable) returns only ``_id``, ``id`` and those properties
  (``downloadsAllTime`` among them); combined with ``full`` it is a 400, as on the Hub. Without
  ``expand[]`` every item has the full listing shape.
  ``filter=<tag>`` (repeatable, all must match, any case) lists every org's models with that tag;
  with ``author`` both apply. An unknown author -> ``[]``. No ``author`` nor ``filter``: the
  global listing of every org's repos plus **synthetic** noise (``tracker.replay.radar``), with a
  synthetic ``trendingScore``.
* Counters grow over replayed time and base models have third-party derivatives: both
  **synthetic**, see ``tracker.replay.adoption`` (real derivatives of the corpus are served too).
* ``GET /api/models/{org}/{name}``: single-model body, or 404 ``{"error": "Repository not
  found"}``. A former name (after a rename) answers ``307`` to the current path, as the Hub does.

Synthetic orgs ``synth-0000``.. (``HubState.synthetic_orgs`` of them) list a few always-visible
items each, for load tests over many orgs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tracker.replay.adoption import grown, synthetic_derivatives
from tracker.replay.clock import format_hub_time, parse_time
from tracker.replay.radar import global_items
from tracker.replay.responses import error_response, json_response
from tracker.replay.state import HubState

__all__ = ["SYNTH_PREFIX", "hf_routes"]

#: Synthetic orgs are named ``synth-0000``, ``synth-0001``, ...
SYNTH_PREFIX = "synth-"
_MAX_LIMIT = 1000
_SORT_KEYS = {"createdAt", "lastModified", "downloads", "likes", "trendingScore", "id"}


def _synth_org_index(org: str, n: int) -> int | None:
    if not org.startswith(SYNTH_PREFIX):
        return None
    digits = org[len(SYNTH_PREFIX) :]
    if len(digits) != 4 or not digits.isdigit():
        return None
    i = int(digits)
    return i if i < n else None


def _synth_items(org: str, count: int) -> list[dict[str, Any]]:
    """``count`` deterministic listing items for a synthetic org (always visible), createdAt descending."""
    out = []
    base = datetime(2024, 1, 1, tzinfo=UTC)
    for k in range(count):
        repo_id = f"{org}/synth-model-{k}"
        digest = hashlib.sha1(repo_id.encode()).hexdigest()
        created = base + timedelta(days=k, seconds=int(digest[:4], 16))
        _id = f"{int(created.timestamp()):08x}" + digest[:16]
        out.append(
            {
                "_id": _id,
                "id": repo_id,
                "author": org,
                "gated": False,
                "lastModified": format_hub_time(created + timedelta(hours=1)),
                "likes": int(digest[4:6], 16),
                "trendingScore": 0,
                "private": False,
                "disabled": False,
                "sha": hashlib.sha1(digest.encode()).hexdigest(),
                "downloads": int(digest[6:10], 16),
                "tags": ["transformers", "safetensors", "region:us"],
                "pipeline_tag": "text-generation",
                "library_name": "transformers",
                "createdAt": format_hub_time(created),
                "modelId": repo_id,
                "siblings": [{"rfilename": "config.json"}, {"rfilename": "model.safetensors"}],
            }
        )
    out.reverse()
    return out


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    padded = cursor + "=" * (-len(cursor) % 4)
    text = base64.urlsafe_b64decode(padded.encode()).decode()
    if not text.startswith("offset:"):
        raise ValueError(cursor)
    offset = int(text[len("offset:") :])
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


def _start(state: HubState, item: dict[str, Any]) -> datetime | None:
    start = state.corpus.start_of(item["_id"])
    if start is None and isinstance(item.get("createdAt"), str):
        start = parse_time(item["createdAt"])
    return start


def _listing(state: HubState, author: str, now: datetime) -> list[dict[str, Any]]:
    if _synth_org_index(author, state.synthetic_orgs) is not None:
        items = _synth_items(author, state.synthetic_repos)
    else:
        items = state.corpus.listing_view(author, now)
    return [grown(it, _start(state, it), now) for it in items]


def _base_item(state: HubState, repo_id: str, now: datetime) -> dict[str, Any] | None:
    org = repo_id.split("/", 1)[0]
    if _synth_org_index(org, state.synthetic_orgs) is not None:
        return next(
            (it for it in _synth_items(org, state.synthetic_repos) if it["id"].lower() == repo_id.lower()), None
        )
    return state.corpus.find_visible(repo_id, now)


def _filtered(state: HubState, tags: list[str], author: str | None, now: datetime) -> list[dict[str, Any]]:
    """Items carrying every tag in ``tags``: corpus repos, plus synthetic derivatives of a base."""
    first = tags[0]
    items = [grown(it, _start(state, it), now) for it in state.corpus.tagged(first, now)]
    if first.lower().startswith("base_model:"):
        base_id = first.split(":")[-1]
        base = _base_item(state, base_id, now)
        if base is not None:
            items += synthetic_derivatives(base["id"], base, _start(state, base), now)
    wanted = [t.lower() for t in tags]
    items = [it for it in items if all(w in {str(t).lower() for t in it.get("tags") or ()} for w in wanted)]
    if author:
        items = [it for it in items if str(it.get("author", "")).lower() == author.lower()]
    items.sort(key=lambda it: (it.get("createdAt") or "", it["_id"]), reverse=True)
    return items


def _without_all_time(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "downloadsAllTime"}


def _project(items: list[dict[str, Any]], expand: list[str]) -> list[dict[str, Any]]:
    keep = {"_id", "id", *expand}
    return [{k: v for k, v in it.items() if k in keep} for it in items]


async def list_models(request: Request) -> Response:
    """``GET /api/models``: one page of an org's listing as of the hub's now."""
    state: HubState = request.app.state.replay
    if (early := await state.admit(request)) is not None:
        return early
    q = request.query_params
    author = q.get("author")
    try:
        limit = int(q.get("limit", _MAX_LIMIT))
        offset = _decode_cursor(q["cursor"]) if q.get("cursor") else 0
        direction = int(q.get("direction", -1))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return error_response(400, "Invalid limit, cursor or direction")
    limit = max(1, min(limit, _MAX_LIMIT))
    sort = q.get("sort") or "createdAt"
    if sort not in _SORT_KEYS:
        return error_response(400, f"Invalid sort: {sort}")
    expand = q.getlist("expand[]") or q.getlist("expand")
    if expand and q.get("full") not in (None, "", "false", "False"):
        return error_response(400, "expand cannot be used with full, config or cardData")
    now = state.clock.now()
    filters = [f for f in q.getlist("filter") if f]
    items = []
    if filters:
        items = _filtered(state, filters, author, now)
    elif author:
        items = _listing(state, author, now)
    else:
        items = global_items(state.corpus, now)
    if sort != "createdAt" or direction > 0:
        items = _sort_items(items, sort, direction)
    # downloadsAllTime only through expand[], as on the Hub
    items = _project(items, expand) if expand else [_without_all_time(it) for it in items]
    page = items[offset : offset + limit]
    headers = {}
    if offset + limit < len(items):
        pairs = [(k, v) for k, v in q.multi_items() if k != "cursor"]
        pairs.append(("cursor", _encode_cursor(offset + limit)))
        query = "&".join(f"{quote(k, safe='[]')}={quote(v, safe='')}" for k, v in pairs)
        next_url = str(request.url.replace(query=query))
        headers["Link"] = f'<{next_url}>; rel="next"'
    return json_response(page, headers=headers)


async def model_info(request: Request) -> Response:
    """``GET /api/models/{org}/{name}``: the model body, a 307 from a former name, or 404."""
    state: HubState = request.app.state.replay
    if (early := await state.admit(request)) is not None:
        return early
    repo_path = request.path_params["repo"].strip("/")
    parts = repo_path.split("/")
    if len(parts) != 2 or not all(parts):
        return error_response(404, "Repository not found")
    repo_id = "/".join(parts)
    now = state.clock.now()
    org = parts[0]
    if _synth_org_index(org, state.synthetic_orgs) is not None:
        for item in _synth_items(org, state.synthetic_repos):
            if item["id"] == repo_id:
                return json_response(item)
        return error_response(404, "Repository not found")
    info = state.corpus.model_info(repo_id, now)
    if info is not None:
        return json_response(_without_all_time(grown(info, _start(state, info), now)))
    current = state.corpus.resolve(repo_id, now)
    if current is not None and current != repo_id:
        target = request.url.replace(path=f"/api/models/{current}")
        return RedirectResponse(str(target), status_code=307)
    return error_response(404, "Repository not found")


def hf_routes() -> list[Route]:
    """The Hub endpoints' routes (the listing before the single-model path it would shadow)."""
    return [
        Route("/api/models", list_models, methods=["GET"]),
        Route("/api/models/{repo:path}", model_info, methods=["GET"]),
    ]
