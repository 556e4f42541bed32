"""Mutes: hold back alerts about a repo, a release family or a lab, on every channel.

A mute's ``target`` is compared, case-insensitively, with three facts of each alert event: the
lab slug, the release's family (``qwen3``) and title, and the artifact's name (``Qwen/Qwen3-8B``).
The fan-out (``tracker.outbox.dispatch``) creates no delivery for a muted alert: the event is
marked dispatched, so nothing is sent later when the mute ends (a mute means "not these").
Cadence alerts (about a lab) are muted by the lab; radar alerts (about an org outside the
watchlist) by the org or its top repo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tracker.domain import EventType
from tracker.errors import UsageError
from tracker.store.models import Event, Mute, Release

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$", re.IGNORECASE)
_UNIT_S = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> timedelta:
    """``30m``, ``12h``, ``7d``, ``2w`` as a timedelta.

    Raises:
        UsageError: not a number followed by m, h, d or w, or not positive.
    """
    m = _DURATION.match(text or "")
    if not m or float(m[1]) <= 0:
        raise UsageError(f"--for must be a duration like 30m, 12h, 7d or 2w, got {text!r}")
    return timedelta(seconds=float(m[1]) * _UNIT_S[m[2].lower()])


@dataclass(frozen=True, slots=True)
class MuteInfo:
    """A mute as listed: ``target`` and ``until`` (UTC, None = until unmuted)."""

    target: str
    until: datetime | None


def set_mute(*, session: Session, target: str, until: datetime | None, now: datetime) -> MuteInfo:
    """Mute ``target`` until ``until`` (replacing an earlier mute of it). Never commits.

    Raises:
        UsageError: an empty target.
    """
    key = " ".join(target.split()).lower()
    if not key:
        raise UsageError("name what to mute: a repo (Qwen/Qwen3-8B), a family (qwen3) or a lab (qwen)")
    row = session.scalars(select(Mute).where(Mute.target == key)).first()
    if row is None:
        row = Mute(target=key, until=until, created_at=now)
        session.add(row)
    else:
        row.until, row.created_at = until, now
    session.flush()
    return MuteInfo(row.target, row.until)


def remove_mute(*, session: Session, target: str) -> bool:
    """Unmute ``target``; False when it was not muted. Never commits."""
    row = session.scalars(select(Mute).where(Mute.target == " ".join(target.split()).lower())).first()
    if row is None:
        return False
    session.delete(row)
    return True


def active_mutes(*, session: Session, now: datetime) -> list[MuteInfo]:
    """Mutes in force at ``now`` (UTC), by target."""
    rows = session.scalars(select(Mute).where(or_(Mute.until.is_(None), Mute.until > now)).order_by(Mute.target))
    return [MuteInfo(r.target, r.until) for r in rows]


def event_subjects(*, session: Session, event: Event) -> set[str]:
    """The lower-cased names a mute can match for ``event``: lab, family, release title, artifact."""
    payload = event.payload or {}
    names = {payload.get("lab"), payload.get("title"), (payload.get("artifact") or {}).get("name")}
    if event.type == EventType.RADAR_CROSSED:  # about an org outside the watchlist: its name and top repo
        names |= {payload.get("org"), payload.get("best_repo_id")}
    release = session.get(Release, event.release_id) if event.release_id else None
    if release is not None:
        names |= {release.family, release.title}
    return {str(n).lower() for n in names if n}


def muted_by(mutes: list[MuteInfo], subjects: set[str]) -> MuteInfo | None:
    """The first mute whose target is one of ``subjects``, or None."""
    return next((m for m in mutes if m.target in subjects), None)
