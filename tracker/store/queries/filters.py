"""The release filter (``ReleaseFilter``), its SQL, and the keyset page cursors of release lists."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, exists, or_, select

from tracker.domain import as_utc
from tracker.store.models import Artifact, Lab, Release


@dataclass(frozen=True, slots=True)
class ReleaseFilter:
    """Filters for ``list_releases``; every field is optional (None = no filter).

    Attributes:
        lab (str): lab slug. country (str): ISO alpha-2. kind (str): model | paper | code.
        since / until (datetime): bounds on ``released_at`` (UTC; since inclusive, until exclusive).
        baseline (bool): only baseline (True) or only live detections (False).
        limit (int): maximum rows.
        q (str): case-insensitive substring of the release title or of an artifact name.
        min_params (float): at least one artifact with ``params_total_b`` >= this (billions).
        after (tuple[datetime, int]): keyset cursor: only rows strictly after this
            ``(released_at, id)`` in newest-first order (see ``encode_cursor``).
        merged (bool): also list paper releases folded into their launch (``merged_into_id``);
            by default a history lists each launch once, with its papers. ``kind="paper"``
            lists them anyway: papers stay queryable on their own.
    """

    lab: str | None = None
    country: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    baseline: bool | None = None
    limit: int | None = None
    q: str | None = None
    min_params: float | None = None
    after: tuple[datetime, int] | None = None
    merged: bool = False


def like_pattern(text: str) -> str:
    """Escape LIKE wildcards in ``text`` (escape character ``\\``) and wrap it in ``%...%``."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def encode_cursor(released_at: datetime, release_id: int) -> str:
    """Return an opaque page cursor for the row ``(released_at, id)`` (URL-safe base64 of JSON)."""
    raw = json.dumps([as_utc(released_at).isoformat(), release_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Decode a cursor made by ``encode_cursor``.

    Raises:
        ValueError: the cursor is not one tracker made (bad base64, JSON or values).
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, release_id = json.loads(raw)
        parsed = datetime.fromisoformat(at)
        if not isinstance(release_id, int) or parsed.tzinfo is None:
            raise ValueError
        return as_utc(parsed), release_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValueError(f"invalid cursor {cursor[:60]!r}: pass back the next_cursor of a previous page") from None


def release_query(flt: ReleaseFilter) -> Select[tuple[Release]]:
    """The filtered ``SELECT releases`` (no order, no limit) shared by both release lists.

    Written for the indexes (measured with ``bench/query.py``): the lab is a scalar subquery
    on ``lab_id`` so that ``(lab_id, released_at, id)`` serves a lab's newest-first page without
    a sort; the country a ``lab_id IN (...)`` (a handful of labs); ``q`` an ``ILIKE`` that
    PostgreSQL answers from the pg_trgm GIN indexes on titles and artifact names when the term
    is rare (SQLite scans).
    """
    stmt = select(Release)
    if flt.lab:
        stmt = stmt.where(Release.lab_id == select(Lab.id).where(Lab.slug == flt.lab).scalar_subquery())
    if flt.country:
        stmt = stmt.where(Release.lab_id.in_(select(Lab.id).where(Lab.country == flt.country.upper())))
    if flt.kind:
        stmt = stmt.where(Release.kind == flt.kind)
    if not (flt.merged or flt.kind == "paper"):
        stmt = stmt.where(Release.merged_into_id.is_(None))
    if flt.since:
        stmt = stmt.where(Release.released_at >= flt.since)
    if flt.until:
        stmt = stmt.where(Release.released_at < flt.until)
    if flt.baseline is not None:
        stmt = stmt.where(Release.baseline == flt.baseline)
    if flt.q:
        pattern = like_pattern(flt.q)
        named = exists().where(Artifact.release_id == Release.id, Artifact.name.ilike(pattern, escape="\\"))
        stmt = stmt.where(or_(Release.title.ilike(pattern, escape="\\"), named))
    if flt.min_params is not None:
        stmt = stmt.where(exists().where(Artifact.release_id == Release.id, Artifact.params_total_b >= flt.min_params))
    if flt.after is not None:
        at, release_id = flt.after
        # Row-value "(released_at, id) < (at, id)" written so both backends use the
        # (released_at, id) index as a range condition.
        stmt = stmt.where(
            Release.released_at <= at,
            or_(Release.released_at < at, and_(Release.released_at == at, Release.id < release_id)),
        )
    return stmt
