"""Typed errors shared by every layer.

Every expected failure becomes a ``TrackerError`` subclass carrying whether it is ``permanent``
(retrying will not help) and an optional ``retry_after`` (seconds) hint. Workers retry only
transient errors; the CLI and the API format them in one place, so an expected failure never
shows a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any


class TrackerError(Exception):
    """Root of tracker's errors.

    Args:
        message (str): what went wrong, in words a user understands.
        permanent (bool, optional): True when retrying cannot help. Defaults to False.
        retry_after (float, optional): seconds to wait before retrying, when known.
    """

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message


class ConfigError(TrackerError, ValueError):
    """Bad configuration or watchlist: the CLI exits with code 2."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


class UsageError(ConfigError):
    """A command was called wrongly (bad option value, missing argument): exit 2, "usage error"."""


#: ``scheme://user:password@`` in any URL; the password is what we never print.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):(?P<password>[^@\s/]+)@")


#: pydantic error types whose own wording names Python types a configuration file does not have.
_SEQUENCE_TYPES = frozenset({"list_type", "tuple_type", "set_type", "frozen_set_type"})


def validation_message(error: Mapping[str, Any]) -> str:
    """A pydantic error (one item of ``ValidationError.errors()``) in a configuration's words.

    ``Value error, must be ...`` loses pydantic's prefix, a wrong container type says "should be
    a list" (TOML arrays, not Python tuples), and a forbidden extra key is "unknown key".
    """
    kind, msg = str(error.get("type", "")), str(error.get("msg", ""))
    if kind == "extra_forbidden":
        return "unknown key"
    if kind in _SEQUENCE_TYPES:
        return f"should be a list, like [{error.get('input')!r}], got {type(error.get('input')).__name__}"
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with URL passwords replaced by ``***`` and every value in ``secrets`` masked.

    Args:
        text (str): a message about to be shown or logged.
        secrets (iterable of str): values known to be secret (tokens); ones shorter than 4
            characters are left alone (masking "a" would garble the message, not protect anything).
    """
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}:***@", text)
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


class StoreError(TrackerError):
    """A database operation failed for a reason outside the code (``tracker.store.failures``):
    the message names the database (password masked) and what to check."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached, opened or written (server down, unknown database,
    unwritable or read-only file, full disk, missing schema); ``permanent`` when retrying cannot help."""


class StoreBusyError(StoreError):
    """A lock was not granted in time (SQLite's busy timeout, PostgreSQL's lock timeout): transient."""


class SourceHTTPError(TrackerError):
    """An HTTP request to a source failed (status, network error or oversized body).

    Attributes:
        url (str): the request URL.
        status_code (int, optional): HTTP status when a response arrived.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str,
        status_code: int | None = None,
        permanent: bool = False,
        retry_after: float | None = None,
    ):
        super().__init__(message, permanent=permanent, retry_after=retry_after)
        self.url = url
        self.status_code = status_code


class RateLimitedError(SourceHTTPError):
    """The source answered 429 (or 503 with Retry-After) and the wait is too long to sit out."""


class ParseError(TrackerError, ValueError):
    """A response arrived but its body is not what the source's API documents.

    Transient by default: a truncated body or an error page served with 200 is usually fixed by
    the next poll.
    """


class DeliveryError(TrackerError):
    """A notifier could not deliver a message; ``permanent`` says whether to retry.

    Args:
        outcome_unknown (bool, optional): True when the message may have gone out anyway (the
            request was sent but no complete answer came back): before sending again, the
            delivery asks the channel whether it already has it.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
    ):
        super().__init__(message, permanent=permanent, retry_after=retry_after)
        self.outcome_unknown = outcome_unknown
