"""Atom feeds of releases (RFC 4287), built with feedgen.

Each entry is one release: ``id`` is a stable ``urn:uuid`` derived from the release's id, lab and
first sight (so it never changes when the release gains variants or the server moves),
``published`` is its ``released_at`` (UTC) and ``updated`` the last change a reader would see
(``entry_updated``: a technical report joining, a withdrawal, ``Release.updated_at``), so a
report joining its launch updates the launch's entry instead of adding one. The alternate link is
the release's URL on its source; the summary lists its artifacts with their variant facts, its
papers, and says when the release was withdrawn (its title then ends with "(withdrawn)").
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import __version__
from tracker.domain import as_utc
from tracker.store.models import Release

#: Namespace of the entry and feed ids (uuid5).
ID_NAMESPACE = uuid.UUID("7b7c2b51-5a53-4c8e-9a7e-2f3f4b7e9d10")
#: ``updated`` of a feed with no entries (a fixed time, so an empty feed does not look new).
EMPTY_FEED_UPDATED = datetime(2000, 1, 1, tzinfo=UTC)


def release_entry_id(release: Release) -> str:
    """Return the release's stable Atom entry id: ``urn:uuid:<uuid5>``."""
    key = f"release:{release.id}:{release.lab.slug}:{as_utc(release.first_seen_at).isoformat()}"
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, key)}"


def merged_reports(session: Session, releases: Sequence[Release]) -> dict[int, list[Release]]:
    """The paper releases merged into each of ``releases`` (its technical reports), by release id."""
    ids = [r.id for r in releases]
    found: dict[int, list[Release]] = {}
    if ids:
        stmt = select(Release).where(Release.merged_into_id.in_(ids)).order_by(Release.id)
        for paper in session.scalars(stmt):
            found.setdefault(paper.merged_into_id, []).append(paper)
    return found


def entry_updated(release: Release, reports: Sequence[Release] = ()) -> datetime:
    """The entry's ``updated`` (UTC): the latest of ``released_at``, ``updated_at``,
    ``withdrawn_at``, the first sight of each paper linked to the release (``paper_links``) and
    of each report merged into it (``reports``)."""
    times = [release.released_at, release.updated_at, release.withdrawn_at]
    times += [link.paper.first_seen_at for link in release.paper_links if link.paper is not None]
    times += [r.first_seen_at for r in reports]
    return max(as_utc(t) for t in times if t is not None)


def _summary(release: Release, reports: Sequence[Release]) -> str:
    lines = [
        f"{release.lab.name} ({release.lab.country}) released {release.title} ({release.kind})"
        + (" [history recorded on first run]" if release.baseline else "")
        + "."
    ]
    if release.withdrawn_at is not None:
        lines.append(
            f"Withdrawn {as_utc(release.withdrawn_at):%Y-%m-%d %H:%M} UTC: every repo was deleted or made private."
        )
    for a in release.artifacts:
        facts = [x for x in (a.size_label, a.quantization, ", ".join(a.kinds or [])) if x]
        lines.append(f"- {a.name}" + (f" ({'; '.join(facts)})" if facts else "") + f" {a.url}")
    shown = set()
    for link in release.paper_links:
        if link.paper is not None:
            shown.add(link.paper.url)
            lines.append(f"Paper: {link.paper.name} {link.paper.url}")
    lines += [f"Paper: {r.title} {r.url}" for r in reports if r.url not in shown]
    return "\n".join(lines)


def build_releases_feed(
    releases: Sequence[Release],
    *,
    feed_key: str,
    title: str,
    self_url: str,
    site_url: str,
    api_url: str,
    reports: Mapping[int, Sequence[Release]] | None = None,
) -> bytes:
    """Render an Atom feed of ``releases`` (given newest first).

    Args:
        releases: releases with ``lab`` and ``artifacts`` loaded.
        feed_key (str): stable key of the feed (``releases``, ``lab:qwen``); the feed id derives from it.
        title (str): feed title. self_url (str): the feed's own URL (``rel="self"``).
        site_url (str): the dashboard (``rel="alternate"``). api_url (str): base of the REST API
            (each summary ends with the release's ``{api_url}releases/{id}``).
        reports (Mapping, optional): release id -> paper releases merged into it
            (``merged_reports``): listed in its summary, and they move its ``updated``.

    Returns:
        bytes: the Atom XML document (UTF-8). ``updated`` is the newest entry's ``updated``.
    """
    fg = FeedGenerator()
    fg.id(f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, 'feed:' + feed_key)}")
    fg.title(title)
    fg.subtitle("Open-weight AI model releases detected by tracker")
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.link(href=site_url, rel="alternate", type="text/html")
    fg.generator("tracker", version=__version__)
    reports = reports or {}
    fg.updated(max((entry_updated(r, reports.get(r.id, ())) for r in releases), default=EMPTY_FEED_UPDATED))
    for release in releases:
        fe = fg.add_entry(order="append")
        fe.id(release_entry_id(release))
        fe.title(f"{release.lab.name}: {release.title}" + (" (withdrawn)" if release.withdrawn_at else ""))
        fe.updated(entry_updated(release, reports.get(release.id, ())))
        fe.published(as_utc(release.released_at))
        fe.author(name=release.lab.name)
        fe.link(href=release.url, rel="alternate")
        fe.category(term=release.kind)
        fe.category(term=release.lab.country, label=f"country:{release.lab.country}")
        # One link only: feedgen 1.0 drops rel/type on entry links, and Atom allows one alternate.
        fe.summary(_summary(release, reports.get(release.id, ())) + f"\nAPI: {api_url}releases/{release.id}")
    return fg.atom_str(pretty=True)
