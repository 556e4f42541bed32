"""Poll locks: a poll of one (source, lab) unit never runs twice at once.

Overlapping beats, a webhook-triggered poll racing a scheduled one, or two beat processes could
otherwise poll the same unit concurrently (twice the requests, and two transactions racing to
store the same new repos). ``poll_lock`` is non-blocking: the caller that does not get it skips
its poll, since the one running will see the same listing.

Backends: with a Redis broker (``TRACKER_BROKER_URL=redis://...``) the lock is a Redis key
(redis-py's ``Lock``: ``SET NX PX`` with a random token, released only by its owner, expiring
after ``ttl_s`` so a killed worker cannot hold it forever). With any other broker (the embedded
SQLAlchemy one: one host, usually one worker) it is an in-process lock.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tracker.config import Settings
from tracker.errors import TrackerError

log = logging.getLogger(__name__)

KEY_PREFIX = "tracker:lock:"
_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


def uses_redis(settings: Settings) -> bool:
    """True when the broker (and so the shared lock and rate-limit store) is Redis."""
    return settings.resolved_broker_url.startswith(("redis://", "rediss://", "unix://"))


@functools.lru_cache(maxsize=8)
def redis_client(url: str):  # type: ignore[no-untyped-def]
    """Return a process-wide Redis client for ``url`` (redis-py pools reconnect after fork)."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30)


def poll_key(source: str, lab: str) -> str:
    """Return the lock name of one poll unit: ``poll:<source>:<lab>``."""
    return f"poll:{source}:{lab}"


@contextmanager
def poll_lock(settings: Settings, source: str, lab: str, *, ttl_s: float) -> Iterator[bool]:
    """Try to take the lock of one poll unit without waiting.

    Args:
        settings (Settings): the broker URL picks Redis or the in-process fallback.
        source (str): ``hf`` or ``arxiv``. lab (str): the lab slug.
        ttl_s (float): seconds after which a Redis lock expires on its own (longer than the poll's
            hard time limit, so a live poll never loses it).

    Yields:
        bool: True when this caller holds the lock and should poll; False when another poll of
        the unit is running (skip).

    Raises:
        TrackerError: Redis cannot be reached (transient: the caller may retry).
    """
    name = poll_key(source, lab)
    if not uses_redis(settings):
        with _local_guard:
            lock = _local_locks.setdefault(name, threading.Lock())
        acquired = lock.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()
        return
    import redis

    client = redis_client(settings.resolved_broker_url)
    rlock = client.lock(KEY_PREFIX + name, timeout=ttl_s, blocking=False, thread_local=False)
    try:
        acquired = rlock.acquire()
    except redis.RedisError as exc:
        raise TrackerError(f"cannot take the poll lock {name} in Redis: {exc}") from exc
    try:
        yield acquired
    finally:
        if acquired:
            try:
                rlock.release()
            except redis.exceptions.LockError as exc:  # expired (poll outlived ttl_s) or Redis gone
                log.warning("poll lock %s was lost before release: %s", name, exc)
            except redis.RedisError as exc:
                log.warning("poll lock %s not released (it expires in %.0f s): %s", name, ttl_s, exc)
