"""The ``lab_quiet`` / ``lab_burst`` alerts (written by ``tracker.briefings.cadence_alerts``) built from their payloads.

Nothing here formats for a channel or escapes anything: transports do (``tracker.notify``).
"""

from __future__ import annotations

from typing import Any

from tracker.analytics.status import BURST_WINDOW_DAYS
from tracker.domain import EventType
from tracker.notify.content import Message


def build_cadence_message(event_id: int, event_type: str, payload: dict[str, Any]) -> Message:
    """Build the channel-neutral alert of a ``lab_quiet`` / ``lab_burst`` event from its payload.

    ``title`` says what happened (``quiet for 62 days``, ``4 releases in 7 days``) and ``facts``
    give the numbers behind it, one line each (releases are named, not linked: the payload keeps
    ids and titles only, so ``url`` is empty).
    """
    days = payload.get("days_since_last")
    median = payload.get("median_gap_days")
    threshold = payload.get("quiet_after_days")
    k = payload.get("quiet_factor_k")
    facts: list[str] = []
    if event_type == EventType.LAB_QUIET:
        title = f"quiet for {days:.0f} days" if days is not None else "quiet"
        last = payload.get("last_release") or {}
        if last:
            facts.append(f"last release: {last.get('title')} on {str(last.get('released_at'))[:10]}")
        if median is not None and threshold is not None:
            why = (
                f"{k:g} × the median gap"
                if abs(threshold - k * median) < 0.05
                else f"{k:g} × a floor of {threshold / k:g} days: the median gap is shorter"
            )
            facts.append(
                f"usually ships every {median:.1f} days (median gap); quiet after {threshold:.0f} days ({why})"
            )
        facts.append(f"{payload.get('releases')} releases on record")
    else:
        n = payload.get("releases_7d")
        title = f"{n} releases in {BURST_WINDOW_DAYS} days"
        window = payload.get("window") or []
        if window:
            facts.append(
                "releases: " + ", ".join(f"{w.get('title')} ({str(w.get('released_at'))[:10]})" for w in window)
            )
        if median is not None:
            facts.append(f"usually ships every {median:.1f} days (median gap)")
        facts.append(f"burst week {payload.get('week')}")
    return Message(
        event=event_type,
        lab=payload.get("lab", ""),
        lab_name=payload.get("lab_name", ""),
        country=payload.get("country", ""),
        kind=payload.get("kind", "model"),
        title=title,
        artifact="",
        url="",
        facts=tuple(facts),
        idempotency_key=f"event-{event_id}",
    )
