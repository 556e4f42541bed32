"""Digest periods: the last completed day or ISO week, in the digest time zone.

A digest covers one **period**: a day (local midnight to midnight) or an ISO week (Monday 00:00
to the next Monday 00:00), in the time zone ``TRACKER_DIGEST_TIMEZONE`` (IANA name, default UTC);
its bounds are stored and compared in UTC. ``period_for`` returns the last *completed* period at
a given time: a weekly digest sent on Monday morning covers the week that just ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from tracker.domain import as_utc
from tracker.errors import ConfigError

DAILY, WEEKLY = "daily", "weekly"
PERIODS = (DAILY, WEEKLY)


def iso_z(value: datetime) -> str:
    """A datetime as the digest stores it: ISO-8601 in UTC with a ``Z`` (``2025-04-28T00:00:00Z``)."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


def zone(name: str) -> ZoneInfo:
    """Return the IANA time zone ``name`` (``UTC``, ``Europe/Paris``).

    Raises:
        ConfigError: unknown zone.
    """
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {name!r} (TRACKER_DIGEST_TIMEZONE): {exc}") from None


@dataclass(frozen=True, slots=True)
class Period:
    """One digest period.

    Attributes:
        kind (str): ``daily`` | ``weekly``.
        start / end (datetime): bounds in UTC, start inclusive, end exclusive (local midnights).
        timezone (str): the IANA zone the bounds were computed in.
    """

    kind: str
    start: datetime
    end: datetime
    timezone: str = "UTC"

    @property
    def local_start(self) -> datetime:
        """``start`` in the period's time zone."""
        return self.start.astimezone(zone(self.timezone))

    @property
    def local_last_day(self) -> date:
        """The last local day of the period (``end`` minus one day)."""
        return (self.end.astimezone(zone(self.timezone)) - timedelta(days=1)).date()

    @property
    def label(self) -> str:
        """``week 18 · 28 Apr – 4 May 2025`` or ``Thu 1 May 2025`` (local dates)."""
        first, last = self.local_start.date(), self.local_last_day
        if self.kind == DAILY:
            return f"{first:%a} {first.day} {first:%b %Y}"
        same_month = (first.year, first.month) == (last.year, last.month)
        head = (
            f"{first.day}"
            if same_month
            else f"{first.day} {first:%b}" + ("" if first.year == last.year else f" {first.year}")
        )
        return f"week {first.isocalendar()[1]} · {head} – {last.day} {last:%b %Y}"

    @property
    def noun(self) -> str:
        """``week`` or ``day`` (for sentences: "a quiet week")."""
        return "week" if self.kind == WEEKLY else "day"


def period_for(kind: str, at: datetime, tz: str = "UTC") -> Period:
    """Return the last completed ``kind`` period at ``at`` (it ends at or before ``at``).

    Args:
        kind (str): ``daily`` | ``weekly``.
        at (datetime): the moment the digest is made (aware, or naive UTC).
        tz (str): IANA time zone of the period boundaries.

    Returns:
        Period: bounds in UTC. Daily: the local day before ``at``'s local day. Weekly: the
        Monday-to-Monday local week before the week containing ``at``.

    Raises:
        ConfigError: unknown ``kind`` or time zone.
    """
    if kind not in PERIODS:
        raise ConfigError(f"digest period must be daily or weekly, got {kind!r}")
    tzinfo = zone(tz)
    today = as_utc(at).astimezone(tzinfo).date()
    end_day = today if kind == DAILY else today - timedelta(days=today.weekday())
    start_day = end_day - timedelta(days=1 if kind == DAILY else 7)

    def midnight(d: date) -> datetime:  # local midnight of each day on its own: DST-correct
        return datetime(d.year, d.month, d.day, tzinfo=tzinfo).astimezone(UTC)

    return Period(kind, midnight(start_day), midnight(end_day), tz)
