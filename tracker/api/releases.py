"""``GET /releases`` (filters, keyset cursor pagination, CSV) and ``GET /releases/{id}``.

The query helpers here (``parse_when``, ``ReleaseFilterDep``, ``csv_response``) are shared by the
feeds, stats and dashboard routers so every endpoint validates the same way: an invalid parameter
is a 422 whose ``detail`` names the parameter and says what is expected.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from tracker.api.deps import SessionDep
from tracker.domain import ArtifactKind
from tracker.store.models import Lab
from tracker.store.queries import ReleaseFilter, decode_cursor, encode_cursor, get_release, list_release_dicts
from tracker.store.serialize import release_to_dict, releases_to_csv

router = APIRouter(tags=["releases"])

MAX_LIMIT = 500
RELEASE_KINDS = tuple(k.value for k in ArtifactKind)
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


def invalid(param: str, message: str, value: Any) -> RequestValidationError:
    """Return the 422 error FastAPI itself raises for a bad query parameter, with our message."""
    return RequestValidationError([{"type": "value_error", "loc": ("query", param), "msg": message, "input": value}])


def parse_when(value: str | None, param: str) -> datetime | None:
    """Parse ``2025-04-28`` (00:00 UTC) or an ISO-8601 datetime (naive = UTC); blank = None.

    Raises:
        RequestValidationError: not a date or datetime (422).
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        if "T" in value or " " in value:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
    except ValueError:
        raise invalid(
            param, "must be a date like 2025-04-28 or an ISO-8601 datetime like 2025-04-28T12:00:00Z", value
        ) from None


def _blank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def release_filter(
    session: SessionDep,
    lab: Annotated[str | None, Query(description="lab slug, e.g. `qwen`")] = None,
    country: Annotated[str | None, Query(description="ISO 3166-1 alpha-2 country of the lab, e.g. `CN`")] = None,
    kind: Annotated[str | None, Query(description="release kind: model, paper or code")] = None,
    since: Annotated[str | None, Query(description="released on/after (UTC date or ISO datetime)")] = None,
    until: Annotated[str | None, Query(description="released before (UTC date or ISO datetime)")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="case-insensitive substring of the title or an artifact name")
    ] = None,
    min_params: Annotated[
        float | None, Query(ge=0, description="an artifact with at least this many parameters (billions)")
    ] = None,
    baseline: Annotated[
        bool | None, Query(description="true: only history recorded on the first poll; false: only live detections")
    ] = None,
) -> ReleaseFilter:
    """Validate the release filters shared by the list, feed and dashboard endpoints.

    Raises:
        RequestValidationError: unknown lab, bad country code or kind, bad dates, since >= until.
    """
    lab, country, kind, q = _blank(lab), _blank(country), _blank(kind), _blank(q)
    if lab is not None and session.scalar(select(Lab.id).where(Lab.slug == lab)) is None:
        known = ", ".join(session.scalars(select(Lab.slug).order_by(Lab.slug))) or "none stored yet"
        raise invalid("lab", f"unknown lab {lab!r} (known: {known})", lab)
    if country is not None and not _COUNTRY.match(country):
        raise invalid("country", "must be an ISO 3166-1 alpha-2 code like CN or US", country)
    if kind is not None and kind not in RELEASE_KINDS:
        raise invalid("kind", f"must be one of {', '.join(RELEASE_KINDS)}", kind)
    since_at, until_at = parse_when(since, "since"), parse_when(until, "until")
    if since_at and until_at and since_at >= until_at:
        raise invalid("until", "must be later than since", until)
    return ReleaseFilter(
        lab=lab,
        country=country.upper() if country else None,
        kind=kind,
        since=since_at,
        until=until_at,
        q=q,
        min_params=min_params,
        baseline=baseline,
    )


ReleaseFilterDep = Annotated[ReleaseFilter, Depends(release_filter)]
Format = Literal["json", "csv"]


def csv_response(
    rows: Iterable[dict[str, Any]], columns: Sequence[str], *, filename: str, headers: dict[str, str] | None = None
) -> Response:
    """Return dict rows as a ``text/csv`` attachment (extra keys ignored, lists space-joined)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: " ".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()})
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **(headers or {})},
    )


@router.get("/releases")
def get_releases(
    request: Request,
    session: SessionDep,
    flt: ReleaseFilterDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
    format: Annotated[Format, Query(description="json or csv")] = "json",
) -> Any:
    """List releases newest first (released_at, then id), with filters and cursor pagination.

    JSON: ``{"items": [release...], "next_cursor": str | null}``. CSV: one row per release, the
    next page's cursor in the ``X-Next-Cursor`` header and a ``Link: rel="next"`` header.
    """
    after = None
    if cursor:
        try:
            after = decode_cursor(cursor)
        except ValueError as exc:
            raise invalid("cursor", str(exc), cursor) from None
    rows = list_release_dicts(session=session, flt=replace(flt, limit=limit + 1, after=after))
    items, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor(datetime.fromisoformat(items[-1]["released_at"]), items[-1]["id"]) if more else None
    if format == "csv":
        headers = {}
        if next_cursor:
            headers["X-Next-Cursor"] = next_cursor
            headers["Link"] = f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'
        return Response(
            releases_to_csv(items),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="releases.csv"', **headers},
        )
    # already plain JSON values: skip FastAPI's recursive jsonable_encoder (a third of a page's time)
    return JSONResponse({"items": items, "next_cursor": next_cursor})


@router.get("/releases/{release_id}")
def get_release_by_id(release_id: int, session: SessionDep) -> dict[str, Any]:
    """One release with its artifacts and papers; 404 when unknown."""
    release = get_release(session=session, release_id=release_id)
    if release is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"release {release_id} not found")
    return release_to_dict(release)
