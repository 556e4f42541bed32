"""The weekly pulse: one message per ISO week about the rhythm of releases, sent once per channel.

Content (``build_pulse``), for an ISO week taken in a configurable time zone
(``TRACKER_PULSE_TIMEZONE``; the week runs from Monday 00:00 to the next Monday 00:00 local time):

* **releases this week** by lab and by country: releases of the counted kinds (``model`` by
  default, one per launch, like ``tracker.analytics``) with ``start <= released_at < end`` and
  ``released_at <= as_of`` (``as_of`` = the earlier of the week's end and "now": a week in
  progress is counted so far);
* **country share against the trailing average**: a country's share this week
  (``country releases / all releases``) next to its pooled share over the ``trailing_weeks``
  (default 12) ISO weeks before (``country releases in them / all releases in them``), and the
  difference in percentage points;
* **each lab's status** as of ``as_of`` (``tracker.briefings.cadence_alerts``: bursting, quiet, on cadence,
  new);
* **the cadence chart** (``tracker.analytics.charts.cadence_chart``: releases per UTC ISO week per lab over
  the 12 weeks up to ``as_of``), uploaded to Slack with the files API where a bot token allows;
  otherwise the message links to the dashboard (``TRACKER_DASHBOARD_URL``).

Delivery: a pulse is a ``Delivery`` of kind ``pulse`` keyed ``pulse:<channel>:<ISO week>``,
created directly (no outbox event) for every active Slack, webhook or console subscription (no
digest period) whose channel can be served; creating it twice is a no-op, so re-running the schedule sends nothing
twice. The payload holds what is sent: ``blocks`` and ``text`` (``tracker.notify.slack.pulse_blocks``),
the chart PNG (base64) and its file name, so a retry sends exactly the same message.

Schedule (``due_pulse_week``): the pulse is due at ``TRACKER_PULSE_WEEKDAY`` (0 = Monday) and
``TRACKER_PULSE_HOUR`` local time and covers the ISO week that contains the day before that
moment (Monday 09:00 -> the week that just ended). A periodic task asks every few minutes; a
moment missed by less than ``CATCH_UP_S`` (a day) is still sent, an older one is not.
"""

from __future__ import annotations

import base64
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.analytics import DEFAULT_CADENCE_KINDS
from tracker.analytics.status import CadenceRules, lab_statuses
from tracker.domain import as_utc, utcnow
from tracker.errors import ConfigError
from tracker.notify.content import CountryWeek, LabWeek, Pulse, PulseRules
from tracker.store.models import Lab, Release

if TYPE_CHECKING:
    from tracker.config import Settings
    from tracker.store import Store
    from tracker.watchlist import Watchlist

log = logging.getLogger(__name__)

#: ISO weeks before the pulse week that make the trailing average.
TRAILING_WEEKS = 12
#: Seconds after its scheduled moment during which a missed pulse is still sent.
CATCH_UP_S = 86_400.0
#: ISO weeks of the cadence chart in the pulse.
CHART_WEEKS = 12
#: Channel schemes that get the pulse (email readers get the cadence in their digest instead).
PULSE_SCHEMES = ("slack", "webhook", "console")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


# --------------------------------------------------------------------------- ISO weeks in a zone


def parse_week(week: str) -> tuple[int, int]:
    """``2025-W18`` -> ``(2025, 18)``.

    Raises:
        ConfigError: not an ISO week key, or a week the year does not have (``2025-W53``).
    """
    m = _WEEK.match(week.strip())
    if not m:
        raise ConfigError(f"not an ISO week: {week!r} (expected e.g. 2025-W18)")
    year, num = int(m.group(1)), int(m.group(2))
    try:
        date.fromisocalendar(year, num, 1)
    except ValueError as exc:
        raise ConfigError(f"{year} has no ISO week {num}") from exc
    return year, num


def week_key(day: date) -> str:
    """The ISO week key of a (local) date: ``2025-W18``."""
    year, num, _ = day.isocalendar()
    return f"{year}-W{num:02d}"


def week_of(at: datetime, tz: ZoneInfo) -> str:
    """The ISO week key of the local date of ``at`` in ``tz``."""
    return week_key(as_utc(at).astimezone(tz).date())


def week_bounds(week: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return ``(start, end)`` of an ISO week in ``tz`` as UTC datetimes (Monday 00:00 local each).

    Raises:
        ConfigError: a bad week key.
    """
    year, num = parse_week(week)
    monday = date.fromisocalendar(year, num, 1)
    start = datetime.combine(monday, time(0), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def default_week(now: datetime, tz: ZoneInfo) -> str:
    """The week a pulse sent at ``now`` covers: the ISO week (in ``tz``) of the day before ``now``."""
    return week_of(as_utc(now) - timedelta(days=1), tz)


def due_pulse_week(now: datetime, *, weekday: int, hour: int, tz: ZoneInfo,
                   catch_up_s: float = CATCH_UP_S) -> str | None:
    """Return the week whose pulse is due at ``now``, or None.

    The latest scheduled moment (``weekday`` 0 = Monday, ``hour`` local, in ``tz``) at or before
    ``now`` is due when it is at most ``catch_up_s`` seconds old; it covers ``default_week`` of
    that moment.
    """
    local = as_utc(now).astimezone(tz)
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    moment = datetime.combine(day, time(hour), tzinfo=tz)
    if moment > local:
        moment = datetime.combine(day - timedelta(days=7), time(hour), tzinfo=tz)
    if (local - moment).total_seconds() > catch_up_s:
        return None
    return default_week(moment, tz)


# --------------------------------------------------------------------------- content


def zone(name: str) -> ZoneInfo:
    """``ZoneInfo(name)``; raises ConfigError for an unknown zone."""
    try:
        return ZoneInfo(name)
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError for malformed keys
        raise ConfigError(f"unknown time zone {name!r} (TRACKER_PULSE_TIMEZONE)") from exc


def build_pulse(*, session: Session, week: str, tz: ZoneInfo, now: datetime, rules: CadenceRules,
                trailing_weeks: int = TRAILING_WEEKS,
                kinds: Collection[str] | None = DEFAULT_CADENCE_KINDS) -> Pulse:
    """Build the pulse of one ISO week from the stored releases (read only).

    Args:
        session (Session): read only. week (str): ``2025-W18`` (in ``tz``). tz (ZoneInfo).
        now (datetime): the current time (UTC); later releases are not counted.
        rules (CadenceRules): status thresholds. trailing_weeks (int): weeks of the average.
        kinds: release kinds counted (None = all).

    Returns:
        Pulse: see the module docstring for the formulas.

    Raises:
        ConfigError: a bad week key.
    """
    start, end = week_bounds(week, tz)
    year, num = parse_week(week)
    trailing_start = datetime.combine(date.fromisocalendar(year, num, 1) - timedelta(weeks=trailing_weeks),
                                      time(0), tzinfo=tz).astimezone(UTC)
    as_of = min(end, as_utc(now))
    stmt = (select(Lab.slug, Lab.name, Lab.country, Release.title, Release.released_at)
            .join(Release, Release.lab_id == Lab.id)
            .where(Release.released_at >= trailing_start, Release.released_at < end, Release.released_at <= as_of)
            .order_by(Release.released_at, Release.id))
    if kinds is not None:
        stmt = stmt.where(Release.kind.in_(list(kinds)))
    per_lab: dict[str, list[str]] = defaultdict(list)
    lab_info: dict[str, tuple[str, str]] = {}
    this_week: Counter[str] = Counter()
    trailing: Counter[str] = Counter()
    for slug, name, country, title, at in session.execute(stmt):
        if as_utc(at) >= start:
            per_lab[slug].append(title)
            lab_info[slug] = (name, country)
            this_week[country] += 1
        else:
            trailing[country] += 1
    total, trailing_total = sum(this_week.values()), sum(trailing.values())
    labs = tuple(sorted((LabWeek(slug, lab_info[slug][0], lab_info[slug][1], len(titles), tuple(titles))
                         for slug, titles in per_lab.items()), key=lambda w: (-w.releases, w.lab)))
    countries = tuple(sorted(
        (CountryWeek(c, this_week[c], this_week[c] / total if total else 0.0, trailing[c],
                     trailing[c] / trailing_total if trailing_total else None)
         for c in set(this_week) | set(trailing)),
        key=lambda c: (-c.releases, -c.trailing_releases, c.country)))
    statuses = lab_statuses(session=session, now=as_of, rules=rules, kinds=kinds)
    names = {slug: name for slug, name in session.execute(select(Lab.slug, Lab.name))}
    return Pulse(week=week, timezone=tz.key, start=start, end=end, as_of=as_of, total=total, labs=labs,
                 countries=countries, statuses=tuple(statuses.values()), lab_names=names,
                 trailing_weeks=trailing_weeks, trailing_total=trailing_total,
                 kinds=tuple(kinds) if kinds is not None else None,
                 rules=PulseRules(quiet_factor_k=rules.quiet_factor_k, burst_min_releases=rules.burst_min_releases))


def build_chart_png(*, session: Session, pulse: Pulse) -> bytes:
    """The cadence chart of the pulse: releases per UTC ISO week per lab, 12 weeks to ``as_of``."""
    from tracker import analytics
    from tracker.analytics import charts

    last = min(pulse.as_of, pulse.end - timedelta(microseconds=1))  # the pulse week is the last column
    cadences = analytics.lab_cadences(session=session, now=last, weeks=CHART_WEEKS, kinds=pulse.kinds)
    cadences = [c for c in cadences if any(w.releases for w in c.weekly)] or cadences
    title = f"Releases per ISO week, 12 weeks to {pulse.week}"
    return charts.cadence_chart(cadences, "png", title=title)  # type: ignore[return-value]


# --------------------------------------------------------------------------- deliveries


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
    from tracker.notify.slack.pulse_blocks import pulse_content

    content = pulse_content(pulse, dashboard_url=settings.dashboard_url)
    payload: dict[str, Any] = {"week": pulse.week, "timezone": pulse.timezone, "text": content.text,
                               "blocks": content.blocks, "dashboard_url": settings.dashboard_url}
    if chart:
        payload["chart_png_b64"] = base64.b64encode(build_chart_png(session=session, pulse=pulse)).decode("ascii")
        payload["chart_filename"] = f"tracker-pulse-{pulse.week}.png"
        payload["chart_title"] = f"Releases per ISO week, 12 weeks to {pulse.week}"
    return payload


def pulse_channels(*, session: Session, settings: Settings, watchlist: Watchlist,
                   now: datetime) -> tuple[list[str], dict[str, str]]:
    """Channels that get the pulse: every active Slack, webhook or console subscription without a
    digest period whose channel can be served (``tracker.notify.channel_problem``), after syncing
    the watchlist. Email subscriptions get the cadence in their digests (``tracker.briefings.digest``).

    Returns:
        tuple[list[str], dict[str, str]]: the channels, and the skipped ones with the reason.
    """
    from tracker.notify import channel_problem
    from tracker.outbox.subscriptions import list_active, sync_subscriptions

    sync_subscriptions(session=session, subscriptions=watchlist.subscriptions, now=now)
    channels, skipped = [], {}
    for sub in list_active(session=session):
        if sub.digest is not None or sub.channel.split(":", 1)[0] not in PULSE_SCHEMES:
            continue
        problem = channel_problem(settings, sub.channel)
        if problem is None:
            channels.append(sub.channel)
        else:
            skipped[sub.channel] = problem
    return channels, skipped


def create_pulse_deliveries(store: Store, *, settings: Settings, watchlist: Watchlist, week: str,
                            now: datetime, channels: Sequence[str] | None = None) -> PulseRun:
    """Create this week's pulse delivery for every pulse channel that has none yet (one transaction).

    Args:
        store (Store): the database. settings (Settings): zone, rules, dashboard URL, channels.
        watchlist (Watchlist): its subscriptions are synced first.
        week (str): the ISO week (in ``settings.pulse_timezone``). now (datetime): UTC.
        channels (Sequence[str], optional): explicit channels instead of the subscriptions.

    Returns:
        PulseRun: the deliveries created and the channels skipped or already done.

    Raises:
        ConfigError: a bad week key or time zone.
    """
    from tracker.outbox.deliveries import create_delivery
    from tracker.store.models import Delivery

    tz = zone(settings.pulse_timezone)
    parse_week(week)
    run = PulseRun(week=week)
    with store.transaction() as session:
        if channels is None:
            targets, run.skipped_channels = pulse_channels(session=session, settings=settings,
                                                           watchlist=watchlist, now=now)
        else:
            targets = list(channels)
        keys = {c: pulse_key(c, week) for c in targets}
        done = set(session.scalars(select(Delivery.idempotency_key)
                                   .where(Delivery.idempotency_key.in_(list(keys.values())))))
        run.existing = [c for c in targets if keys[c] in done]
        todo = [c for c in targets if keys[c] not in done]
        if not todo:
            return run
        run.pulse = build_pulse(session=session, week=week, tz=tz, now=now,
                                rules=CadenceRules.from_settings(settings))
        payload = pulse_payload(session=session, pulse=run.pulse, settings=settings,
                                chart=any(c.startswith("slack:") for c in todo))
        without_chart = {k: v for k, v in payload.items() if not k.startswith("chart_")}
        for channel in todo:  # only Slack uploads the chart; other channels get the blocks and text
            row = create_delivery(session=session, idempotency_key=keys[channel], kind="pulse", channel=channel,
                                  now=now, payload=payload if channel.startswith("slack:") else without_chart)
            if row is None:
                run.existing.append(channel)
                continue
            session.flush()
            run.delivery_ids.append(row.id)
    return run


def schedule_pulse(store: Store, *, settings: Settings, watchlist: Watchlist,
                   clock: Callable[[], datetime] = utcnow) -> PulseRun | None:
    """Create the due pulse's deliveries (``due_pulse_week``), if any; safe to call any number of times.

    Returns:
        PulseRun | None: None when no pulse is due now or pulses are disabled.
    """
    if not settings.pulse_enabled:
        return None
    now = clock()
    week = due_pulse_week(now, weekday=settings.pulse_weekday, hour=settings.pulse_hour,
                          tz=zone(settings.pulse_timezone))
    if week is None:
        return None
    return create_pulse_deliveries(store, settings=settings, watchlist=watchlist, week=week, now=now)
