"""Values from outside (headers, feeds, APIs): numbers and dates parsed defensively, text made printable.

Every number a server or a document hands us (``Retry-After``, ``Content-Length``, a reset time,
a feed's ``pubDate``) is untrusted: it may be negative, ``inf``, ``NaN``, absurdly large, or a
date that some parser would have to guess. Reading it raw has crashed real code
(``time.sleep(-5)`` raises ``ValueError``; ``timedelta(seconds=1e12)`` raises ``OverflowError``)
and put guessed or implausible dates into alert text. This module is the one place such values
are read: a value that makes no sense is logged once, with where it came from, and returned as
None ("absent"), so callers fall back to what they do when the value is missing.

Text from outside is shown as data everywhere; ``printable`` makes its control characters
visible (``\\x1b``), so a repo name cannot move a terminal's cursor or forge a log line.

Sources of the rules: RFC 9110 section 10.2.3 (``Retry-After`` is delay-seconds, a non-negative
integer, or an HTTP-date), RFC 9110 section 8.6 (``Content-Length`` is 1*DIGIT), and RFC 5322
section 3.3 / ISO 8601 for the dates feeds carry.
"""

from __future__ import annotations

import logging
import math
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

log = logging.getLogger(__name__)

__all__ = [
    "MAX_SAFE_INTEGER",
    "MAX_WAIT_S",
    "PrintableLogFilter",
    "content_length",
    "from_epoch",
    "parse_date",
    "plausible_datetime",
    "printable",
    "retry_after_s",
    "wait_seconds",
]

#: Seconds; the longest wait any server may ask for. A rate limit lasting longer than a day is
#: treated as nonsense (``Retry-After: 999999999999``): absent, so the caller's own backoff applies.
MAX_WAIT_S = 86_400.0

#: The largest integer JSON numbers interoperate in (RFC 8259 section 6: IEEE 754 doubles); a
#: count beyond it (downloads, likes, stars) is nonsense and would not fit a BIGINT column.
MAX_SAFE_INTEGER = 2**53 - 1

#: Bytes; the largest ``Content-Length`` taken at face value (1 TiB). Beyond it the header is
#: absent: the body-size cap still applies while reading.
MAX_CONTENT_LENGTH = 1 << 40

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DIGITS = re.compile(r"^\d+$")


#: C0 controls but tab, DEL and C1 controls: terminal escapes (ESC), carriage returns, line breaks.
_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x09), *range(0x0A, 0x20), 0x7F, *range(0x80, 0xA0)]}


def printable(text: object, *, keep_newlines: bool = False) -> str:
    """``str(text)`` with control characters shown as ``\\xNN`` (line breaks too unless ``keep_newlines``).

    Used wherever outside text reaches a terminal or a log line: an ESC sequence in a repo
    name would otherwise drive the terminal, a ``\\n`` in an error body would forge a log line.
    """
    table = {k: v for k, v in _CONTROL.items() if not (keep_newlines and k == 0x0A)}
    return str(text).translate(table)


class PrintableLogFilter(logging.Filter):
    """A handler filter that shows control characters in log arguments as ``\\xNN`` (``printable``).

    Log calls pass outside text as arguments (``log.warning("feed %s: %s", url, exc)``): a line
    break or an ESC in them must not start a forged line or drive the terminal that tails the
    log. The format string (ours) and tracebacks are left alone.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record.args`` in place; never drops a record."""
        if isinstance(record.args, tuple):
            record.args = tuple(_printable_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _printable_arg(v) for k, v in record.args.items()}
        return True


def _printable_arg(value: object) -> object:
    if isinstance(value, str | BaseException):
        return printable(value)
    return value


def _reject(what: str, value: object, why: str) -> None:
    # repr: the value is data from outside, never formatting or markup.
    log.warning("ignoring %s %r: %s (treated as absent)", what, str(value)[:80], why)


def wait_seconds(value: object, *, what: str = "wait", max_s: float = MAX_WAIT_S) -> float | None:
    """Read a number of seconds to wait (delta-seconds) sent by a server.

    Args:
        value (str | int | float | None): the raw value (header text or a JSON number).
        what (str): how to name it in the log line (``"Slack Retry-After"``).
        max_s (float): seconds; a larger value is nonsense and treated as absent.

    Returns:
        float | None: seconds in ``[0, max_s]``; None when absent, not a number, negative,
        infinite, NaN or above ``max_s`` (all but absent are logged as a warning).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        _reject(what, value, "not a number")
        return None
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip()
        if not text:
            return None
        if not _NUMBER.match(text):
            _reject(what, value, "not a number of seconds")
            return None
        seconds = float(text)
    if not math.isfinite(seconds):
        _reject(what, value, "not finite")
        return None
    if seconds < 0:
        _reject(what, value, "negative")
        return None
    if seconds > max_s:
        _reject(what, value, f"more than {max_s:g} s")
        return None
    return seconds


def retry_after_s(
    value: str | None, *, what: str = "Retry-After", now: datetime | None = None, max_s: float = MAX_WAIT_S
) -> float | None:
    """Parse a ``Retry-After`` header into seconds to wait (RFC 9110 section 10.2.3).

    Args:
        value (str, optional): the header value: delay-seconds (``"120"``) or an HTTP-date
            (``"Wed, 21 Oct 2015 07:28:00 GMT"``); None when the header is absent.
        what (str): how to name it in the log line.
        now (datetime, optional): current UTC time for HTTP-dates; defaults to the wall clock.
        max_s (float): seconds; a longer wait is treated as absent.

    Returns:
        float | None: seconds in ``[0, max_s]`` (0 for a date in the past), or None when absent
        or nonsensical (negative, ``inf``, garbage, years away: logged).
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if _NUMBER.match(text) or text.lower() in {"inf", "-inf", "nan", "infinity", "-infinity"}:
        return wait_seconds(text, what=what, max_s=max_s)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        _reject(what, value, "neither seconds nor an HTTP-date")
        return None
    if when.tzinfo is None:  # "-0000" dates: RFC 5322 says UTC
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return wait_seconds(max(0.0, (when - now).total_seconds()), what=what, max_s=max_s)


def content_length(value: str | None, *, what: str = "Content-Length") -> int | None:
    """Parse a ``Content-Length`` header (RFC 9110 section 8.6: digits only).

    Returns:
        int | None: bytes, or None when absent, not plain digits (``"-1"``, ``"12, 12"``,
        ``"1e9"``) or above ``MAX_CONTENT_LENGTH`` (logged).
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not _DIGITS.match(text) or len(text) > 20:
        _reject(what, value, "not a byte count")
        return None
    length = int(text)
    if length > MAX_CONTENT_LENGTH:
        _reject(what, value, "implausibly large")
        return None
    return length


#: The earliest date any source we read can carry (the web of feeds and preprints).
EARLIEST_PLAUSIBLE = datetime(2000, 1, 1, tzinfo=UTC)

#: How far in the future a source's date may be before it is nonsense (clock skew, time zones).
FUTURE_SLACK = timedelta(days=2)


def plausible_datetime(
    value: datetime | None,
    *,
    what: str,
    now: datetime,
    earliest: datetime = EARLIEST_PLAUSIBLE,
) -> datetime | None:
    """Return ``value`` (UTC) when it can be true for a document fetched at ``now``, else None.

    A date before ``earliest`` or more than ``FUTURE_SLACK`` after ``now`` (a feed entry dated
    1999, or 2031) is logged and treated as unknown: stored as unknown and never shown as a fact.

    Args:
        value (datetime, optional): the parsed date (naive means UTC).
        what (str): where it came from, for the log line (``"feed X entry Y <pubDate>"``).
        now (datetime): the current UTC time.
        earliest (datetime): the first plausible instant for this source.

    Returns:
        datetime | None: the aware UTC date, or None when absent or implausible.
    """
    if value is None:
        return None
    when = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if when < earliest or when > now + FUTURE_SLACK:
        _reject(what, when.isoformat(), f"implausible date (before {earliest:%Y} or in the future)")
        return None
    return when


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$")


def parse_date(
    text: str | None, *, what: str, now: datetime, earliest: datetime = EARLIEST_PLAUSIBLE
) -> tuple[datetime | None, str | None]:
    """Parse a document's date without guessing: RFC 3339/ISO 8601 or RFC 5322 (RSS), nothing else.

    ``2016/6/29`` or ``29/6/2016`` are refused rather than read with a month that depends on the
    parser (feedparser turns ``2016/6/29`` into the 1st of the current month); a date outside
    ``[earliest, now + FUTURE_SLACK]`` is refused as implausible.

    Args:
        text (str, optional): the raw date text (``<published>``, ``<pubDate>``).
        what (str): where it came from, for the log line and the problem.
        now (datetime): the current UTC time. earliest (datetime): first plausible instant.

    Returns:
        tuple[datetime | None, str | None]: ``(date in UTC, None)``; ``(None, None)`` when
        absent; ``(None, problem)`` when present but unparseable or implausible (logged), where
        ``problem`` says why in words a user can act on, to store beside the unknown date.
    """
    if text is None or not str(text).strip():
        return None, None
    raw = " ".join(str(text).split())
    when: datetime | None = None
    if _ISO_DATE.match(raw):
        try:
            when = datetime.fromisoformat(raw.replace("z", "Z"))
        except ValueError:
            when = None
    else:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError, OverflowError):
            when = None
    if when is None:
        _reject(what, raw, "not an ISO 8601 or RFC 822 date")
        return None, f"{what} {raw[:40]!r} is not an ISO 8601 or RFC 822 date (stored as unknown)"
    checked = plausible_datetime(when, what=what, now=now, earliest=earliest)
    if checked is None:
        return None, f"{what} {raw[:40]!r} is implausible (stored as unknown)"
    return checked, None


def from_epoch(value: int | float | None, *, what: str, now: datetime) -> datetime | None:
    """A Unix timestamp (seconds, UTC) from outside as a datetime, or None when absent or implausible.

    ``datetime.fromtimestamp`` raises ``OverflowError``/``OSError``/``ValueError`` on huge,
    negative or NaN values; here they, and dates outside ``plausible_datetime``'s window, are
    logged and unknown.
    """
    if value is None:
        return None
    try:
        when = datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        _reject(what, value, "not a usable Unix time")
        return None
    return plausible_datetime(when, what=what, now=now)
