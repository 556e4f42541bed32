"""Unreachable hosts: a host that no attempt of a request could connect to is given up for the cycle.

When a request has used all its attempts and *every* attempt failed before any HTTP response
arrived on the same host (``httpx.ConnectError``: connection refused, DNS failure, no route, TLS
handshake; or ``httpx.ConnectTimeout``), that host (``host_key``) is marked. Later requests to it
on the same client -- and the next attempt of requests already retrying for it -- fail at once
without sending anything. HTTP statuses, read timeouts and dropped connections never mark a host:
it answered. A client lives for one poll cycle, so the next cycle tries again; with the mark an
outage costs one request's backoff per host, not every request's.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from tracker.errors import SourceHTTPError
from tracker.http.counting import RequestCounter
from tracker.http.hosts import host_key
from tracker.http.retry import TransientFailure


class UnreachableHosts:
    """The hosts one client gave up on, and the refusals of requests to them.

    Args:
        counter (RequestCounter): where refusals count as requests and marks are recorded.

    Attributes:
        marks (dict): ``host_key`` -> the original error (``"network error: Connection refused"``).
    """

    def __init__(self, counter: RequestCounter):
        self.marks: dict[str, str] = {}
        self._counter = counter

    def is_marked(self, host: str | None) -> bool:
        """True when ``host`` (a ``host_key``) is marked unreachable."""
        return host is not None and host in self.marks

    def refuse(self, url: httpx.URL, method: str) -> None:
        """Raise at once (counted as one failed request) when ``url``'s host is marked.

        Raises:
            SourceHTTPError: transient (the next cycle tries again), naming the original error.
        """
        key = host_key(url)
        reason = self.marks.get(key)
        if reason is None:
            return
        self._counter.add(requests=1)
        self._counter.add_unreachable(key, reason)
        raise SourceHTTPError(
            f"{method} {url}: not sent: {key} was unreachable earlier in this poll cycle ({reason}); "
            "the next cycle tries again",
            url=str(url),
        )

    def settle(self, failures: Sequence[TransientFailure]) -> None:
        """Mark the host of a request that gave up when every one of its attempts failed to reach it.

        Args:
            failures (Sequence[TransientFailure]): the request's failed attempts, in order; the
                last one is the failure the request gave up on.
        """
        last = failures[-1]
        if last.unreachable is None or {f.unreachable for f in failures} != {last.unreachable}:
            return
        reason = self.marks.setdefault(last.unreachable, last.reason)
        self._counter.add_unreachable(last.unreachable, reason)
