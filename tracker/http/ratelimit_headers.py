"""The Hub's rate-limit signals: how long to wait, read from the ``RateLimit`` response headers.

The Hugging Face Hub counts requests over 5-minute windows (https://huggingface.co/docs/hub/rate-limits)
and answers with the IETF draft headers (draft-ietf-httpapi-ratelimit-headers)::

    RateLimit: "api";r=0;t=55
    RateLimit-Policy: "fixed window";"api";q=500;w=300

``r`` is the requests remaining in the current window and ``t`` the seconds until it resets. Older
drafts spell it ``RateLimit: limit=500, remaining=0, reset=55`` or as separate
``RateLimit-Remaining`` / ``RateLimit-Reset`` headers; all three are read. Values are untrusted: a
``t`` that is not a finite number in ``[0, MAX_RESET_S]`` is treated as absent (and logged).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping

log = logging.getLogger(__name__)

#: The longest reset believed (seconds): a window is 5 minutes; an hour covers any documented tier.
MAX_RESET_S = 3600.0

_PARAM = re.compile(r"\b(r|t|remaining|reset)\s*=\s*([^;,\s]+)", re.IGNORECASE)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip().strip('"'))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _reset(value: str | None, header: str) -> float | None:
    seconds = _number(value)
    if value is not None and (seconds is None or not 0 <= seconds <= MAX_RESET_S):
        log.warning("ignoring a nonsensical %s reset %r (expected 0-%g seconds)", header, value[:40], MAX_RESET_S)
        return None
    return seconds


def parse_ratelimit(headers: Mapping[str, str]) -> tuple[float | None, float | None]:
    """Return ``(remaining requests, seconds until the window resets)`` from a response's headers.

    Either value is None when absent or nonsensical. With several policies in ``RateLimit``
    (comma-separated items), the most constrained one counts: the lowest remaining, and the
    longest reset among those with nothing left (else the shortest reset).
    """
    remaining: list[float] = []
    resets: list[tuple[float | None, float]] = []
    raw = headers.get("RateLimit") or headers.get("ratelimit")
    if raw:
        items = raw.split(",") if re.search(r"[;]\s*[rt]\s*=", raw) else [raw]
        for item in items:
            params = {k.lower(): v for k, v in _PARAM.findall(item)}
            r = _number(params.get("r", params.get("remaining")))
            t = _reset(params.get("t", params.get("reset")), "RateLimit")
            if r is not None and r >= 0:
                remaining.append(r)
            if t is not None:
                resets.append((r, t))
    r = _number(headers.get("RateLimit-Remaining"))
    t = _reset(headers.get("RateLimit-Reset"), "RateLimit-Reset")
    if r is not None and r >= 0:
        remaining.append(r)
    if t is not None:
        resets.append((r, t))
    spent = [t for r, t in resets if r is not None and r <= 0]
    reset = max(spent) if spent else (min(t for _, t in resets) if resets else None)
    return (min(remaining) if remaining else None), reset


def wait_before_next(headers: Mapping[str, str]) -> float | None:
    """Seconds every process must wait before its next request: the reset when nothing remains, else None."""
    remaining, reset = parse_ratelimit(headers)
    if remaining is not None and remaining <= 0 and reset is not None and reset > 0:
        return reset
    return None
