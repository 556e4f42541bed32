"""Retry decisions: the statuses worth retrying, ``Retry-After`` parsing, the internal retry signal."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tracker.errors import SourceHTTPError


RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""HTTP statuses worth retrying: timeouts, rate limits and gateway/server hiccups."""


_DELAY_SECONDS = re.compile(r"^\s*\d+(\.\d+)?\s*$")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Parse a ``Retry-After`` header value into seconds to wait.

    RFC 9110 section 10.2.3 allows either delay-seconds (``"120"``) or an HTTP-date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``).

    Args:
        value (str, optional): the raw header value; None when the header is absent.
        now (datetime, optional): the current time (aware, UTC) used for HTTP-dates; defaults
            to the wall clock.

    Returns:
        float | None: seconds to wait (>= 0; 0 for a date in the past), or None when the header
        is absent, negative or not understood (the caller then falls back to its own backoff).
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if _DELAY_SECONDS.match(value):
        seconds = float(value)
        return seconds if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:  # pragma: no cover - older Pythons returned None on garbage
        return None
    if when.tzinfo is None:  # "-0000" dates: RFC 5322 says UTC
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


class _Transient(Exception):
    """Internal: one attempt failed in a way worth retrying; ``error`` is what to raise at the end.

    ``unreachable`` is the ``host_key`` the attempt could not connect to (connect error or connect
    timeout, before any response), with ``reason`` the words for it; None for every other failure.
    """

    def __init__(self, error: SourceHTTPError, retry_after: float | None = None, *,
                 unreachable: str | None = None, reason: str = ""):
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after
        self.unreachable = unreachable
        self.reason = reason
