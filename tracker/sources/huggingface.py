"""Hugging Face Hub source: list each watched org's public models, keyed by the stable ``_id``.

API facts used here (Hub ``GET /api/models``, as ``huggingface_hub.HfApi.list_models`` calls it):

* ``GET {endpoint}/api/models?author=ORG&full=true&limit=N`` returns a JSON **array** of model
  objects; further pages are linked GitHub-style by ``Link: <...>; rel="next"``.
* Each item has ``_id`` (a 24-hex ObjectId, stable across renames and org moves) and ``id`` (the
  repo id ``org/name``, which changes on rename); the other keys (``author``, ``createdAt``,
  ``lastModified``, ``private``, ``gated`` = ``false | "auto" | "manual"``, ``disabled``, ``sha``,
  ``downloads``, ``likes``, ``tags``, ``pipeline_tag``, ``library_name``, ``siblings``...) may be
  missing depending on ``full``/``expand[]``, so they are optional here, as in ``ModelInfo``.
* ``createdAt`` is when the repo was created, often privately and well before it became public:
  it is kept as a fact, never used to decide what is new.

Polling makes one listing request per page per org, never one request per repo.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from tracker.config import Settings
from tracker.domain import ArtifactKind, Observation, SourceKind, SourceResult
from tracker.errors import ParseError
from tracker.http import HttpClient, paginate
from tracker.sources._fields import load_json, opt_bool, opt_datetime, opt_int, opt_str, str_list
from tracker.sources._scopes import count_requests, gather_scopes
from tracker.watchlist import LabConfig

__all__ = [
    "BASE_MODEL_RELATIONS",
    "HubModel",
    "fetch_model_info",
    "list_org_models",
    "parse_listing",
    "poll",
    "to_observation",
]

BASE_MODEL_RELATIONS = frozenset({"finetune", "quantized", "adapter", "merge"})
"""Relations the Hub writes in ``base_model:<relation>:<repo>`` tags."""


def _where(repo: str) -> str:
    return f"Hub model {repo}"


@dataclass(frozen=True, slots=True)
class HubModel:
    """One model as the Hub listing shows it, parsed tolerantly (like ``huggingface_hub.ModelInfo``).

    Only ``object_id`` and ``repo_id`` are required; every other field is None (or empty) when
    the listing omits it. Unknown keys are ignored so that API additions do not break polling;
    a known key with the wrong type is a ``ParseError`` naming the repo and the field.

    Attributes:
        object_id (str): ``_id``, the stable identity (survives renames and org moves).
        repo_id (str): ``id``, e.g. ``Qwen/Qwen3-8B``.
        author (str, optional): ``author``, else the part of ``repo_id`` before ``/``.
        created_at (datetime, optional): ``createdAt``, UTC; repo creation, often private.
        last_modified (datetime, optional): ``lastModified``, UTC (last commit).
        private (bool, optional): ``private``.
        gated (bool | str, optional): ``gated``: False, ``"auto"`` or ``"manual"``.
        disabled (bool, optional): ``disabled`` (often absent from listings).
        sha (str, optional): ``sha`` of the head commit.
        downloads (int, optional): ``downloads`` over the last 30 days.
        likes (int, optional): ``likes``.
        tags (tuple[str, ...]): ``tags`` (library, format, ``license:``, ``base_model:``,
            ``arxiv:``, ``region:`` ...).
        pipeline_tag (str, optional): ``pipeline_tag`` (``text-generation``...).
        library_name (str, optional): ``library_name`` (``transformers``...).
    """

    object_id: str
    repo_id: str
    author: str | None = None
    created_at: datetime | None = None
    last_modified: datetime | None = None
    private: bool | None = None
    gated: bool | str | None = None
    disabled: bool | None = None
    sha: str | None = None
    downloads: int | None = None
    likes: int | None = None
    tags: tuple[str, ...] = ()
    pipeline_tag: str | None = None
    library_name: str | None = None

    @classmethod
    def from_api(cls, item: Any, *, where: str = "listing item") -> HubModel:
        """Parse one ``/api/models`` list item.

        Args:
            item (Any): the decoded JSON value (should be an object).
            where (str, optional): how to name the item in errors when it has no usable ``id``.

        Returns:
            HubModel: the parsed model.

        Raises:
            ParseError: not an object, missing/empty ``_id`` or ``id``, or a known field of the
                wrong type (the message names the repo and the field).
        """
        if not isinstance(item, Mapping):
            raise ParseError(f"{where}: expected a JSON object, got {type(item).__name__}")
        repo_id = item.get("id")
        if not isinstance(repo_id, str) or not repo_id:
            raise ParseError(f"{where}: field 'id' (the repo id) is missing or not a string")
        at = _where(repo_id)
        object_id = item.get("_id")
        if not isinstance(object_id, str) or not object_id:
            raise ParseError(f"{at}: field '_id' is missing or not a string")
        gated = item.get("gated")
        if gated is not None and not isinstance(gated, bool | str):
            raise ParseError(f"{at}: field 'gated' should be false, 'auto' or 'manual', got {gated!r}")
        author = opt_str(item, "author", at)
        if author is None and "/" in repo_id:
            author = repo_id.split("/", 1)[0]
        return cls(
            object_id=object_id,
            repo_id=repo_id,
            author=author,
            created_at=opt_datetime(item, "createdAt", at),
            last_modified=opt_datetime(item, "lastModified", at),
            private=opt_bool(item, "private", at),
            gated=gated,
            disabled=opt_bool(item, "disabled", at),
            sha=opt_str(item, "sha", at),
            downloads=opt_int(item, "downloads", at),
            likes=opt_int(item, "likes", at),
            tags=str_list(item, "tags", at),
            pipeline_tag=opt_str(item, "pipeline_tag", at),
            library_name=opt_str(item, "library_name", at),
        )

    @property
    def license(self) -> str | None:
        """The licence id from the first ``license:<id>`` tag (``apache-2.0``), or None."""
        for tag in self.tags:
            if tag.startswith("license:"):
                return tag.removeprefix("license:") or None
        return None

    @property
    def base_models(self) -> list[tuple[str | None, str]]:
        """``(relation, repo_id)`` pairs from ``base_model:`` tags, in tag order.

        The Hub writes ``base_model:<repo>`` and, when it knows the relation,
        ``base_model:<relation>:<repo>`` (relation one of ``BASE_MODEL_RELATIONS``). A plain tag
        for a repo that also has a relational tag is dropped, so each base appears once.
        """
        pairs: list[tuple[str | None, str]] = []
        for tag in self.tags:
            if not tag.startswith("base_model:"):
                continue
            rest = tag.removeprefix("base_model:")
            relation, _, repo = rest.partition(":")
            pair = (relation, repo) if repo and relation in BASE_MODEL_RELATIONS else (None, rest)
            if pair[1] and pair not in pairs:
                pairs.append(pair)
        related = {repo for relation, repo in pairs if relation is not None}
        return [(rel, repo) for rel, repo in pairs if rel is not None or repo not in related]

    @property
    def arxiv_ids(self) -> list[str]:
        """arXiv ids cited by the repo, from ``arxiv:<id>`` tags, in tag order, deduplicated."""
        ids: list[str] = []
        for tag in self.tags:
            if tag.startswith("arxiv:") and tag[6:] and tag[6:] not in ids:
                ids.append(tag[6:])
        return ids


def parse_listing(body: bytes, *, org: str) -> list[HubModel]:
    """Parse one page of ``GET /api/models?author=ORG`` (a JSON array of model objects).

    One item that cannot be parsed fails the whole page: nothing is concluded from a
    half-understood listing.

    Args:
        body (bytes): the response body.
        org (str): the org listed, for error messages.

    Returns:
        list[HubModel]: the page's models, in the Hub's order (private/disabled included).

    Raises:
        ParseError: not JSON (HTML error page, truncated body), not an array, or a bad item
            (the message names the org and the repo or item index).
    """
    data = load_json(body, f"Hub listing for {org}")
    if not isinstance(data, list):
        raise ParseError(f"Hub listing for {org}: expected a JSON array of models, got {type(data).__name__}")
    models: list[HubModel] = []
    for index, item in enumerate(data):
        try:
            models.append(HubModel.from_api(item, where=f"item #{index}"))
        except ParseError as exc:
            raise ParseError(f"Hub listing for {org}: {exc}") from exc
    return models


def to_observation(model: HubModel, *, endpoint: str) -> Observation:
    """Turn a ``HubModel`` into a source-neutral ``Observation``.

    Args:
        model (HubModel): the parsed model.
        endpoint (str): the Hub base URL (``settings.hub.endpoint``); the artifact URL is
            ``{endpoint}/{repo_id}``.

    Returns:
        Observation: ``external_id`` = ``_id``, ``name`` = repo id, ``org`` = author, and
        JSON-serialisable ``attrs`` (tags, sha, gated, private, disabled, pipeline_tag,
        library_name, license, base_models, arxiv_ids, downloads, likes, last_modified ISO-8601).
    """
    attrs = {
        "tags": list(model.tags),
        "sha": model.sha,
        "gated": model.gated,
        "private": model.private,
        "disabled": model.disabled,
        "pipeline_tag": model.pipeline_tag,
        "library_name": model.library_name,
        "license": model.license,
        "base_models": [{"relation": rel, "repo_id": repo} for rel, repo in model.base_models],
        "arxiv_ids": model.arxiv_ids,
        "downloads": model.downloads,
        "likes": model.likes,
        "last_modified": model.last_modified.isoformat() if model.last_modified else None,
    }
    return Observation(
        source=SourceKind.HF,
        external_id=model.object_id,
        name=model.repo_id,
        org=model.author,
        url=f"{endpoint.rstrip('/')}/{model.repo_id}",
        kind=ArtifactKind.MODEL,
        created_at=model.created_at,
        attrs=attrs,
    )


async def list_org_models(client: HttpClient, settings: Settings, org: str) -> list[HubModel]:
    """List every public model of ``org``, following all pages.

    Args:
        client (HttpClient): the HTTP funnel.
        settings (Settings): ``hf_endpoint`` and ``hf_page_limit`` (items per page).
        org (str): the Hub org or user (``Qwen``).

    Returns:
        list[HubModel]: public models in listing order; ``private`` or ``disabled`` items skipped.

    Raises:
        SourceHTTPError / RateLimitedError: from the client (a 404 means the org does not exist).
        ParseError: a page is not a JSON array of valid models, or pagination loops.
    """
    params = {"author": org, "full": "true", "limit": settings.hub.page_limit}
    models: list[HubModel] = []
    url = f"{settings.hub.endpoint.rstrip('/')}/api/models"
    async for page in paginate(client, url, params=params):
        page_models = parse_listing(page.content, org=org)
        models.extend(m for m in page_models if not (m.private or m.disabled))
    return models


async def poll(client: HttpClient, settings: Settings, lab: LabConfig) -> SourceResult:
    """Poll every Hub org of ``lab`` concurrently and return what was seen.

    Each org is its own scope (``hf:<org>``): a failing org becomes a ``ScopeFailure`` and the
    others still complete. The same ``_id`` can appear twice (in two orgs' listings around a
    rename, or on two pages); one observation is kept, preferring the listing whose org matches
    the item's author.

    Args:
        client (HttpClient): the HTTP funnel; ``requests``/``not_modified`` count only this
            poll's requests (``client.counting()``), even when other polls share the client.
        settings (Settings): endpoint and page size.
        lab (LabConfig): the lab; its ``hf_orgs`` are polled.

    Returns:
        SourceResult: observations (deduplicated by ``_id``), complete scopes, failures, counters.
    """
    result = SourceResult(source=SourceKind.HF, lab=lab.slug)
    orgs = list(lab.hf_orgs)
    with count_requests(client, result):
        listings = await gather_scopes(result, [(f"hf:{org}", list_org_models(client, settings, org)) for org in orgs])
    chosen: dict[str, tuple[HubModel, bool]] = {}
    for org, models in zip(orgs, listings, strict=True):
        for model in models or ():
            matches = (model.author or "").lower() == org.lower()
            previous = chosen.get(model.object_id)
            if previous is None or (matches and not previous[1]):
                chosen[model.object_id] = (model, matches)
    web = settings.hub.web_url or settings.hub.endpoint
    result.observations = [to_observation(m, endpoint=web) for m, _ in chosen.values()]
    return result


async def fetch_model_info(client: HttpClient, settings: Settings, repo_id: str) -> dict[str, Any]:
    """Fetch one repo's details: ``GET {endpoint}/api/models/{repo_id}``.

    Adds keys the listing lacks, e.g. ``safetensors.total`` (parameter count), ``cardData``,
    ``config``.

    Args:
        client (HttpClient): the HTTP funnel.
        settings (Settings): ``hf_endpoint``.
        repo_id (str): ``org/name``.

    Returns:
        dict: the decoded JSON object, unvalidated.

    Raises:
        SourceHTTPError / RateLimitedError: from the client (404 when the repo is gone or private).
        ParseError: the body is not a JSON object.
    """
    url = f"{settings.hub.endpoint.rstrip('/')}/api/models/{quote(repo_id, safe='/')}"
    response = await client.get(url)
    data = load_json(response.content, f"Hub model info for {repo_id}")
    if not isinstance(data, dict):
        raise ParseError(f"Hub model info for {repo_id}: expected a JSON object, got {type(data).__name__}")
    return data
