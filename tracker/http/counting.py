"""Request counters of one ``HttpClient``: its totals, and each caller's own share (``counting()``).

Concurrent polls share one client, and each poll reports its own ``requests``/``not_modified``.
The open ``counting()`` blocks live in a context variable: asyncio tasks copy the context when
created (``gather``, ``create_task``), so a task started inside a block counts into it, and two
concurrent blocks never see each other.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(slots=True)
class RequestCount:
    """Requests made inside one ``HttpClient.counting()`` block (and the tasks it started).

    Attributes:
        requests (int): HTTP attempts sent, counting every retry and redirect hop, plus requests
            refused at once because their host was found unreachable earlier (one each).
        not_modified (int): responses that were 304 Not Modified.
        unreachable (dict): hosts (``host_key``) that requests of this block failed to reach
            at the network level, each with the original error (``"network error: Connection
            refused"``); see ``HttpClient.unreachable``.
    """

    requests: int = 0
    not_modified: int = 0
    unreachable: dict[str, str] = field(default_factory=dict)


class RequestCounter:
    """The totals of one client, and the ``counting()`` blocks open on it in the current context.

    Attributes:
        requests (int): HTTP attempts sent by every caller (retries and redirect hops included).
        not_modified (int): 304 Not Modified responses, by every caller.
    """

    def __init__(self) -> None:
        self.requests = 0
        self.not_modified = 0

    @contextmanager
    def counting(self) -> Iterator[RequestCount]:
        """Count the requests of the current context (and the tasks it starts) into a new block.

        Blocks nest: an inner block's requests also count in the outer ones.

        Yields:
            RequestCount: live counters, final once the block exits.
        """
        count = RequestCount()
        token = _open_blocks.set((*_open_blocks.get(), (self, count)))
        try:
            yield count
        finally:
            _open_blocks.reset(token)

    def add(self, *, requests: int = 0, not_modified: int = 0) -> None:
        """Add to the totals and to every block of this counter open in the current context."""
        self.requests += requests
        self.not_modified += not_modified
        for counter, count in _open_blocks.get():
            if counter is self:
                count.requests += requests
                count.not_modified += not_modified

    def add_unreachable(self, host: str, reason: str) -> None:
        """Record ``host`` (a ``host_key``) as unreachable for ``reason`` in every open block."""
        for counter, count in _open_blocks.get():
            if counter is self:
                count.unreachable.setdefault(host, reason)


# The blocks open in the current context, innermost last, each with the counter it belongs to.
_open_blocks: contextvars.ContextVar[tuple[tuple[RequestCounter, RequestCount], ...]] = contextvars.ContextVar(
    "tracker_http_open_counts", default=()
)
