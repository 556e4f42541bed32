"""URL guards: a check run before every request hop (redirects included) of the requests in a block.

The feeds source fetches user-supplied URLs and uses a guard (``tracker.http.netguard``) to refuse
private addresses; the guard lives in a context variable so that only that source's requests,
including the tasks it starts, are checked.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import httpx

UrlGuard = Callable[[httpx.URL], Awaitable[None]]
"""``async guard(url)``: raises to stop a request hop before anything is sent."""


@contextmanager
def guarded(guard: UrlGuard) -> Iterator[None]:
    """Run ``await guard(url)`` before every request hop made in this block (see ``run_guard``)."""
    token = _active_guard.set(guard)
    try:
        yield
    finally:
        _active_guard.reset(token)


async def run_guard(url: httpx.URL) -> None:
    """Run the guard of the innermost open ``guarded()`` block on ``url``; nothing outside one.

    Raises:
        Exception: whatever the guard raises (e.g. ``tracker.http.netguard.BlockedURLError``).
    """
    guard = _active_guard.get()
    if guard is not None:
        await guard(url)


_active_guard: contextvars.ContextVar[UrlGuard | None] = contextvars.ContextVar("tracker_http_url_guard", default=None)
