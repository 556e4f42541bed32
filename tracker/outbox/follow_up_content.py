"""What a release's message shows beyond its repos, and the content of follow-ups and notices.

A release announced earlier can change in ways its readers should see on the same message:
every repo withdrawn (``release_withdrawn``: "withdrawn after 41 min"), listed again
(``release_restored``), its technical report joining it (``paper_linked``), or, for a paper
announced before its weights, the launch arriving (``launch_linked``). ``release_state``
returns the ``Message`` fields that say so, read from the database and the event payload the
producers write (``withdrawn_at``/``public_for_s``; ``paper_release_id``/``arxiv_id``/
``title``/``url``; ``launch_release_id``/``title``/``url``). A later wave of a family
(``Release.family_release_id`` with ``attrs["wave"]``) is titled "<family>: new sizes <sizes>".
``org_move_message`` builds the one informational notice of an ``org_move`` event (payload
``org``, ``count``, ``repos``, ``from_orgs``). Payload values are external text: kept raw here,
escaped by each transport, and clamped in length.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.domain import EventType, as_utc
from tracker.notify.content import Link, Message
from tracker.store.models import Artifact, Event, Lab, Release

#: Longest title or name taken from a payload (external text).
MAX_TEXT = 300
#: Repos an org-move notice names (the producer sends at most 20).
MAX_MOVED_NAMED = 10


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())[:MAX_TEXT]


def _seconds(value: Any) -> int | None:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return None


def _when(value: Any) -> datetime | None:
    try:
        return as_utc(datetime.fromisoformat(str(value))) if value else None
    except ValueError:
        return None


def _http(url: Any) -> str:
    url = str(url or "")
    return url if url.startswith(("https://", "http://")) else ""


def withdrawn_after_s(release: Release, event: Event) -> int | None:
    """Seconds the release was public before every repo was withdrawn; None when it is not withdrawn.

    The ``release_withdrawn`` payload's ``public_for_s`` wins; otherwise the time from
    ``released_at`` to ``Release.withdrawn_at``. A ``release_restored`` event shows it live again.
    """
    if event.type == EventType.RELEASE_RESTORED:
        return None
    payload = event.payload or {}
    if event.type == EventType.RELEASE_WITHDRAWN:
        seconds = _seconds(payload.get("public_for_s"))
        if seconds is not None:
            return seconds
        withdrawn = _when(payload.get("withdrawn_at")) or (release.withdrawn_at and as_utc(release.withdrawn_at))
    else:
        withdrawn = as_utc(release.withdrawn_at) if release.withdrawn_at else None
    if withdrawn is None:
        return None
    return max(0, int((withdrawn - as_utc(release.released_at)).total_seconds()))


def reports_of(session: Session, release: Release, event: Event) -> tuple[Link, ...]:
    """The technical reports that joined ``release``: paper releases merged into it, and the
    report a ``paper_linked`` event names (it may be committed before the merge is visible)."""
    links: dict[str, Link] = {}
    merged = session.scalars(
        select(Release).where(Release.merged_into_id == release.id, Release.kind == "paper").order_by(Release.id)
    )
    for paper in merged:
        links.setdefault(paper.url, Link(_text(paper.title), paper.url))
    if event.type == EventType.PAPER_LINKED:
        payload = event.payload or {}
        url = _http(payload.get("url"))
        if url:
            links.setdefault(url, Link(_text(payload.get("title")) or url, url))
    return tuple(links.values())


def _linked(event: Event) -> tuple[Link | None, str]:
    payload = event.payload or {}
    title, url = _text(payload.get("title")), _http(payload.get("url"))
    if event.type == EventType.PAPER_LINKED:
        arxiv_id = _text(payload.get("arxiv_id"))[:40]
        note = f"Technical report: {title}" + (f" (arXiv {arxiv_id})" if arxiv_id else "")
        return (Link(title or url, url) if url else None), note
    if event.type == EventType.LAUNCH_LINKED:
        return (Link(title or url, url) if url else None), f"Weights released: {title}"
    return None, ""


def wave_title(release: Release) -> str | None:
    """``Qwen3-VL: new sizes 30B-A3B, 8B`` for a later wave of a family, else None."""
    wave = (release.attrs or {}).get("wave")
    if release.family_release_id is None or not isinstance(wave, Mapping):
        return None
    family = _text(wave.get("family_title")) or release.title
    sizes = _text(wave.get("new_sizes"))
    return f"{family}: new sizes {sizes}" if sizes else f"{family}: new sizes"


def release_state(session: Session, release: Release, event: Event) -> dict[str, Any]:
    """The ``Message`` fields about the release's state and the follow-up ``event`` (see the module)."""
    linked, note = _linked(event)
    fields: dict[str, Any] = {
        "withdrawn_after_s": withdrawn_after_s(release, event),
        "reports": reports_of(session, release, event),
        "linked": linked,
        "note": note,
    }
    if (title := wave_title(release)) is not None:
        fields["title"] = title
    return fields


def _lab_of_org(session: Session, org: str, payload: Mapping[str, Any]) -> Lab | None:
    """The lab whose repos are listed under ``org`` (case-insensitive), else the payload's ``lab``."""
    found = session.scalars(
        select(Lab)
        .join(Release, Release.lab_id == Lab.id)
        .join(Artifact, Artifact.release_id == Release.id)
        .where(func.lower(Artifact.org) == org.lower())  # Hub org names are case-insensitive
        .limit(1)
    ).first()
    if found is None and payload.get("lab"):
        found = session.scalars(select(Lab).where(Lab.slug == str(payload["lab"]))).first()
    return found


def org_move_message(session: Session, event: Event) -> Message:
    """The informational notice of an ``org_move`` event: ``12 repos moved into zai-org``.

    ``facts`` say where they came from, that they were recorded as history (not announced) and
    name the first repos; ``url`` is the org on the Hub when a moved repo's URL shows it.
    """
    payload = event.payload or {}
    org = _text(payload.get("org"))[:100]
    repos = [_text(r)[:200] for r in (payload.get("repos") or []) if r][:MAX_MOVED_NAMED]
    count = _seconds(payload.get("count")) or len(repos)
    lab = _lab_of_org(session, org, payload) if org else None
    sources = [_text(o)[:100] for o in payload.get("from_orgs") or [] if o]
    facts = [
        f"from {', '.join(sources)}" if sources else "",
        "already public elsewhere: recorded as history, not announced as new releases",
        ("repos: " + ", ".join(repos) + (f" and {count - len(repos)} more" if count > len(repos) else ""))
        if repos
        else "",
    ]
    return Message(
        event=EventType.ORG_MOVE,
        lab=lab.slug if lab else "",
        lab_name=lab.name if lab else org,
        country=lab.country if lab else "",
        kind="model",
        title=f"{count} repo{'s' if count != 1 else ''} moved into {org}",
        artifact=org,
        url="",
        facts=tuple(f for f in facts if f),
        idempotency_key=f"event-{event.id}",
        note="already public elsewhere: recorded as history, not announced as new releases",
    )
