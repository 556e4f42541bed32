"""Hugging Face daily papers: papers submitted on the Hub by (or for) a watched lab's orgs.

API facts used here (Hub ``GET {hf_endpoint}/api/daily_papers``, the data behind
huggingface.co/papers):

* ``GET /api/daily_papers?limit=N`` returns a JSON **array** of the latest daily-paper entries
  (``?date=YYYY-MM-DD`` selects a day). Each entry has ``paper`` (``id`` = the arXiv id without
  version, ``title``, ``summary``, ``authors`` = ``[{"name": ...}]``, ``publishedAt`` ISO-8601,
  ``upvotes``, optionally ``organization`` = ``{"name", "fullname"}``), plus top-level
  ``title``, ``publishedAt`` (when it was featured), ``submittedBy`` = ``{"name", "fullname"}``,
  ``numComments`` and optionally ``organization``.
* An entry belongs to a lab when its ``organization.name`` (entry or paper) or its
  ``submittedBy.name`` is one of the lab's Hub orgs (case-insensitive).

Papers are linked like arXiv papers: the artifact identity is the arXiv one (source ``arxiv``,
``external_id`` = arXiv id), so a paper seen here and by the arXiv source is one artifact. This
source only adds papers the store does not have yet; the arXiv source keeps their facts. The
request is conditional: an unchanged list answers 304 and is not parsed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.config import Settings
from tracker.domain import ArtifactKind, Observation, SourceKind, SourceResult
from tracker.errors import ParseError
from tracker.http import HttpClient
from tracker.sources._fields import load_json, opt_datetime, opt_int, opt_str
from tracker.sources._scopes import count_requests, fetch_scope
from tracker.watchlist import LabConfig

__all__ = ["DailyPaper", "applies", "parse_daily_papers", "poll", "to_observation"]

SCOPE = "daily_papers"
LIMIT = 100
_ARXIV_ID = re.compile(r"^(?P<id>\d{4}\.\d{4,5})(?:v\d+)?$")


def applies(lab: LabConfig) -> bool:
    """True when the lab has Hub orgs (daily papers are matched by them)."""
    return bool(lab.hf_orgs)


@dataclass(frozen=True, slots=True)
class DailyPaper:
    """One daily-papers entry.

    Attributes:
        arxiv_id (str): ``paper.id`` without version. title (str): whitespace collapsed.
        summary (str). authors (tuple[str, ...]): ``paper.authors[].name``.
        published_at (datetime, optional): ``paper.publishedAt`` (arXiv v1), UTC.
        featured_at (datetime, optional): entry ``publishedAt``, UTC.
        orgs (tuple[str, ...]): ``organization.name`` of the entry and the paper, and
            ``submittedBy.name``. upvotes (int, optional): ``paper.upvotes``.
    """

    arxiv_id: str
    title: str
    summary: str
    authors: tuple[str, ...]
    published_at: datetime | None
    featured_at: datetime | None
    orgs: tuple[str, ...]
    upvotes: int | None = None


def _name(obj: Any) -> str | None:
    if isinstance(obj, Mapping) and isinstance(obj.get("name"), str):
        return obj["name"]
    return None


def _parse_entry(item: Any, index: int) -> DailyPaper:
    where = f"daily papers item #{index}"
    if not isinstance(item, Mapping) or not isinstance(item.get("paper"), Mapping):
        raise ParseError(f"{where}: expected an object with a 'paper' object")
    paper = item["paper"]
    raw_id = paper.get("id")
    match = _ARXIV_ID.match(raw_id.strip()) if isinstance(raw_id, str) else None
    if match is None:
        raise ParseError(f"{where}: 'paper.id' is not an arXiv id ({raw_id!r:.40})")
    arxiv_id = match["id"]
    where = f"daily paper {arxiv_id}"
    title = paper.get("title", item.get("title"))
    if not isinstance(title, str):
        raise ParseError(f"{where}: 'title' is missing or not a string")
    authors = paper.get("authors") or []
    if not isinstance(authors, list):
        raise ParseError(f"{where}: 'paper.authors' should be a list")
    summary = opt_str(paper, "summary", where, name="paper.summary") or ""
    orgs = tuple(
        n
        for n in (_name(item.get("organization")), _name(paper.get("organization")), _name(item.get("submittedBy")))
        if n
    )
    return DailyPaper(
        arxiv_id=arxiv_id,
        title=" ".join(title.split()),
        summary=summary.strip(),
        authors=tuple(n for n in (_name(a) for a in authors) if n),
        published_at=opt_datetime(paper, "publishedAt", where, name="paper.publishedAt"),
        featured_at=opt_datetime(item, "publishedAt", where),
        orgs=orgs,
        upvotes=opt_int(paper, "upvotes", where, name="paper.upvotes"),
    )


def parse_daily_papers(body: bytes) -> list[DailyPaper]:
    """Parse ``/api/daily_papers`` (a JSON array of entries).

    Raises:
        ParseError: not JSON (HTML page, truncated body), not an array, or a bad entry (no
            ``paper`` object, a ``paper.id`` that is not an arXiv id, wrong field types).
    """
    data = load_json(body, "daily papers")
    if not isinstance(data, list):
        raise ParseError(f"daily papers: expected a JSON array, got {type(data).__name__}")
    return [_parse_entry(item, i) for i, item in enumerate(data)]


def to_observation(paper: DailyPaper) -> Observation:
    """Turn a daily paper into an arXiv-identity paper Observation (scope ``daily_papers``)."""
    return Observation(
        source=SourceKind.ARXIV,
        external_id=paper.arxiv_id,
        name=paper.title,
        org=None,
        url=f"https://arxiv.org/abs/{paper.arxiv_id}",
        kind=ArtifactKind.PAPER,
        created_at=paper.published_at or paper.featured_at,
        attrs={
            "authors": list(paper.authors),
            "summary": paper.summary,
            "via": "daily_papers",
            "hf_orgs": list(paper.orgs),
            "upvotes": paper.upvotes,
            "featured_at": paper.featured_at.isoformat() if paper.featured_at else None,
        },
        scope=SCOPE,
    )


async def poll(client: HttpClient, settings: Settings, lab: LabConfig) -> SourceResult:
    """Fetch the latest daily papers (conditional) and keep those of the lab's Hub orgs.

    Returns:
        SourceResult: paper observations with source ``arxiv``; scope ``daily_papers`` complete,
        not modified (304) or failed.
    """
    result = SourceResult(source=SourceKind.DAILY_PAPERS, lab=lab.slug)
    wanted = {org.lower() for org in lab.hf_orgs}
    url = f"{settings.hub.endpoint.rstrip('/')}/api/daily_papers"
    with count_requests(client, result):
        papers = await fetch_scope(
            result,
            SCOPE,
            client.get(url, params={"limit": LIMIT}, conditional=True),
            lambda response: parse_daily_papers(response.content),
        )
    seen: dict[str, Observation] = {}
    for paper in papers or ():
        if wanted & {o.lower() for o in paper.orgs}:
            seen.setdefault(paper.arxiv_id, to_observation(paper))
    result.observations = list(seen.values())
    return result
