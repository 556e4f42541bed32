"""How fast and how often tracker calls Slack: per-channel pacing and the 429 retry handlers.

Slack allows about one new message per second per channel: ``ChannelPacer`` spaces new messages
to one channel at least ``min_interval_s`` apart (per process: each worker process keeps its own
pace). slack-sdk retry handlers (``retry_handlers``) wait out a 429's ``Retry-After`` up to
``slack_max_retry_after_s`` (a longer wait becomes a transient error carrying ``retry_after``, so
the delivery is retried later instead of holding a worker) and retry connection errors.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler

from tracker.config import Settings
from tracker.notify.slack.errors import retry_after_s


class ChannelPacer:
    """Keeps new messages to one channel at least ``min_interval_s`` seconds apart (thread-safe).

    Each call to ``wait`` reserves the next free slot for its key and sleeps until it, so a
    burst of N messages to one channel takes about (N-1) x ``min_interval_s``, while other
    channels are not held up. Process-local.

    Args:
        min_interval_s (float): seconds between two messages to one channel.
        clock (Callable[[], float]): monotonic seconds (injectable for tests).
        sleep (Callable[[float], None]): how to wait (injectable for tests).
    """

    def __init__(
        self,
        min_interval_s: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.min_interval_s, self.clock, self.sleep = min_interval_s, clock, sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """Sleep until ``key`` may send again; return the seconds waited."""
        with self._lock:
            now = self.clock()
            slot = max(now, self._next.get(key, now))
            self._next[key] = slot + self.min_interval_s
        delay = slot - now
        if delay > 0:
            self.sleep(delay)
        return delay


_PACERS: dict[float, ChannelPacer] = {}
_PACERS_LOCK = threading.Lock()


def shared_pacer(min_interval_s: float) -> ChannelPacer:
    """The process-wide pacer for ``min_interval_s`` (shared by every notifier of the process)."""
    with _PACERS_LOCK:
        return _PACERS.setdefault(min_interval_s, ChannelPacer(min_interval_s))


class RetryAfterHandler(RateLimitErrorRetryHandler):
    """slack-sdk 429 handler that sleeps exactly ``Retry-After`` seconds, up to ``max_wait_s``.

    A longer ``Retry-After`` is not waited for in-process: the call then fails with a transient
    ``SlackDeliveryError`` carrying ``retry_after`` and the delivery is retried later.

    Args:
        max_retry_count (int): 429 retries per call.
        max_wait_s (float): longest ``Retry-After`` (seconds) waited in-process.
        sleep (Callable[[float], None]): injectable for tests.
    """

    def __init__(
        self, max_retry_count: int = 2, *, max_wait_s: float = 30.0, sleep: Callable[[float], None] = time.sleep
    ):
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait_s, self.sleep = max_wait_s, sleep

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:  # type: ignore[no-untyped-def]
        if response is None or response.status_code != 429:
            return False
        wait = retry_after_s(response.headers)
        return wait is None or wait <= self.max_wait_s

    def prepare_for_next_attempt(self, *, state, request, response=None, error=None) -> None:  # type: ignore[no-untyped-def]
        """Sleep ``Retry-After`` seconds (1 s when absent) and ask slack-sdk for another attempt."""
        if response is None:
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        wait = retry_after_s(response.headers)
        self.sleep(1.0 if wait is None else wait)
        state.increment_current_attempt()


def retry_handlers(settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> list[RetryHandler]:
    """The retry handlers every Slack client gets: 429 ``Retry-After`` and connection errors."""
    return [
        RetryAfterHandler(max_retry_count=2, max_wait_s=settings.slack.max_retry_after_s, sleep=sleep),
        ConnectionErrorRetryHandler(max_retry_count=2),
    ]
