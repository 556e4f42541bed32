"""How long a Hub request waits before it may go: the one rule both shared limiters apply.

``tracker.http.ratelimit.SharedLimiter`` (Redis) and ``tracker.http.ratelimit_file.FileLimiter``
(a SQLite file) differ only in where they keep the Hub's block and the request counters; the
arithmetic over what they read lives here. First the Hub's own signal: a ``RateLimit`` header
that said the budget is spent blocks Hub requests until its window resets
(``tracker.http.ratelimit_headers``). Then, when a budget is counted, the fixed-window counter:
a request over ``settings.hub.requests_per_window`` waits for the next window. A wait longer
than ``settings.http.max_retry_after`` seconds fails the request instead (the next poll retries).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from tracker.config import Settings
from tracker.errors import RateLimitedError

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
#: ``async () -> seconds`` the Hub's block still lasts (0 when none), as the store keeps it.
ReadBlock = Callable[[], Awaitable[float]]
#: ``async () -> (requests counted in this window, this one included; seconds until it ends)``.
CountRequest = Callable[[], Awaitable[tuple[int, float]]]


async def wait_for_hub(
    settings: Settings, url: str, *, blocked: ReadBlock, count: CountRequest | None, sleep: Sleep
) -> float:
    """Sleep until a request to the Hub ``url`` is allowed; return the seconds slept.

    Args:
        settings: ``hub.requests_per_window``, ``hub.window_s`` and ``http.max_retry_after`` (s).
        url: the request, named in the error.
        blocked: reads the store's Hub block.
        count: counts this request in the store's current window; None when no budget is counted.
        sleep: ``async sleep(seconds)``.

    Raises:
        RateLimitedError: the block, or the next budget window, is further away than
            ``settings.http.max_retry_after`` seconds (``retry_after`` = that wait).
    """
    wait = await blocked()
    waited = max(wait, 0.0)
    if wait > settings.http.max_retry_after:
        raise RateLimitedError(
            f"GET {url}: the Hub's rate limit is spent (RateLimit header); it resets in {wait:.0f} s",
            url=url,
            retry_after=wait,
        )
    if wait > 0:
        log.info("Hub rate limit spent; waiting %.1f s for it to reset", wait)
        await sleep(wait)
    while count is not None:
        requests, remaining_s = await count()
        if requests <= settings.hub.requests_per_window:
            break
        if remaining_s > settings.http.max_retry_after:
            raise RateLimitedError(
                f"GET {url}: the shared Hub budget of {settings.hub.requests_per_window} requests "
                f"per {settings.hub.window_s:g} s is spent; next window in {remaining_s:.0f} s",
                url=url,
                retry_after=remaining_s,
            )
        log.info("Hub budget spent; waiting %.1f s for the next window", remaining_s)
        waited += remaining_s
        await sleep(remaining_s)
    return waited
