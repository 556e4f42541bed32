"""Lab blogs and news: any RSS/Atom URL of a lab's watchlist ``feeds``, parsed as untrusted input.

Feed formats used here: Atom 1.0 (RFC 4287: ``<feed><entry><id>/<title>/<link rel="alternate">/
<published>/<updated>``), RSS 2.0 (``<rss><channel><item><guid>/<title>/<link>/<pubDate>``) and
RSS 1.0 (``<rdf:RDF><item>``).

A feed URL is user input, so a fetch is guarded and a body is distrusted:

* the host of every request hop (redirects included) must resolve to public addresses only
  (``tracker.http.netguard``; ``TRACKER_ALLOW_PRIVATE_FEEDS`` / ``TRACKER_FEED_ALLOWED_HOSTS`` opt out);
* the HTTP client caps the body size (``TRACKER_HTTP_MAX_BODY_BYTES``) and the time
  (``TRACKER_HTTP_TIMEOUT``);
* the body must pass a defusedxml gate (no DTD, no entity declarations, no external references)
  and have an Atom/RSS root before feedparser sees it: an HTML page (a login wall, a moved blog)
  is an error, never "a feed with no entries". feedparser's ``bozo`` flag is *not* used as the
  error signal: it is set by harmless things (a wrong declared charset) and misses an HTML page
  parsed leniently; the gate decides, and bozo is only logged;
* requests are conditional (``If-None-Match``/``If-Modified-Since``): a 304 costs no parsing.

Entries become ``post`` artifacts (no org: a feed shows only its latest entries, so a missing
entry is never taken as withdrawn); the pipeline links each to a release family by its title.
"""

from __future__ import annotations

import hashlib
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tracker.config import Settings
from tracker.domain import ArtifactKind, Observation, SourceKind, SourceResult
from tracker.external import parse_date
from tracker.http import HttpClient
from tracker.http.netguard import make_guard
from tracker.sources._scopes import count_requests, fetch_scope
from tracker.sources._xml import ATOM, feedparser_parse, gate_feed
from tracker.watchlist import LabConfig

log = logging.getLogger(__name__)

__all__ = ["FeedEntry", "applies", "entry_external_id", "parse_feed", "poll", "to_observation"]

RSS1 = "{http://purl.org/rss/1.0/}"
_MAX_ID = 200  # artifacts.external_id is VARCHAR(200)
_MAX_SUMMARY = 500


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One feed entry, parsed tolerantly.

    Attributes:
        entry_id (str): Atom ``id`` / RSS ``guid``; the link, then the title when both are
            missing (feeds without ids exist).
        title (str): the title, whitespace collapsed (may be empty).
        link (str, optional): the alternate link.
        published_at (datetime, optional): ``published``/``pubDate``, else ``updated``, UTC.
        updated_at (datetime, optional): ``updated``, UTC.
        summary (str): summary/description, stripped and cut to 500 characters.
        authors (tuple[str, ...]): author names.
        date_problems (tuple[str, ...]): dates present but unreadable or implausible, stored as
            unknown (``tracker.external.parse_date``): shown as problems, never as facts.
    """

    entry_id: str
    title: str
    link: str | None
    published_at: datetime | None
    updated_at: datetime | None
    summary: str = ""
    authors: tuple[str, ...] = field(default=())
    date_problems: tuple[str, ...] = field(default=())


def applies(lab: LabConfig) -> bool:
    """True when the lab lists at least one feed URL."""
    return bool(lab.feeds)


def _entry_count(root: ET.Element) -> int:
    """Entries in a gated feed tree: Atom ``entry``, RSS 2.0 ``channel/item``, RSS 1.0 ``item``."""
    if root.tag == ATOM + "feed":
        return len(root.findall(ATOM + "entry"))
    if root.tag == "rss":
        return len(root.findall("channel/item"))
    return len(root.findall(RSS1 + "item")) + len(root.findall("item"))


def _when(entry: Any, key: str, *, where: str, now: datetime, problems: list[str]) -> datetime | None:
    """The entry's ``key`` date from its raw text, never feedparser's guess (``tracker.external.parse_date``).

    feedparser reads ``2016/6/29`` as the 1st of the *current* month; a date it cannot read
    strictly, or an implausible one, is unknown and its problem is appended to ``problems``.
    """
    raw = entry[key] if key in entry else None  # noqa: SIM401 (feedparser's ``get`` maps updated -> published)
    when, problem = parse_date(raw if isinstance(raw, str) else None, what=f"{where} <{key}>", now=now)
    if problem:
        problems.append(problem)
    return when


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def parse_feed(
    body: bytes, *, where: str = "feed", content_type: str | None = None, now: datetime | None = None
) -> list[FeedEntry]:
    """Parse an RSS/Atom document into entries, refusing anything that is not a feed.

    A feed that is not well-formed only because of undecodable bytes (one raw ``0xFF``) or HTML
    entities (``&nbsp;``, ``&rsquo;``, which RSS feeds use without declaring them) is repaired
    (``tracker.sources._xml.repair_feed``: bytes replaced by U+FFFD, entities by the characters
    they name) and parsed, with a warning naming what was repaired; nothing else is repaired.

    Args:
        body (bytes): the response body (its XML declaration names the encoding).
        where (str, optional): how to name the feed in errors (its URL).
        content_type (str, optional): the response ``Content-Type``, handed to feedparser (a
            feed served as ``text/html`` makes feedparser flag it bozo; the gate still decides).
        now (datetime, optional): the current UTC time, for date plausibility; the wall clock.

    Returns:
        list[FeedEntry]: entries in document order; an entry without id, link and title is
        skipped and logged (nothing identifies it); its neighbours are kept. Entry dates are
        read strictly (``date_problems`` says which were unknown and why).

    Raises:
        ParseError: not well-formed XML even after repair (truncated body), an HTML page or any
            DOCTYPE, entity declarations (billion laughs), a root other than Atom ``feed``/RSS
            ``rss``/RDF, or feedparser and the XML tree disagreeing on the number of entries.
    """
    root, body, repaired = gate_feed(body, where=where)
    if repaired:
        content_type = "application/xml; charset=utf-8"  # the repaired bytes are UTF-8
    headers = {"content-type": content_type} if content_type else None
    parsed = feedparser_parse(body, where=where, expected_entries=_entry_count(root), headers=headers)
    now = now or datetime.now(UTC)
    entries: list[FeedEntry] = []
    for index, entry in enumerate(parsed.entries):
        title = _text(entry.get("title"))
        link = entry.get("link") if isinstance(entry.get("link"), str) else None
        entry_id = (entry.get("id") if isinstance(entry.get("id"), str) else "") or link or title
        if not entry_id:
            log.warning("%s: entry %d skipped: it has no id, link or title", where, index + 1)
            continue
        authors = tuple(_text(a.get("name")) for a in entry.get("authors") or [] if _text(a.get("name")))
        problems: list[str] = []
        at = f"{where} entry {entry_id.strip()[:80]!r}"
        updated = _when(entry, "updated", where=at, now=now, problems=problems)
        published = _when(entry, "published", where=at, now=now, problems=problems)
        entries.append(
            FeedEntry(
                entry_id=entry_id.strip(),
                title=title,
                link=link,
                published_at=published or updated,
                updated_at=updated,
                summary=_text(entry.get("summary"))[:_MAX_SUMMARY],
                authors=authors,
                date_problems=tuple(problems),
            )
        )
    return entries


def entry_external_id(feed_url: str, entry_id: str) -> str:
    """Stable artifact id of an entry: its id when globally unique, else scoped by the feed URL.

    An id with a scheme (``tag:``, ``https://``, ``urn:``) is kept as is; a bare id (``"42"``)
    is prefixed with the feed URL. Ids over 200 characters become ``sha256:<hex>``.
    """
    key = entry_id if ":" in entry_id else f"{feed_url}#{entry_id}"
    if len(key) > _MAX_ID:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def to_observation(entry: FeedEntry, *, feed_url: str) -> Observation:
    """Turn a blog entry into a ``post`` Observation (scope ``feeds:<url>``, no org).

    ``attrs["family_hints"]`` holds the title: the pipeline links the post to a release family
    by the model names in it (``"Qwen3: Think Deeper, Act Faster"`` -> ``Qwen3``).
    """
    return Observation(
        source=SourceKind.FEEDS,
        external_id=entry_external_id(feed_url, entry.entry_id),
        name=entry.title or entry.link or entry.entry_id,
        org=None,
        url=entry.link or feed_url,
        kind=ArtifactKind.POST,
        created_at=entry.published_at,
        attrs={
            "feed_url": feed_url,
            "entry_id": entry.entry_id,
            "summary": entry.summary,
            "authors": list(entry.authors),
            "updated_at": entry.updated_at.isoformat() if entry.updated_at else None,
            "family_hints": [entry.title] if entry.title else [],
            **({"date_problems": list(entry.date_problems)} if entry.date_problems else {}),
        },
        scope=f"feeds:{feed_url}",
    )


async def poll(client: HttpClient, settings: Settings, lab: LabConfig) -> SourceResult:
    """Fetch every feed of ``lab`` (guarded, conditional) and return its entries.

    Each feed is its own scope (``feeds:<url>``): a refused, failing or malformed feed is a
    ``ScopeFailure`` naming the URL; a 304 adds the scope to ``not_modified_scopes``.

    Args:
        client (HttpClient): the HTTP funnel; conditional inside the pipeline's
            ``client.conditional()`` block.
        settings (Settings): ``allow_private_feeds``, ``feed_allowed_hosts``.
        lab (LabConfig): the lab; its ``feeds`` are fetched.

    Returns:
        SourceResult: ``post`` observations, complete / not-modified scopes, failures, counters.
    """
    result = SourceResult(source=SourceKind.FEEDS, lab=lab.slug)
    seen: dict[str, Observation] = {}
    with count_requests(client, result), client.guarding(make_guard(settings)):
        for url in lab.feeds:
            entries = await fetch_scope(
                result,
                f"feeds:{url}",
                client.get(url, conditional=True),
                lambda response, url=url: parse_feed(
                    response.content, where=f"feed {url}", content_type=response.headers.get("Content-Type")
                ),
            )
            for entry in entries or ():
                obs = to_observation(entry, feed_url=url)
                seen.setdefault(obs.external_id, obs)
    result.observations = list(seen.values())
    return result
