"""Hub rate limits shared by every process on one host without Redis: a small SQLite file.

With the embedded broker, ``tracker run``'s worker processes and any ``tracker poll`` beside it
share ``<data_dir>/ratelimit.db``: one row holds until when the Hub said its budget is spent
(its ``RateLimit`` header), and, when ``TRACKER_HUB_REQUESTS_PER_WINDOW`` is set explicitly,
fixed-window counters of Hub requests. SQLite rather than a lock file with JSON: each update is
one short ``BEGIN IMMEDIATE`` transaction, atomic across processes, and survives a crash mid-write.
The clock is the host's wall clock (every process sharing the file runs on this host). The
counted budget applies only when set explicitly: without Redis it would otherwise throttle a
local replay hub or mirror as if it were the real Hub; the Hub's own headers always apply.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path

from tracker.config import Settings
from tracker.http.ratelimit_budget import Sleep, wait_for_hub
from tracker.http.ratelimit_headers import wait_before_next

log = logging.getLogger(__name__)

FILE_NAME = "ratelimit.db"
BUSY_TIMEOUT_S = 10.0


class FileLimiter:
    """The file-backed twin of ``tracker.http.ratelimit.SharedLimiter`` (same ``acquire``/``note_response``).

    Args:
        settings (Settings): ``data_dir`` (where the file lives), the Hub endpoint and budget.
        sleep (callable, optional): ``async sleep(seconds)``; defaults to ``asyncio.sleep``.
    """

    def __init__(self, settings: Settings, *, sleep: Sleep | None = None):
        self.settings = settings
        self._sleep = sleep or asyncio.sleep
        self._hub_prefix = settings.hub.endpoint.rstrip("/") + "/"
        self._path: Path = settings.ensure_data_dir() / FILE_NAME
        self._budget = "requests_per_window" in settings.hub.model_fields_set
        self.waited_s = 0.0

    async def acquire(self, url: str) -> None:
        """Wait until a Hub request is allowed (other URLs pass at once).

        Raises:
            RateLimitedError: the Hub's block, or the next budget window, is further away than
                ``settings.http.max_retry_after`` seconds.
        """
        if not url.startswith(self._hub_prefix):
            return

        async def blocked() -> float:
            return await asyncio.to_thread(self._update, "hf:blocked", 0.0)

        async def count() -> tuple[int, float]:
            return await asyncio.to_thread(self._count, self.settings.hub.window_s)

        self.waited_s += await wait_for_hub(
            self.settings, url, blocked=blocked, count=count if self._budget else None, sleep=self._sleep
        )

    async def note_response(self, url: str, headers: Mapping[str, str]) -> None:
        """Block every process's Hub requests when this Hub response says the budget is spent."""
        if not url.startswith(self._hub_prefix):
            return
        wait = wait_before_next(headers)
        if wait is not None:
            log.warning("the Hub says its rate limit is spent; no Hub request for %.0f s (all processes)", wait)
            await asyncio.to_thread(self._update, "hf:blocked", wait)

    async def aclose(self) -> None:
        """Nothing to close: each update opens and closes the file."""

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.execute("CREATE TABLE IF NOT EXISTS limits (key TEXT PRIMARY KEY, value REAL NOT NULL)")
        return conn

    def _update(self, key: str, block_s: float) -> float:
        """Extend the block ``key`` to at least ``block_s`` seconds from now; return the seconds left."""
        conn = self._connect()
        try:
            if block_s <= 0:  # a read: no write lock needed (the common case, before every Hub request)
                row = conn.execute("SELECT value FROM limits WHERE key = ?", (key,)).fetchone()
                return max(0.0, (float(row[0]) if row else 0.0) - time.time())
            conn.execute("BEGIN IMMEDIATE")
            now = time.time()
            row = conn.execute("SELECT value FROM limits WHERE key = ?", (key,)).fetchone()
            until = float(row[0]) if row else 0.0
            if now + block_s > until:
                until = now + block_s
                conn.execute("INSERT OR REPLACE INTO limits (key, value) VALUES (?, ?)", (key, until))
            conn.execute("COMMIT")
            return max(0.0, until - now)
        finally:
            conn.close()

    def _count(self, window_s: float) -> tuple[int, float]:
        """Count one Hub request in the current fixed window; return (count, seconds until it ends)."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            now = time.time()
            index = int(now // window_s)
            key = f"hf:window:{index}"
            conn.execute("DELETE FROM limits WHERE key LIKE 'hf:window:%' AND key != ?", (key,))
            conn.execute(
                "INSERT INTO limits (key, value) VALUES (?, 1) ON CONFLICT(key) DO UPDATE SET value = value + 1",
                (key,),
            )
            count = int(conn.execute("SELECT value FROM limits WHERE key = ?", (key,)).fetchone()[0])
            conn.execute("COMMIT")
            return count, (index + 1) * window_s - now
        finally:
            conn.close()
