"""Hugging Face Hub listings the adoption step reads: derivatives of a base model, all-time downloads.

API facts used here (Hub ``GET /api/models``, as ``huggingface_hub.HfApi.list_models`` calls it):

* ``filter=<tag>`` keeps the models carrying that tag. A derivative carries
  ``base_model:<repo>`` and, when the Hub knows the relation, ``base_model:<relation>:<repo>``
  (relation one of ``finetune``, ``quantized``, ``adapter``, ``merge``). Filtering on the plain
  tag returns every derivative in one listing; each item's own tags then give its relation, so
  one base costs one request per page instead of one per relation.
* ``expand[]=<property>`` returns only the listed properties (plus ``_id`` and ``id``); it cannot
  be combined with ``full``. ``downloadsAllTime`` is only available through ``expand[]``.
* Pages are linked by ``Link: <...>; rel="next"``; ``limit`` is at most 1000.

Not a poll source (no ``poll``): the adoption step calls these with its own request budget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tracker.config import Settings
from tracker.errors import ParseError
from tracker.http import HttpClient, paginate
from tracker.sources._fields import load_json, opt_int
from tracker.sources.huggingface import HubModel

__all__ = ["Counters", "DerivativeListing", "list_derivatives", "list_org_counters"]

_PAGE_LIMIT = 1000
_DERIVATIVE_FIELDS = ("author", "createdAt", "tags")
_COUNTER_FIELDS = ("downloads", "downloadsAllTime", "likes")


@dataclass(frozen=True, slots=True)
class DerivativeListing:
    """What one scan of a base model's derivatives saw.

    Attributes:
        models: the derivatives listed (private or disabled items dropped).
        complete: False when the scan stopped at ``max_pages`` with a next page left.
        pages: listing pages fetched (each one request, retries aside).
    """

    models: list[HubModel]
    complete: bool
    pages: int


@dataclass(frozen=True, slots=True)
class Counters:
    """One repo's counters in an ``expand[]`` listing (Hub ``downloads`` is the last 30 days)."""

    object_id: str
    repo_id: str
    downloads: int | None
    downloads_all_time: int | None
    likes: int | None


def _items(body: bytes, where: str) -> list[Any]:
    data = load_json(body, where)
    if not isinstance(data, list):
        raise ParseError(f"{where}: expected a JSON array of models, got {type(data).__name__}")
    return data


async def list_derivatives(
    client: HttpClient, settings: Settings, repo_id: str, *, max_pages: int, take: Callable[[], bool] = lambda: True
) -> DerivativeListing:
    """List the models tagged ``base_model:<repo_id>``, at most ``max_pages`` pages.

    Args:
        client (HttpClient): the HTTP funnel. settings (Settings): ``hub.endpoint``.
        repo_id (str): the base model (``Qwen/Qwen3-8B``). max_pages (int): >= 1.
        take (callable): asked before every page; False (the budget is spent) stops the scan
            there (``complete`` False, or no page at all: ``pages == 0``).

    Returns:
        DerivativeListing: models with ``author``, ``created_at`` and ``tags`` filled.

    Raises:
        SourceHTTPError / RateLimitedError: from the client. ParseError: a page is not a JSON
            array of models with ``_id`` and ``id``.
    """
    params = {"filter": f"base_model:{repo_id}", "limit": _PAGE_LIMIT, "expand[]": list(_DERIVATIVE_FIELDS)}
    url = f"{settings.hub.endpoint.rstrip('/')}/api/models"
    models: list[HubModel] = []
    pages = 0
    where = f"Hub derivatives of {repo_id}"
    if not take():
        return DerivativeListing([], complete=False, pages=0)
    async for page in paginate(client, url, params=params):
        pages += 1
        for index, item in enumerate(_items(page.content, where)):
            model = HubModel.from_api(item, where=f"{where}, item #{index}")
            if not (model.private or model.disabled):
                models.append(model)
        if "next" in page.links and (pages >= max_pages or not take()):
            return DerivativeListing(models, complete=False, pages=pages)
    return DerivativeListing(models, complete=True, pages=pages)


async def list_org_counters(client: HttpClient, settings: Settings, org: str, *, max_pages: int) -> list[Counters]:
    """List an org's models with ``downloads``, ``downloadsAllTime`` and ``likes`` (``expand[]``).

    Returns:
        list[Counters]: one per listed model, at most ``max_pages`` pages.

    Raises:
        SourceHTTPError / RateLimitedError: from the client. ParseError: a page is not a JSON
            array of objects with string ``_id``/``id`` and integer counters.
    """
    params = {"author": org, "limit": _PAGE_LIMIT, "expand[]": list(_COUNTER_FIELDS)}
    url = f"{settings.hub.endpoint.rstrip('/')}/api/models"
    out: list[Counters] = []
    pages = 0
    where = f"Hub counters of {org}"
    async for page in paginate(client, url, params=params):
        pages += 1
        for index, item in enumerate(_items(page.content, where)):
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("_id"), str)
                or not isinstance(item.get("id"), str)
            ):
                raise ParseError(f"{where}: item #{index} has no string '_id' and 'id'")
            at = f"Hub model {item['id']}"
            out.append(
                Counters(
                    object_id=item["_id"],
                    repo_id=item["id"],
                    downloads=opt_int(item, "downloads", at),
                    downloads_all_time=opt_int(item, "downloadsAllTime", at),
                    likes=opt_int(item, "likes", at),
                )
            )
        if pages >= max_pages:
            break
    return out
