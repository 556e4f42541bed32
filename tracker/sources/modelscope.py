"""ModelScope source: list each watched ModelScope org's models, mapped to the Hub's artifact model.

API facts used here (ModelScope's own SDK, ``modelscope.hub.api.HubApi.list_models``):

* ``PUT {endpoint}/api/v1/models/`` with the JSON body
  ``{"Path": "<owner or group>", "PageNumber": n, "PageSize": m}`` (1-based pages) answers
  ``{"Code": 200, "Success": true, "Message": ..., "RequestId": ..., "Data": {"Models": [...],
  "TotalCount": N}}``. A failure can come back with HTTP 200 and ``"Success": false``; that is
  an error here, never "an org with no models".
* Each model object carries ``Name`` (repo name, ``Qwen3-8B``) and ``Path`` (the owner,
  ``Qwen``); tracker also reads ``Id`` (numeric id; the identity when present, else
  ``Path/Name``), ``ChineseName``, ``CreatedTime`` and ``LastUpdatedTime`` (Unix seconds, UTC),
  ``Downloads``, ``Stars``, ``License``, ``Tasks`` (``[{"Name": "text-generation"}]``) and
  ``Visibility`` (5 = public; other values are skipped). Unknown keys are ignored and missing
  optional keys are None; a known key with the wrong type is a ``ParseError`` naming the model.
  The listing is a PUT query, so it cannot be conditional.

A repo published on both hubs is two artifacts (``hf`` and ``modelscope``) of one release: the
name ``Qwen/Qwen3-8B`` gives the same family key on both, and the pipeline groups model artifacts
by (lab, family) whatever their source; each artifact's ``first_seen_at`` says which hub showed
it first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from tracker.config import Settings
from tracker.domain import ArtifactKind, Observation, SourceKind, SourceResult, utcnow
from tracker.errors import ParseError
from tracker.external import from_epoch
from tracker.http import HttpClient
from tracker.sources._fields import load_json, opt_int, opt_str
from tracker.sources._scopes import count_requests, gather_scopes
from tracker.watchlist import LabConfig

__all__ = ["ModelScopeModel", "applies", "list_org_models", "parse_page", "poll", "to_observation"]

PUBLIC = 5
MAX_PAGES = 50
"""Pages read per org per poll (50 x ``modelscope_page_size``); more fails the scope."""


def applies(lab: LabConfig) -> bool:
    """True when the lab lists ModelScope orgs."""
    return bool(lab.modelscope_orgs)


@dataclass(frozen=True, slots=True)
class ModelScopeModel:
    """One ModelScope model as the listing shows it.

    Attributes:
        owner (str): ``Path``. name (str): ``Name``.
        model_id (str): ``Id`` as a string when present, else ``Path/Name``.
        chinese_name (str, optional): ``ChineseName``.
        created_at / last_modified (datetime, optional): ``CreatedTime`` / ``LastUpdatedTime``, UTC.
        downloads / stars (int, optional): ``Downloads`` / ``Stars``.
        license (str, optional): ``License``. tasks (tuple[str, ...]): ``Tasks[].Name``.
        visibility (int, optional): ``Visibility`` (5 = public).
    """

    owner: str
    name: str
    model_id: str
    chinese_name: str | None = None
    created_at: datetime | None = None
    last_modified: datetime | None = None
    downloads: int | None = None
    stars: int | None = None
    license: str | None = None
    tasks: tuple[str, ...] = ()
    visibility: int | None = None

    @property
    def repo_id(self) -> str:
        """``owner/name``, as on the Hub (``Qwen/Qwen3-8B``)."""
        return f"{self.owner}/{self.name}"


def _epoch(item: Mapping[str, Any], key: str, where: str) -> datetime | None:
    """Read ModelScope's Unix-seconds timestamps (``CreatedTime``) as UTC; ``""`` is missing."""
    value = opt_int(item, key, where, blank_is_none=True)
    return from_epoch(value, what=f"{where}: field {key!r}", now=utcnow())


def _parse_model(item: Any, where: str) -> ModelScopeModel:
    if not isinstance(item, Mapping):
        raise ParseError(f"{where}: expected a JSON object, got {type(item).__name__}")
    name, owner = item.get("Name"), item.get("Path")
    if not isinstance(name, str) or not name or not isinstance(owner, str) or not owner:
        raise ParseError(f"{where}: fields 'Name' and 'Path' must be non-empty strings")
    where = f"ModelScope model {owner}/{name}"
    raw_id = item.get("Id")
    if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, int | str)):
        raise ParseError(f"{where}: field 'Id' should be an integer or string, got {type(raw_id).__name__}")
    tasks = item.get("Tasks") or []
    if not isinstance(tasks, list) or not all(isinstance(t, Mapping) for t in tasks):
        raise ParseError(f"{where}: field 'Tasks' should be a list of objects")
    return ModelScopeModel(
        owner=owner,
        name=name,
        model_id=str(raw_id) if raw_id not in (None, "") else f"{owner}/{name}",
        chinese_name=opt_str(item, "ChineseName", where, blank_is_none=True),
        created_at=_epoch(item, "CreatedTime", where),
        last_modified=_epoch(item, "LastUpdatedTime", where),
        downloads=opt_int(item, "Downloads", where, blank_is_none=True),
        stars=opt_int(item, "Stars", where, blank_is_none=True),
        license=opt_str(item, "License", where, blank_is_none=True),
        tasks=tuple(t["Name"] for t in tasks if isinstance(t.get("Name"), str)),
        visibility=opt_int(item, "Visibility", where, blank_is_none=True),
    )


def parse_page(body: bytes, *, org: str) -> tuple[list[ModelScopeModel], int]:
    """Parse one listing page: ``(models, TotalCount)``.

    Raises:
        ParseError: not JSON (HTML page, truncated body), ``Success: false`` or a ``Code`` other
            than 200 (ModelScope's message included), ``Data.Models`` not a list,
            ``TotalCount`` not an integer, or a bad model (named in the message).
    """
    where = f"ModelScope listing for {org}"
    data = load_json(body, where)
    if not isinstance(data, Mapping):
        raise ParseError(f"{where}: expected a JSON object, got {type(data).__name__}")
    if data.get("Success") is False or data.get("Code", 200) not in (200, "200"):
        raise ParseError(f"{where}: ModelScope answered Code={data.get('Code')!r}: {data.get('Message')!r}")
    payload = data.get("Data")
    if not isinstance(payload, Mapping) or not isinstance(payload.get("Models"), list):
        raise ParseError(f"{where}: 'Data.Models' is missing or not a list")
    total = payload.get("TotalCount")
    if not isinstance(total, int) or isinstance(total, bool):
        raise ParseError(f"{where}: 'Data.TotalCount' is missing or not an integer")
    models = [_parse_model(item, f"{where} item #{i}") for i, item in enumerate(payload["Models"])]
    return models, total


async def list_org_models(client: HttpClient, settings: Settings, org: str) -> list[ModelScopeModel]:
    """List every public model of ``org``, page by page until ``TotalCount`` is reached.

    Raises:
        SourceHTTPError / RateLimitedError: from the client. ParseError: a bad page, or more
            than ``MAX_PAGES`` pages.
    """
    url = f"{settings.modelscope.endpoint.rstrip('/')}/api/v1/models/"
    size = settings.modelscope.page_size
    models: list[ModelScopeModel] = []
    for page in range(1, MAX_PAGES + 1):
        body = {"Path": org, "PageNumber": page, "PageSize": size}
        response = await client.put_json(url, body, headers={"Accept": "application/json"})
        found, total = parse_page(response.content, org=org)
        models.extend(found)
        if not found or page * size >= total:
            return [m for m in models if m.visibility in (None, PUBLIC)]
    raise ParseError(f"ModelScope listing for {org}: more than {MAX_PAGES} pages; raise modelscope_page_size")


def to_observation(model: ModelScopeModel, *, endpoint: str) -> Observation:
    """Turn a ModelScope model into a model Observation shaped like the Hub's.

    Returns:
        Observation: ``external_id`` = ModelScope id, ``name`` = ``owner/name``, ``org`` =
        owner, ``url`` = ``{endpoint}/models/owner/name``, ``created_at`` = ``CreatedTime``, and
        attrs (pipeline_tag from the first task, license, downloads, likes = Stars,
        chinese_name, last_modified ISO-8601, ``tags`` = [] as the Hub listing has them).
    """
    return Observation(
        source=SourceKind.MODELSCOPE,
        external_id=model.model_id,
        name=model.repo_id,
        org=model.owner,
        url=f"{endpoint.rstrip('/')}/models/{quote(model.owner, safe='')}/{quote(model.name, safe='')}",
        kind=ArtifactKind.MODEL,
        created_at=model.created_at,
        attrs={
            "tags": [],
            "pipeline_tag": model.tasks[0] if model.tasks else None,
            "license": model.license,
            "downloads": model.downloads,
            "likes": model.stars,
            "chinese_name": model.chinese_name,
            "last_modified": model.last_modified.isoformat() if model.last_modified else None,
        },
    )


async def poll(client: HttpClient, settings: Settings, lab: LabConfig) -> SourceResult:
    """Poll every ModelScope org of ``lab`` concurrently (scope ``modelscope:<org>`` each).

    Returns:
        SourceResult: model observations (deduplicated by id), complete scopes, failures, counters.
    """
    result = SourceResult(source=SourceKind.MODELSCOPE, lab=lab.slug)
    with count_requests(client, result):
        listings = await gather_scopes(
            result, [(f"modelscope:{org}", list_org_models(client, settings, org)) for org in lab.modelscope_orgs]
        )
    seen: dict[str, Observation] = {}
    for models in listings:
        for model in models or ():
            seen.setdefault(model.model_id, to_observation(model, endpoint=settings.modelscope.endpoint))
    result.observations = list(seen.values())
    return result
