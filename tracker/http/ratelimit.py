"""Per-host request limits shared by every worker (through Redis), applied before each request.

Two rules, matched by URL prefix (the arXiv endpoint first, since tests serve both from one host):

* **arXiv**: one request per ``TRACKER_ARXIV_MIN_INTERVAL`` seconds (arXiv's API terms ask for
  one request every 3 seconds), across all processes: a Redis key holds the next free slot
  (epoch seconds, Redis' own clock via ``TIME``); each request books the slot atomically (Lua)
  and sleeps until it.
* **Hugging Face Hub**: at most ``TRACKER_HUB_REQUESTS_PER_WINDOW`` API requests per
  ``TRACKER_HUB_WINDOW_S`` seconds (the Hub's rate-limits page counts requests over 5-minute
  windows): a fixed-window counter (``INCR`` + expiry). A request over budget waits for the next
  window when that is at most ``TRACKER_HTTP_MAX_RETRY_AFTER`` seconds away, else raises
  ``RateLimitedError`` (the poll fails this scope; the next poll retries).

* **Hub rate-limit signals**: a Hub response whose ``RateLimit`` header says nothing remains
  (``r=0;t=55``, ``tracker.http.ratelimit_headers``) blocks every process's next Hub request
  until the window resets (a Redis key holding the end of the block), instead of spending the
  retries a few hundred milliseconds apart.

Without a Redis broker ``make_limiter`` returns the file-backed ``FileLimiter``
(``tracker.http.ratelimit_file``): every process on the host (the workers of ``tracker run``, a
``tracker poll`` beside it) shares the Hub's signals and, when ``TRACKER_HUB_REQUESTS_PER_WINDOW``
is set explicitly, the request budget; arXiv is spaced in-process by ``tracker.http.throttle``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from tracker.config import Settings
from tracker.http.ratelimit_budget import Sleep, wait_for_hub
from tracker.http.ratelimit_file import FileLimiter
from tracker.http.ratelimit_headers import wait_before_next
from tracker.ops.redis import new_async_client, uses_redis

log = logging.getLogger(__name__)

KEY_PREFIX = "tracker:ratelimit:"

# KEYS[1] next-slot key; ARGV[1] interval (s). Returns the seconds to wait (string) before sending.
_BOOK_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local interval = tonumber(ARGV[1])
local ttl_ms = math.ceil((slot - now + interval) * 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.6f', slot + interval), 'PX', ttl_ms)
return string.format('%.6f', slot - now)
"""

# KEYS[1] block key; ARGV[1] seconds to block (0 = only read). Returns the seconds still blocked (string).
_BLOCK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local blocked = tonumber(redis.call('GET', KEYS[1]) or '0')
local wanted = tonumber(ARGV[1])
if wanted > 0 and now + wanted > blocked then
  blocked = now + wanted
  redis.call('SET', KEYS[1], string.format('%.6f', blocked), 'PX', math.ceil(wanted * 1000) + 1000)
end
if blocked > now then return string.format('%.6f', blocked - now) end
return '0'
"""

# KEYS[1] counter prefix; ARGV[1] window (s). Returns {count in this window, ms until it ends}.
_COUNT_WINDOW = """
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window_ms = math.floor(tonumber(ARGV[1]) * 1000)
local index = math.floor(now_ms / window_ms)
local key = KEYS[1] .. ':' .. index
local count = redis.call('INCR', key)
if count == 1 then redis.call('PEXPIRE', key, window_ms + 1000) end
return {count, (index + 1) * window_ms - now_ms}
"""


class SharedLimiter:
    """Async limiter backed by Redis; one per ``HttpClient`` (its client is bound to one event loop).

    Args:
        settings (Settings): endpoints (which URLs each rule covers), intervals and budgets.
        redis_client (redis.asyncio.Redis): the shared store.
        sleep (callable, optional): ``async sleep(seconds)``; defaults to ``asyncio.sleep``.
    """

    def __init__(self, settings: Settings, redis_client: Any, *, sleep: Sleep | None = None):
        self.settings = settings
        self._redis = redis_client
        self._sleep = sleep or asyncio.sleep
        self._book = redis_client.register_script(_BOOK_SLOT)
        self._count = redis_client.register_script(_COUNT_WINDOW)
        self._block = redis_client.register_script(_BLOCK)
        self._arxiv_prefix = settings.arxiv.endpoint
        self._hub_prefix = settings.hub.endpoint.rstrip("/") + "/"
        self.waited_s = 0.0

    def rule_for(self, url: str) -> str | None:
        """Return ``arxiv``, ``hf`` or None for a request URL."""
        if url.startswith(self._arxiv_prefix):
            return "arxiv"
        if url.startswith(self._hub_prefix):
            return "hf"
        return None

    async def acquire(self, url: str) -> None:
        """Wait until a request to ``url`` is allowed by the shared limits.

        Raises:
            RateLimitedError: the Hub budget of this window is spent and the next window starts
                later than ``settings.http.max_retry_after`` seconds from now.
        """
        rule = self.rule_for(url)
        if rule == "arxiv" and self.settings.arxiv.min_interval > 0:
            wait = float(await self._book(keys=[KEY_PREFIX + "arxiv:next"], args=[self.settings.arxiv.min_interval]))
            if wait > 0:
                self.waited_s += wait
                await self._sleep(wait)
        elif rule == "hf":

            async def blocked() -> float:
                return float(await self._block(keys=[KEY_PREFIX + "hf:blocked"], args=[0]))

            async def count() -> tuple[int, float]:
                requests, remaining_ms = await self._count(
                    keys=[KEY_PREFIX + "hf:window"], args=[self.settings.hub.window_s]
                )
                return int(requests), int(remaining_ms) / 1000

            self.waited_s += await wait_for_hub(self.settings, url, blocked=blocked, count=count, sleep=self._sleep)

    async def note_response(self, url: str, headers: Mapping[str, str]) -> None:
        """Block every process's Hub requests when this Hub response says the window's budget is spent."""
        if self.rule_for(url) != "hf":
            return
        wait = wait_before_next(headers)
        if wait is not None:
            log.warning("the Hub says its rate limit is spent; no Hub request for %.0f s (all processes)", wait)
            await self._block(keys=[KEY_PREFIX + "hf:blocked"], args=[wait])

    async def aclose(self) -> None:
        """Close the Redis connection pool."""
        await self._redis.aclose()


def make_limiter(settings: Settings) -> SharedLimiter | FileLimiter:
    """Return the limiter shared by every process: Redis-backed with a Redis broker, else file-backed."""
    if not uses_redis(settings):
        return FileLimiter(settings)
    return SharedLimiter(settings, new_async_client(settings.resolved_broker_url))
