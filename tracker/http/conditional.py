"""Conditional requests: send a URL's stored validators, and keep the ones to store for next time.

Inside ``HttpClient.conditional(stored)``, ``get(url, conditional=True)`` sends ``If-None-Match`` /
``If-Modified-Since`` from the validators stored for that URL, so an unchanged listing costs a 304
with no body. The open block lives in a context variable, like the request counters, so
concurrent polls sharing one client each keep their own validators.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(slots=True)
class ValidatorStore:
    """Conditional-request validators of one ``HttpClient.conditional()`` block.

    Attributes:
        stored (Mapping): validators from the previous poll, by request URL (query included):
            ``{"etag": '"abc"', "last_modified": "Wed, 21 Oct 2015 07:28:00 GMT"}``.
        seen (dict): validators to keep after this poll, same shape: fresh ones from 2xx
            answers, the stored ones for URLs answered 304. URLs not fetched are dropped.
    """

    stored: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    seen: dict[str, dict[str, str]] = field(default_factory=dict)

    def request_headers(self, key: str, headers: Mapping[str, str] | None) -> dict[str, str]:
        """Return ``headers`` plus the conditional headers built from the validators of ``key``."""
        stored = self.stored.get(key) or {}
        sent = dict(headers or {})
        if stored.get("etag"):
            sent["If-None-Match"] = stored["etag"]
        if stored.get("last_modified"):
            sent["If-Modified-Since"] = stored["last_modified"]
        return sent

    def record(self, key: str, status_code: int, headers: httpx.Headers) -> None:
        """Keep the validators of ``key`` after its answer: the stored ones on 304, else fresh ones."""
        if status_code == 304:
            stored = dict(self.stored.get(key) or {})
            if stored:
                self.seen[key] = stored
            return
        fresh = {
            name: value
            for name, value in (("etag", headers.get("ETag")), ("last_modified", headers.get("Last-Modified")))
            if value
        }
        if fresh:
            self.seen[key] = fresh


def request_key(url: str, params: Mapping[str, Any] | None) -> str:
    """The URL validators are stored under: ``url`` with ``params`` merged into its query."""
    return str(httpx.URL(url).copy_merge_params(params)) if params else url


class ConditionalRequests:
    """The ``conditional()`` blocks of one client (a block opened on another client is not seen)."""

    @contextmanager
    def block(self, stored: Mapping[str, Mapping[str, str]] | None = None) -> Iterator[ValidatorStore]:
        """Open a block whose conditional GETs use ``stored`` (validators by request URL).

        Yields:
            ValidatorStore: ``seen`` holds the validators to store once the block exits.
        """
        store = ValidatorStore(stored=dict(stored or {}))
        token = _active.set((self, store))
        try:
            yield store
        finally:
            _active.reset(token)

    def active_store(self) -> ValidatorStore | None:
        """The store of the block open on this client in the current context, or None."""
        active = _active.get()
        return active[1] if active is not None and active[0] is self else None


_active: contextvars.ContextVar[tuple[ConditionalRequests, ValidatorStore] | None] = contextvars.ContextVar(
    "tracker_http_validators", default=None
)
