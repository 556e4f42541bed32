"""The Hub's global model listings the radar reads: trending, newest and most liked, every org.

API facts used here (Hub ``GET /api/models``, as ``huggingface_hub.HfApi.list_models`` calls it):

* Without ``author`` or ``filter`` the listing covers the whole Hub. ``sort=trendingScore``
  orders by the Hub's trending score (recent likes, what hf.co/models shows as "Trending"),
  ``sort=createdAt`` by repo creation, ``sort=likes`` by all-time likes; ``direction=-1`` is
  descending; ``limit`` caps one page (the radar takes one page per listing, never the next).
* Each item carries ``_id``, ``id`` (``org/name``), ``likes``, ``downloads`` (last 30 days),
  ``trendingScore``, ``createdAt`` and ``tags``; lineage is in the tags: ``base_model:<repo>``
  and ``base_model:<relation>:<repo>`` (``finetune``, ``quantized``, ``adapter``, ``merge``),
  papers in ``arxiv:<id>``; ``custom_code`` marks a repo that ships its own modeling code (its
  config maps the architecture to files in the repo: one ``transformers`` does not have yet).

One item that cannot be parsed is counted and skipped: the other items of the page still count
(the radar only ranks, it never concludes that a repo is gone from a global listing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.config import Settings
from tracker.errors import ParseError
from tracker.http import HttpClient
from tracker.sources._fields import load_json
from tracker.sources.huggingface import HubModel

__all__ = ["LISTINGS", "GlobalPage", "GlobalRepo", "fetch_global", "parse_global"]

#: The radar's listings: name -> the Hub's ``sort`` key (all descending).
LISTINGS: dict[str, str] = {"trending": "trendingScore", "newest": "createdAt", "liked": "likes"}
_MAX_ID = 300


@dataclass(frozen=True, slots=True)
class GlobalRepo:
    """One repo as a global listing showed it.

    Attributes:
        repo_id: ``org/name`` as the Hub spells it. org: the part before ``/``.
        object_id: the Hub ``_id`` (stable across renames).
        rank: 1-based position in the listing it came from (1 = top).
        created_at: ``createdAt`` (UTC) or None. likes, downloads (30 days), trending_score: the
            counters, None when absent.
        bases: ``(relation, base repo id)`` from ``base_model:`` tags; relation None for a plain tag.
        arxiv_ids: from ``arxiv:`` tags. pipeline_tag: the Hub task, or None.
        custom_code: the ``custom_code`` tag (its own modeling code).
    """

    repo_id: str
    org: str
    object_id: str
    rank: int
    created_at: datetime | None
    likes: int | None
    downloads: int | None
    trending_score: float | None
    bases: tuple[tuple[str | None, str], ...]
    arxiv_ids: tuple[str, ...]
    pipeline_tag: str | None
    custom_code: bool = False


@dataclass(frozen=True, slots=True)
class GlobalPage:
    """One global listing page: its repos in listing order and how many items were unusable."""

    listing: str
    repos: tuple[GlobalRepo, ...]
    skipped: int


def _trending(item: dict[str, Any]) -> float | None:
    value = item.get("trendingScore")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return max(0.0, float(value))


def _repo(item: Any, rank: int, where: str) -> GlobalRepo:
    model = HubModel.from_api(item, where=where)
    org, sep, name = model.repo_id.partition("/")
    if not sep or not org or not name or len(model.repo_id) > _MAX_ID:
        raise ParseError(f"{where}: repo id {model.repo_id[:80]!r} is not 'org/name'")
    if model.private or model.disabled:
        raise ParseError(f"{where}: private or disabled")
    return GlobalRepo(
        repo_id=model.repo_id,
        org=org,
        object_id=model.object_id,
        rank=rank,
        created_at=model.created_at,
        likes=None if model.likes is None else max(0, model.likes),
        downloads=None if model.downloads is None else max(0, model.downloads),
        trending_score=_trending(item),
        bases=tuple(model.base_models),
        arxiv_ids=tuple(a[:32] for a in model.arxiv_ids),
        pipeline_tag=model.pipeline_tag,
        custom_code="custom_code" in model.tags,
    )


def parse_global(body: bytes, listing: str) -> GlobalPage:
    """Parse one global listing page; items that cannot be parsed are skipped and counted.

    Args:
        body (bytes): the JSON array the Hub returned. listing (str): a key of ``LISTINGS``.

    Returns:
        GlobalPage: parsed repos, ranks numbered from 1 in listing order (skipped items keep
        their position, so a rank is where the Hub put the repo).

    Raises:
        ParseError: the body is not a JSON array.
    """
    data = load_json(body, f"Hub {listing} listing")
    if not isinstance(data, list):
        raise ParseError(f"Hub {listing} listing: expected a JSON array, got {type(data).__name__}")
    repos: list[GlobalRepo] = []
    skipped = 0
    seen: set[str] = set()
    for index, item in enumerate(data):
        try:
            repo = _repo(item, index + 1, f"Hub {listing} listing, item #{index}")
        except ParseError:
            skipped += 1
            continue
        if repo.repo_id.lower() in seen:
            continue
        seen.add(repo.repo_id.lower())
        repos.append(repo)
    return GlobalPage(listing=listing, repos=tuple(repos), skipped=skipped)


async def fetch_global(client: HttpClient, settings: Settings, listing: str, *, limit: int) -> GlobalPage:
    """Fetch one page of a global listing (one request, retries aside).

    Args:
        listing (str): ``trending``, ``newest`` or ``liked`` (``LISTINGS``). limit (int): items, 1..1000.

    Raises:
        KeyError: an unknown listing. SourceHTTPError / RateLimitedError: from the client.
        ParseError: the body is not a JSON array.
    """
    params = {"sort": LISTINGS[listing], "direction": -1, "limit": max(1, min(int(limit), 1000))}
    response = await client.get(f"{settings.hub.endpoint.rstrip('/')}/api/models", params=params)
    return parse_global(response.content, listing)
