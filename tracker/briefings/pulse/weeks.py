"""ISO weeks in a time zone, and when the weekly pulse is due.

A pulse covers an ISO week taken in ``TRACKER_PULSE_TIMEZONE`` (Monday 00:00 to the next Monday
00:00 local time; bounds stored in UTC). It is due at ``TRACKER_PULSE_WEEKDAY`` (0 = Monday)
and ``TRACKER_PULSE_HOUR`` local time and covers the ISO week that contains the day before that
moment (Monday 09:00 -> the week that just ended). A periodic task asks every few minutes; a
moment missed by less than ``CATCH_UP_S`` (a day) is still sent, an older one is not.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tracker.domain import as_utc
from tracker.errors import ConfigError

#: Seconds after its scheduled moment during which a missed pulse is still sent.
CATCH_UP_S = 86_400.0
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def zone(name: str) -> ZoneInfo:
    """``ZoneInfo(name)``; raises ConfigError for an unknown zone."""
    try:
        return ZoneInfo(name)
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError for malformed keys
        raise ConfigError(f"unknown time zone {name!r} (TRACKER_PULSE_TIMEZONE)") from exc


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


def due_pulse_week(
    now: datetime, *, weekday: int, hour: int, tz: ZoneInfo, catch_up_s: float = CATCH_UP_S
) -> str | None:
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
