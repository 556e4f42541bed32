"""The radar alert's outbox events: one ``radar_crossed`` per org, ever.

The radar cycle sets ``RadarCandidate.crossed_at`` once, when a candidate's score first reaches
``TRACKER_RADAR_ALERT_SCORE``; ``emit_radar_crossings`` (called by the cycle after rescoring)
turns each such candidate into one outbox event, when ``TRACKER_RADAR_ALERTS`` is on. The event's
``dedupe_key`` is ``radar:<org lower-cased>`` (unique in the database), so re-runs, concurrent
workers, and a score that dips and crosses again never write a second one. The payload freezes
what the candidate looked like when it was announced (``RadarLine.to_dict()``, Hub links built
from validated ids); the dispatcher fans it out (``tracker.outbox.radar_content``).

Only ``candidate`` rows are announced: an ``adopted`` org is on the watchlist (its releases are
alerted), an ``excluded`` one is noise. Only fresh crossings are news: a crossing older than
``NEWS_S`` (or two radar intervals, if longer) is never alerted, so switching the alert on over a
radar that has run for months announces what crosses from then on, not a burst of old candidates
(those stay on ``tracker radar`` and ``/radar``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.config import Settings
from tracker.domain import EventType, as_utc
from tracker.notify.content import radar_line
from tracker.outbox.radar_content import radar_key
from tracker.store.models import Event, RadarCandidate
from tracker.store.serialize import radar_to_dict

log = logging.getLogger(__name__)

#: Seconds after its crossing during which a candidate is still announced.
NEWS_S = 86_400.0


def emit_radar_crossings(session: Session, settings: Settings, now: datetime) -> int:
    """Write one ``radar_crossed`` event per candidate that crossed the alert score and has none.

    Args:
        session (Session): the caller's transaction (never committed here).
        settings (Settings): ``radar.enabled`` and ``radar.alerts`` must both be on; ``hub.web_base``
            is the base of the links in the payload.
        now (datetime): the events' ``created_at`` (UTC).

    Returns:
        int: events written by this call (0 when alerts are off).
    """
    if not (settings.radar.enabled and settings.radar.alerts):
        return 0
    fresh = as_utc(now) - timedelta(seconds=max(NEWS_S, 2 * settings.radar.interval))
    crossed = session.scalars(
        select(RadarCandidate)
        .where(RadarCandidate.crossed_at >= fresh, RadarCandidate.status == "candidate")
        .order_by(RadarCandidate.crossed_at, RadarCandidate.id)
    ).all()
    if not crossed:
        return 0
    keys = {c.id: radar_key(c.org_key) for c in crossed}
    done = set(session.scalars(select(Event.dedupe_key).where(Event.dedupe_key.in_(list(keys.values())))))
    written = 0
    for candidate in crossed:
        key = keys[candidate.id]
        if key in done:
            continue
        payload = radar_line(radar_to_dict(candidate), hub_url=settings.hub.web_base).to_dict()
        payload["alert_score"] = settings.radar.alert_score
        event = Event(type=EventType.RADAR_CROSSED.value, payload=payload, created_at=as_utc(now), dedupe_key=key)
        try:
            with session.begin_nested():  # a concurrent cycle may announce the same org first
                session.add(event)
        except IntegrityError:
            log.info("radar: %s was announced concurrently", candidate.org)
            continue
        done.add(key)
        written += 1
        log.info("radar: %s crossed %.0f (score %.0f)", candidate.org, settings.radar.alert_score, candidate.score)
    return written
