"""The "New on the radar" section of the weekly pulse and the digests.

A candidate is new on the radar in a period when its ``crossed_at`` (the time its score first
reached ``TRACKER_RADAR_ALERT_SCORE``, set once by the radar cycle) falls in ``[start, end)``.
Candidates and orgs adopted since are listed; excluded ones (noise) never. A digest applies the
subscription's filter with the radar alert's rule (``tracker.outbox.radar_content.radar_passes``:
a subscription restricted to some labs hears of no org outside them). The section is absent when
nothing crossed in the period.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tracker.domain import as_utc
from tracker.notify.content import RadarLine, radar_line
from tracker.outbox.radar_content import radar_passes
from tracker.store.queries import list_radar
from tracker.store.serialize import radar_to_dict

#: At most this many orgs in the section (highest score first).
RADAR_LINES = 8
#: The statuses listed: still a candidate, or adopted since it crossed (news either way).
LISTED = ("candidate", "adopted")


def new_on_radar(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    hub_url: str,
    filters: Mapping[str, Any] | None = None,
    limit: int = RADAR_LINES,
) -> list[RadarLine]:
    """Candidates that crossed the alert score with ``start <= crossed_at < end`` (UTC), highest
    score first, at most ``limit``; ``filters`` (a subscription's) applied by ``radar_passes``.

    Args:
        session (Session): read only. start / end (datetime): the period (UTC).
        hub_url (str): the base of Hub links (``settings.hub.web_base``).
    """
    start, end = as_utc(start), as_utc(end)
    rows = list_radar(session=session, crossed_since=start, statuses=LISTED, limit=1000)
    lines = []
    for row in rows:
        if row.crossed_at is None or as_utc(row.crossed_at) >= end:
            continue
        if filters is not None and not radar_passes(filters, row.country):
            continue
        lines.append(radar_line(radar_to_dict(row), hub_url=hub_url))
        if len(lines) >= limit:
            break
    return lines
