"""The weekly pulse's keyed deliveries: one per pulse channel and ISO week, and the schedule.

A pulse is a ``Delivery`` of kind ``pulse`` keyed ``pulse:<channel>:<ISO week>``, created
directly (no outbox event) by the fan-out (``tracker.outbox.fanout``) for every active Slack,
webhook or console subscription (no digest period) whose channel can be served; creating it
twice is a no-op, so re-running the schedule sends nothing twice. The payload holds what is
sent: ``blocks`` and ``text`` (``tracker.notify.slack.pulse_blocks``) and, for Slack channels,
the chart PNG (base64) and its file name, so a retry sends exactly the same message. The chart
goes up with Slack's files API where a bot token allows; otherwise the message links to the
dashboard (``TRACKER_DASHBOARD_URL``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tracker.analytics.status import CadenceRules
from tracker.briefings.pulse.build import build_chart_png, build_pulse
from tracker.briefings.pulse.weeks import due_pulse_week, parse_week, zone
from tracker.config import Settings
from tracker.domain import utcnow
from tracker.notify.content import Pulse
from tracker.notify.slack.pulse_blocks import pulse_content
from tracker.outbox.fanout import Audience
from tracker.store import Store
from tracker.store.models import Subscription
from tracker.watchlist import Watchlist

#: Channel schemes that get the pulse (email readers get the cadence in their digest instead).
PULSE_SCHEMES = ("slack", "webhook", "console")


def pulse_key(channel: str, week: str) -> str:
    """The pulse delivery's idempotency key: ``pulse:<channel>:<ISO week>``."""
    return f"pulse:{channel}:{week}"


@dataclass(slots=True)
class PulseRun:
    """What ``create_pulse_deliveries`` did.

    Attributes:
        week (str): the ISO week. pulse (Pulse, optional): the content (None when no channel).
        delivery_ids (list[int]): deliveries created (to send).
        existing (list[str]): channels that already had this week's pulse (nothing created).
        skipped_channels (dict[str, str]): channels that cannot be served, and why.
    """

    week: str
    pulse: Pulse | None = None
    delivery_ids: list[int] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    skipped_channels: dict[str, str] = field(default_factory=dict)


def pulse_payload(*, session: Session, pulse: Pulse, settings: Settings, chart: bool = True) -> dict[str, Any]:
    """The delivery payload of a pulse: ``week``, ``timezone``, ``text``, ``blocks``, the chart PNG
    (``chart_png_b64``, ``chart_filename``, ``chart_title``) and ``dashboard_url``."""
    content = pulse_content(pulse, dashboard_url=settings.api.dashboard_url)
    payload: dict[str, Any] = {
        "week": pulse.week,
        "timezone": pulse.timezone,
        "text": content.text,
        "blocks": content.blocks,
        "dashboard_url": settings.api.dashboard_url,
    }
    if chart:
        payload["chart_png_b64"] = base64.b64encode(build_chart_png(session=session, pulse=pulse)).decode("ascii")
        payload["chart_filename"] = f"tracker-pulse-{pulse.week}.png"
        payload["chart_title"] = f"Releases per ISO week, 12 weeks to {pulse.week}"
    return payload


class _Payloads:
    """Builds the week's pulse once, on the first new delivery, and its chart once, for Slack only
    (only Slack uploads the chart; other channels get the blocks and text)."""

    def __init__(self, session: Session, settings: Settings, run: PulseRun, now: datetime):
        self.session, self.settings, self.run, self.now = session, settings, run, now
        self._by_chart: dict[bool, dict[str, Any]] = {}

    def __call__(self, sub: Subscription) -> dict[str, Any]:
        chart = sub.channel.startswith("slack:")
        if chart not in self._by_chart:
            if self.run.pulse is None:
                self.run.pulse = build_pulse(
                    session=self.session,
                    week=self.run.week,
                    tz=zone(self.settings.pulse.timezone),
                    now=self.now,
                    rules=CadenceRules.from_settings(self.settings),
                    hub_url=self.settings.hub.web_base,
                )
            self._by_chart[chart] = pulse_payload(
                session=self.session, pulse=self.run.pulse, settings=self.settings, chart=chart
            )
        return self._by_chart[chart]


def create_pulse_deliveries(
    store: Store, *, settings: Settings, watchlist: Watchlist, week: str, now: datetime
) -> PulseRun:
    """Create this week's pulse delivery for every pulse channel that has none yet (one transaction).

    Pulse channels: every active Slack, webhook or console subscription without a digest period
    whose channel can be served (``tracker.notify.channel_problem``), after syncing the watchlist.
    Email subscriptions get the cadence in their digests (``tracker.briefings.digest``).

    Args:
        store (Store): the database. settings (Settings): zone, rules, dashboard URL, channels.
        watchlist (Watchlist): its subscriptions are synced first.
        week (str): the ISO week (in ``settings.pulse.timezone``). now (datetime): UTC.

    Returns:
        PulseRun: the deliveries created and the channels skipped or already done.

    Raises:
        ConfigError: a bad week key or time zone.
    """
    zone(settings.pulse.timezone)
    parse_week(week)
    run = PulseRun(week=week)
    with store.transaction() as session:
        audience = Audience(
            session,
            settings=settings,
            subscriptions=watchlist.subscriptions,
            now=now,
            wants=_gets_the_pulse,
            what="pulse",
            skipped=run.skipped_channels,
        )
        fanned = audience.fan_out(
            kind="pulse",
            key=lambda sub: pulse_key(sub.channel, week),
            payload=_Payloads(session, settings, run, now),
            link_subscription=False,
        )
        run.delivery_ids, run.existing = list(fanned.created.values()), fanned.existing
    return run


def _gets_the_pulse(sub: Subscription) -> bool:
    return sub.digest is None and sub.channel.split(":", 1)[0] in PULSE_SCHEMES


def schedule_pulse(
    store: Store, *, settings: Settings, watchlist: Watchlist, clock: Callable[[], datetime] = utcnow
) -> PulseRun | None:
    """Create the due pulse's deliveries (``due_pulse_week``), if any; safe to call any number of times.

    Returns:
        PulseRun | None: None when no pulse is due now or pulses are disabled.
    """
    if not settings.pulse.enabled:
        return None
    now = clock()
    week = due_pulse_week(
        now, weekday=settings.pulse.weekday, hour=settings.pulse.hour, tz=zone(settings.pulse.timezone)
    )
    if week is None:
        return None
    return create_pulse_deliveries(store, settings=settings, watchlist=watchlist, week=week, now=now)
