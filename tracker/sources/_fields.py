"""Tolerant readers for JSON API payloads, shared by the JSON sources (Hub, daily papers,
GitHub REST, ModelScope).

One rule for every source, after ``huggingface_hub.ModelInfo``: a missing key (or JSON
``null``) is None, unknown keys are ignored, and a known key holding the wrong type is a
``ParseError`` whose message names the item (``where``) and the field, e.g.
``Hub model Qwen/Qwen3-8B: field 'downloads' should be an integer, got 'many'``.

Each reader takes the decoded JSON object, the key and ``where``; ``blank_is_none`` treats an
empty string as missing (ModelScope and GitHub send ``""`` for unset fields), and ``name``
overrides how the field is named in errors (``paper.publishedAt`` for a nested key).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from tracker.domain import as_utc, utcnow
from tracker.errors import ParseError
from tracker.external import MAX_SAFE_INTEGER, plausible_datetime

__all__ = ["load_json", "opt_bool", "opt_datetime", "opt_int", "opt_str", "str_list"]

log = logging.getLogger(__name__)


def load_json(body: bytes, where: str) -> Any:
    """Decode a JSON response body.

    Args:
        body (bytes): the response body (UTF-8 JSON).
        where (str): how to name the response in errors (``Hub listing for Qwen``).

    Returns:
        Any: the decoded value, unvalidated (callers check it is the array/object they expect).

    Raises:
        ParseError: not UTF-8 or not JSON (an HTML error page, a truncated body); the message
            quotes the first 60 bytes of the body.
    """
    try:
        return orjson.loads(body)  # listings run to megabytes: several times faster than json
    except orjson.JSONDecodeError:
        # what orjson refuses and json accepts (integers past 64 bits) takes the slow path
        return _load_json_slowly(body, where)


def _load_json_slowly(body: bytes, where: str) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        snippet = body[:60].decode("utf-8", errors="replace").strip()
        raise ParseError(f"{where}: not valid JSON ({exc}); body starts {snippet!r}") from exc


def _missing(value: Any, blank_is_none: bool) -> bool:
    return value is None or (blank_is_none and value == "")


def _wrong(where: str, key: str, name: str | None, expected: str, value: Any) -> ParseError:
    return ParseError(f"{where}: field {(name or key)!r} should be {expected}, got {value!r:.60}")


def opt_str(
    item: Mapping[str, Any], key: str, where: str, *, blank_is_none: bool = False, name: str | None = None
) -> str | None:
    """Read an optional string field.

    Args:
        item (Mapping): the JSON object.
        key (str): the field's key.
        where (str): the item, for errors (``Hub model Qwen/Qwen3-8B``).
        blank_is_none (bool, optional): read ``""`` as missing; defaults to False.
        name (str, optional): the field's name in errors; defaults to ``key``.

    Returns:
        str | None: the string, or None when the key is missing or null.

    Raises:
        ParseError: the value is not a string.
    """
    value = item.get(key)
    if _missing(value, blank_is_none):
        return None
    if isinstance(value, str):
        return value
    raise _wrong(where, key, name, "a string", value)


def opt_int(
    item: Mapping[str, Any], key: str, where: str, *, blank_is_none: bool = False, name: str | None = None
) -> int | None:
    """Read an optional integer field (JSON ``true``/``false`` are not integers here).

    Args: as ``opt_str``.

    Returns:
        int | None: the integer, or None when the key is missing or null, or outside the range
        JSON numbers interoperate in (+-2**53, RFC 8259 section 6): such a count would not fit
        a database column and fail the whole unit, so it is logged and unknown.

    Raises:
        ParseError: the value is not an integer (a string ``"12"``, a float, a boolean).
    """
    value = item.get(key)
    if _missing(value, blank_is_none):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_SAFE_INTEGER:
            log.warning("%s: field %r = %s is out of range; treated as unknown", where, name or key, str(value)[:30])
            return None
        return value
    raise _wrong(where, key, name, "an integer", value)


def opt_bool(item: Mapping[str, Any], key: str, where: str, *, name: str | None = None) -> bool | None:
    """Read an optional boolean field.

    Args: as ``opt_str`` (no ``blank_is_none``: a boolean is never sent as ``""``).

    Returns:
        bool | None: the boolean, or None when the key is missing or null.

    Raises:
        ParseError: the value is not ``true``/``false`` (``"no"``, ``0``).
    """
    value = item.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise _wrong(where, key, name, "true/false", value)


def opt_datetime(
    item: Mapping[str, Any], key: str, where: str, *, blank_is_none: bool = False, name: str | None = None
) -> datetime | None:
    """Read an optional ISO-8601 timestamp field as a UTC-aware datetime.

    Accepts what ``datetime.fromisoformat`` reads (``2025-04-29T03:10:52.000Z``,
    ``2025-04-29T03:10:52+08:00``); a naive value is taken as UTC (``tracker.domain.as_utc``).

    Args: as ``opt_str``.

    Returns:
        datetime | None: the time in UTC, or None when the key is missing or null, or the date
        is implausible (before 2000 or days in the future: logged, ``tracker.external``).

    Raises:
        ParseError: the value is not a string or not an ISO-8601 date (``"yesterday"``).
    """
    value = item.get(key)
    if _missing(value, blank_is_none):
        return None
    if isinstance(value, str):
        try:
            when = as_utc(datetime.fromisoformat(value))
        except ValueError:
            pass
        else:  # a real but implausible date (1999, 2031) is unknown, never shown as a fact
            return plausible_datetime(when, what=f"{where}: field {name or key!r}", now=utcnow())
    raise _wrong(where, key, name, "an ISO-8601 date", value)


def str_list(item: Mapping[str, Any], key: str, where: str, *, name: str | None = None) -> tuple[str, ...]:
    """Read an optional list-of-strings field (``tags``).

    Args: as ``opt_str``.

    Returns:
        tuple[str, ...]: the strings in order; ``()`` when the key is missing or null.

    Raises:
        ParseError: the value is not a list, or one of its items is not a string.
    """
    value = item.get(key)
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _wrong(where, key, name, "a list of strings", value)
