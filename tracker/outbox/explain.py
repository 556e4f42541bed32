"""Why a repo or a paper was (or was not) alerted: the facts behind ``tracker explain``.

``explain(session, target, subscriptions)`` takes a Hub repo id (``Qwen/Qwen3-8B``) or an
arXiv id (``2505.09388``, a version suffix is ignored) and gathers, read-only:

* the artifact as stored: when tracker first saw it, its ``createdAt``, withdrawn or not;
* the release it belongs to: title, ``released_at`` and what it rests on
  (``released_at_source``), baseline history or a live detection, the wave it continues
  (``family_release_id``), the launch a paper joined (``merged_into_id``), and the signals that
  grouped its repos (``attrs["grouped_by"]``, written by grouping);
* for a paper, every lab query that returned it (``paper_candidates``) with the decision and
  its evidence, and the launches it is linked to;
* every outbox event about it (including an ``org_move`` naming the repo), with its hold
  (``not_before``), cancellation and dispatch, and what each subscription did with it: the
  deliveries (status, when sent, folded into a parent, the error), or why it got none (a digest
  subscription, its filter did not pass, email receives no follow-ups...).

The ``verdict`` is one sentence a reader can act on. Everything is returned as plain data
(``Explanation``), rendered by ``tracker.cli.explain``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tracker.domain import EventType, as_utc
from tracker.outbox.follow_ups import FOLLOW_UP_TYPES, NOTICE_TYPES, is_email
from tracker.outbox.radar_content import RADAR_TYPES, radar_passes
from tracker.outbox.subscriptions import facts_for_event, list_active, matches
from tracker.store.models import Artifact, Delivery, Event, Lab, PaperCandidate, Release, ReleasePaper, Subscription

ARXIV_ID = re.compile(r"^(?:arxiv:)?(\d{4}\.\d{4,5})(?:v\d+)?$", re.IGNORECASE)


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat().replace("+00:00", "Z") if value else None


@dataclass(slots=True)
class Explanation:
    """What ``explain`` found (plain JSON values; times ISO-8601 UTC).

    Attributes:
        target (str): what was asked. kind (str): ``repo`` | ``paper``.
        verdict (str): one sentence: alerted or not, and why.
        artifact / release (dict, optional): the stored rows' facts (None when not found).
        grouped_by (list[dict]): ``{"repo", "signals"}`` of the release (grouping's reasons).
        candidates (list[dict]): for a paper, each lab query's decision and evidence.
        links (list[dict]): releases the paper is linked to (``id``, ``title``, ``via``).
        events (list[dict]): outbox events with their ``deliveries`` and ``not_delivered``.
    """

    target: str
    kind: str
    verdict: str = ""
    artifact: dict[str, Any] | None = None
    release: dict[str, Any] | None = None
    grouped_by: list[dict[str, Any]] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


def _release_facts(session: Session, release: Release) -> dict[str, Any]:
    family = session.get(Release, release.family_release_id) if release.family_release_id else None
    merged = session.get(Release, release.merged_into_id) if release.merged_into_id else None
    return {
        "id": release.id,
        "title": release.title,
        "kind": release.kind,
        "lab": release.lab.slug,
        "released_at": _iso(release.released_at),
        "released_at_source": release.released_at_source or "unknown",
        "first_seen_at": _iso(release.first_seen_at),
        "baseline": release.baseline,
        "repos": len(release.artifacts),
        "size_summary": (release.attrs or {}).get("size_summary"),
        "wave_of": {"id": family.id, "title": family.title} if family else None,
        "merged_into": {"id": merged.id, "title": merged.title} if merged else None,
        "withdrawn_at": _iso(release.withdrawn_at),
    }


def _artifact_facts(a: Artifact) -> dict[str, Any]:
    return {
        "name": a.name,
        "source": a.source,
        "url": a.url,
        "first_seen_at": _iso(a.first_seen_at),
        "created_at": _iso(a.created_at),
        "withdrawn_at": _iso(a.withdrawn_at),
        "baseline": a.baseline,
    }


def _why_not(session: Session, event: Event, sub: Subscription) -> str:
    """Why an active subscription got no delivery of ``event``."""
    if event.cancelled_at is not None:
        return "cancelled before it was due: nothing was sent"
    if event.dispatched_at is None:
        return "not dispatched yet" + (f" (held until {_iso(event.not_before)})" if event.not_before else "")
    if sub.digest:
        return f"{sub.digest} digest subscription: listed in the digest, no alert"
    if event.type in FOLLOW_UP_TYPES:
        return "email gets no follow-ups (listed in the digest)" if is_email(sub.channel) else "never got the release"
    if event.type == EventType.VARIANT_ADDED and is_email(sub.channel):
        return "email: folded into the release's email or listed in the digest"
    if event.type in NOTICE_TYPES:
        return "does not follow the org's lab"
    if event.type in RADAR_TYPES and not radar_passes(sub.filters or {}, (event.payload or {}).get("country")):
        return "its filter names labs, countries, kinds or thresholds: a radar alert is about an org on no lab"
    alert = event.type in (EventType.RELEASE_DETECTED, EventType.VARIANT_ADDED)
    if alert and not matches(sub.filters or {}, facts_for_event(session=session, event=event)):
        return "its filter did not pass"
    if sub.created_at and as_utc(sub.created_at) > as_utc(event.dispatched_at):
        return "subscribed after the event was dispatched"
    return "the channel could not be served when the event was dispatched (see `tracker slack test`)"


def _event_facts(session: Session, event: Event, subs: list[Subscription]) -> dict[str, Any]:
    rows = session.scalars(select(Delivery).where(Delivery.event_id == event.id).order_by(Delivery.id)).all()
    got = {d.subscription_id for d in rows}
    return {
        "id": event.id,
        "type": event.type,
        "created_at": _iso(event.created_at),
        "not_before": _iso(event.not_before),
        "cancelled_at": _iso(event.cancelled_at),
        "dispatched_at": _iso(event.dispatched_at),
        "deliveries": [
            {
                "channel": d.channel,
                "status": d.status,
                "sent_at": _iso(d.sent_at),
                "folded": bool((d.external_ref or {}).get("folded")),
                "error": d.last_error,
            }
            for d in rows
        ],
        "not_delivered": [{"channel": s.channel, "why": _why_not(session, event, s)} for s in subs if s.id not in got],
    }


def _events_for(session: Session, release: Release | None, artifact: Artifact | None) -> list[Event]:
    clauses = []
    if release is not None:
        clauses.append(Event.release_id == release.id)
    if artifact is not None:
        clauses.append(Event.artifact_id == artifact.id)
        if artifact.org:  # an org move names the repos it moved
            clauses.append((Event.type == EventType.ORG_MOVE) & (Event.dedupe_key.like(f"org_move:{artifact.org}:%")))
    if not clauses:
        return []
    events = session.scalars(select(Event).where(or_(*clauses)).order_by(Event.id)).all()
    if artifact is None:
        return list(events)
    keep = []
    for e in events:  # a release's variant events about other repos say nothing about this one
        if e.type == EventType.VARIANT_ADDED and e.artifact_id != artifact.id:
            continue
        if e.type == EventType.ORG_MOVE and artifact.name not in ((e.payload or {}).get("repos") or []):
            continue
        keep.append(e)
    return keep


def _report_events(session: Session, arxiv_id: str, launch_ids: list[int | None]) -> list[Event]:
    """``paper_linked`` events on the given launches that name ``arxiv_id``."""
    ids = {i for i in launch_ids if i is not None}
    if not ids:
        return []
    stmt = select(Event).where(Event.type == EventType.PAPER_LINKED, Event.release_id.in_(ids)).order_by(Event.id)
    return [e for e in session.scalars(stmt) if str((e.payload or {}).get("arxiv_id")) == arxiv_id]


def _renamed_from(session: Session, name: str) -> Artifact | None:
    """The artifact once listed as ``name`` (a renamed repo, or one moved to another org)."""
    stmt = select(Event).where(Event.type == EventType.ARTIFACT_RENAMED).order_by(Event.id.desc())
    for event in session.scalars(stmt):
        if str((event.payload or {}).get("old_name") or "").lower() == name.lower() and event.artifact_id:
            return session.get(Artifact, event.artifact_id)
    return None


def _own_event(events: list[Event], artifact: Artifact, release: Release) -> Event | None:
    """The alert event of the repo itself: the release it started, or its variant event."""
    for e in events:
        if e.type == EventType.VARIANT_ADDED and e.artifact_id == artifact.id:
            return e
        if e.type == EventType.RELEASE_DETECTED and e.release_id == release.id:
            return e
    return None


def _alert_verdict(artifact: Artifact, release: Release, events: list[Event]) -> str:
    moved = next((e for e in events if e.type == EventType.ORG_MOVE), None)
    if moved is not None:
        org = (moved.payload or {}).get("org")
        return f"not alerted: it moved into {org} with other established repos (one org-move notice, no release alert)"
    if artifact.baseline or release.baseline:
        source = release.released_at_source or "unknown"
        return f"not alerted: recorded as history on the first poll of its source (dated by {source})"
    if release.merged_into_id is not None:
        return f"no alert of its own: it joined launch #{release.merged_into_id} as its technical report"
    own = _own_event(events, artifact, release)
    if own is None:
        return "not alerted: no alert event was written for it"
    if own.cancelled_at is not None:
        return "not alerted: its alert was cancelled before it was due"
    if own.dispatched_at is None:
        held = f" (held until {_iso(own.not_before)})" if own.not_before else ""
        return f"not alerted yet: its alert waits to be dispatched{held}"
    wave = f", a later wave of release #{release.family_release_id}" if release.family_release_id else ""
    if own.type == EventType.RELEASE_DETECTED and (own.artifact_id in (None, artifact.id)):
        return f"alerted: it started release #{release.id} “{release.title}”{wave}"
    return f"alerted as part of release #{release.id} “{release.title}”{wave}: it joined it as a variant"


def _paper_explanation(session: Session, arxiv_id: str, out: Explanation) -> Artifact | None:
    """Fill the paper-only parts (candidates, links); return the stored paper artifact, if any."""
    for c, lab_slug in session.execute(
        select(PaperCandidate, Lab.slug)
        .join(Lab, Lab.id == PaperCandidate.lab_id)
        .where(PaperCandidate.arxiv_id == arxiv_id)
        .order_by(PaperCandidate.id)
    ):
        out.candidates.append(
            {
                "lab": lab_slug,
                "decision": c.decision,
                "evidence": list(c.evidence or []),
                "title": c.title,
                "published_at": _iso(c.published_at),
                "first_seen_at": _iso(c.first_seen_at),
            }
        )
    artifact = session.scalars(
        select(Artifact).where(Artifact.source == "arxiv", Artifact.external_id == arxiv_id).limit(1)
    ).first()
    if artifact is not None:
        for link, title in session.execute(
            select(ReleasePaper, Release.title)
            .join(Release, Release.id == ReleasePaper.release_id)
            .where(ReleasePaper.paper_id == artifact.id)
            .order_by(ReleasePaper.id)
        ):
            out.links.append({"id": link.release_id, "title": title, "via": link.via})
    return artifact


def explain(session: Session, target: str) -> Explanation:
    """Gather why ``target`` (a Hub repo id or an arXiv id) was or was not alerted (read-only).

    Args:
        session (Session): an open session (never committed).
        target (str): ``org/name`` (case-insensitive) or an arXiv id (``2505.09388``, ``v2``
            suffix and ``arxiv:`` prefix accepted).

    Returns:
        Explanation: see the module docstring; ``verdict`` says "never seen" when tracker has
        no row about it.
    """
    target = target.strip()
    paper = ARXIV_ID.match(target)
    out = Explanation(target=paper.group(1) if paper else target, kind="paper" if paper else "repo")
    if paper:
        artifact = _paper_explanation(session, out.target, out)
    else:
        artifact = session.scalars(
            select(Artifact).where(func.lower(Artifact.name) == target.lower()).order_by(Artifact.id).limit(1)
        ).first() or _renamed_from(session, target)
    if artifact is None:
        rejected = [c for c in out.candidates if c["decision"] != "attributed"]
        if rejected:
            why = "; ".join(rejected[0]["evidence"]) or "no evidence"
            out.verdict = f"not attributed to {rejected[0]['lab']}: {why}"
        else:
            where = "no watched lab's arXiv query" if paper else "no watched lab's listing"
            out.verdict = f"never seen: {where} has returned {out.target}"
        return out
    release = artifact.release
    if not paper and artifact.name.lower() != target.lower():
        out.target = f"{target} (now {artifact.name})"
    elif not paper:
        out.target = artifact.name  # as the source spells it
    out.artifact = _artifact_facts(artifact)
    out.release = _release_facts(session, release)
    out.grouped_by = [g for g in (release.attrs or {}).get("grouped_by") or [] if isinstance(g, dict)]
    events = _events_for(session, release, artifact)
    if paper:  # the follow-ups on the launch's message that announce this report
        events += _report_events(session, out.target, [link["id"] for link in out.links] + [release.merged_into_id])
    subs = list_active(session=session)
    out.events = [_event_facts(session, e, subs) for e in events]
    out.verdict = _alert_verdict(artifact, release, events)
    mine = next((g for g in out.grouped_by if str(g.get("repo", "")).lower() == artifact.name.lower()), None)
    if mine and mine.get("signals") and not paper:
        out.verdict += f" (grouped by: {', '.join(map(str, mine['signals']))})"
    if release.withdrawn_at is not None:
        out.verdict += f"; every repo of the release was withdrawn at {_iso(release.withdrawn_at)}"
    return out
