"""Replay time: ISO-8601 parsing to aware UTC, the Hub's timestamp format, and the settable clock.

Every time in the replay is a timezone-aware UTC :class:`datetime.datetime`; a naive datetime
passed in is taken as UTC.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

__all__ = ["ReplayClock", "format_hub_time", "parse_time"]


def parse_time(value: str | datetime) -> datetime:
    """Parse an ISO-8601 string (``Z`` or offset, optional fraction) to an aware UTC datetime.

    Datetimes pass through; naive ones are taken as UTC.

    Raises:
        ValueError: ``value`` is not an ISO-8601 time.
    """
    if isinstance(value, datetime):
        dt = value
    else:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def format_hub_time(dt: datetime) -> str:
    """Format a datetime the way the Hub does: ``2025-04-29T00:00:00.000Z`` (UTC, milliseconds)."""
    dt = parse_time(dt)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class ReplayClock:
    """Thread-safe settable "now" (aware UTC datetime). It does not advance by itself."""

    def __init__(self, now: datetime | str) -> None:
        self._lock = threading.Lock()
        self._now = parse_time(now)

    def now(self) -> datetime:
        """Current replay time (aware UTC)."""
        with self._lock:
            return self._now

    def set(self, dt: datetime | str) -> datetime:
        """Set the replay time (naive -> UTC); returns it."""
        value = parse_time(dt)
        with self._lock:
            self._now = value
        return value

    def advance(self, seconds: float) -> datetime:
        """Move the replay time forward by ``seconds`` (may be negative); returns the new time."""
        with self._lock:
            self._now = self._now + timedelta(seconds=seconds)
            return self._now
