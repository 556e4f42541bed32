"""The overall deadline of one HTTP attempt: connect, headers and the whole body, not only each read.

httpx's timeouts bound each socket operation, so a server that sends one byte every few seconds
keeps a request alive for as long as it likes. ``bounding`` puts each attempt under an
``asyncio.timeout`` that is armed (``arm``) by the request hook once the client's own waits (the
arXiv throttle, the shared rate limits) are over: time spent queueing politely is not the
server's time. Each redirect hop re-arms it.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

_current: contextvars.ContextVar[tuple[asyncio.Timeout, float] | None] = contextvars.ContextVar(
    "tracker_http_attempt_deadline", default=None
)


class DeadlineExceeded(Exception):
    """The attempt did not complete within its deadline (seconds in ``deadline_s``)."""

    def __init__(self, deadline_s: float):
        super().__init__(f"no complete response within {deadline_s:g}s (TRACKER_HTTP_DEADLINE)")
        self.deadline_s = deadline_s


@asynccontextmanager
async def bounding(deadline_s: float) -> AsyncIterator[None]:
    """Run the block as one attempt with an overall deadline of ``deadline_s`` seconds once armed.

    Raises:
        DeadlineExceeded: the armed deadline passed before the block finished.
    """
    try:
        async with asyncio.timeout(None) as timeout:
            token = _current.set((timeout, deadline_s))
            try:
                yield
            finally:
                _current.reset(token)
    except TimeoutError as exc:
        if timeout.expired():
            raise DeadlineExceeded(deadline_s) from exc
        raise


def arm() -> None:
    """Start (or restart, for a redirect hop) the current attempt's deadline from now."""
    current = _current.get()
    if current is not None and current[1] != float("inf"):
        timeout, deadline_s = current
        timeout.reschedule(asyncio.get_running_loop().time() + deadline_s)
