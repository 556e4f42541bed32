"""The radar alert: who gets a ``radar_crossed`` event, and its content.

**Who gets it.** A radar alert is about an org on no lab of the watchlist, so the one filter
(``tracker.outbox.subscriptions.matches``) sees it as a model alert with no lab, the org's
country when evidence gave one (else none), and no size, significance or licence. Hence: the
alert subscriptions (no digest period) whose filter does not restrict labs (``labs`` missing or
``*``), does not restrict countries unless the candidate's known country is listed, names no
variant kind, and sets no ``min_params_b``, ``significance`` or ``licences`` threshold (nothing
about an unknown org can pass one). Digest subscriptions read the same candidates in the digest's
"New on the radar" section, filtered by the same rule (``radar_passes``).

**Content.** Built from the event payload alone (``RadarLine.to_dict()`` frozen when the
candidate crossed: the alert says why it was news then, even if the score moved since).
Nothing here escapes: transports do.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from tracker.domain import EventType
from tracker.notify.content import Link, Message, RadarLine
from tracker.outbox.fanout import Audience, FanOut
from tracker.outbox.subscriptions import AlertFacts, matches
from tracker.store.models import Event

log = logging.getLogger(__name__)

RADAR_TYPES = frozenset({EventType.RADAR_CROSSED.value})


def radar_key(org_key: str) -> str:
    """``radar:<org lower-cased>``: the ``Event.dedupe_key`` that makes one alert per org, ever."""
    return f"radar:{org_key.strip().lower()}"


def radar_facts(country: str | None) -> AlertFacts:
    """What the subscription filter sees of a radar candidate (see the module docstring)."""
    return AlertFacts(lab="", country=(country or "").upper(), kind="model")


def radar_passes(filters: Mapping[str, Any], country: str | None) -> bool:
    """True when a subscription with ``filters`` gets radar alerts and the briefings' radar section."""
    return matches(filters, radar_facts(country))


def fan_out_radar(audience: Audience, event: Event) -> FanOut:
    """Create one alert delivery per servable alert subscription that ``radar_passes``."""
    country = (event.payload or {}).get("country")
    return audience.fan_out(
        kind="alert",
        key=lambda sub: f"event:{event.id}:{sub.id}",
        event_id=event.id,
        passes=lambda sub: radar_passes(sub.filters or {}, country if isinstance(country, str) else None),
    )


def build_radar_message(event_id: int, payload: Mapping[str, Any]) -> Message:
    """The channel-neutral alert of a ``radar_crossed`` event (payload: ``RadarLine.to_dict()``).

    ``lab_name`` is the org, ``title`` the score, ``artifact`` the top repo, ``url`` its Hub page
    (else the org's), ``facts`` the reasons then the numbers, ``links`` the org, the top repo
    and the report.
    """
    try:
        line = RadarLine.from_dict(payload)
    except (KeyError, TypeError) as exc:
        log.warning("radar event %s has an unusable payload (%s)", event_id, exc)
        line = RadarLine(org=str(payload.get("org") or "?")[:100], score=0.0, first_seen_at="")
    links = [
        Link(f"{line.org} on the Hub", line.org_url) if line.org_url else None,
        Link(line.best_repo_id or "", line.best_repo_url) if line.best_repo_url else None,
        Link(f"arXiv {line.arxiv_id}", line.arxiv_url) if line.arxiv_url else None,
    ]
    facts = [r.text for r in line.reasons] + line.facts()
    if line.country is None:
        facts.append("country unknown")
    return Message(
        event=EventType.RADAR_CROSSED,
        lab="",
        lab_name=line.org,
        country=line.country or "",
        kind="model",
        title=f"on the radar, score {line.score:.0f}/100",
        artifact=line.best_repo_id or line.org,
        url=line.best_repo_url or line.org_url or "",
        facts=tuple(dict.fromkeys(f for f in facts if f)),
        idempotency_key=f"event-{event_id}",
        links=tuple(link for link in links if link is not None),
        note="not on the watchlist: tracker radar adopt adds it",
    )
