"""Poll locks: a poll of one (source, lab) unit never runs twice at once.

Overlapping beats, a webhook-triggered poll racing a scheduled one, or two beat processes could
otherwise poll the same unit concurrently (twice the requests, and two transactions racing to
store the same new repos). ``poll_lock`` is non-blocking: the caller that does not get it skips
its poll, since the one running will see the same listing.

Backends: with a Redis broker (``TRACKER_BROKER_URL=redis://...``) the lock is a Redis key
(redis-py's ``Lock``: ``SET NX PX`` with a token, released only by its owner, renewed while the
poll runs and expiring ``ttl_s`` after the last renewal, so a killed worker frees its unit within
a minute). In a worker the token is the task id (``lock_owner``): the same task re-run after its
worker was killed takes its own stale lock over at once. With any other broker (the embedded
SQLAlchemy one: everything on one host) it is a file lock in ``<data_dir>/locks/`` (the
``filelock`` library: ``flock``/``LockFileEx``, released by the OS when its process dies), so a
``tracker poll`` and a ``tracker run`` or a second ``tracker poll`` on the same data directory
never poll one unit at once.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from filelock import FileLock, Timeout

from tracker.config import Settings
from tracker.errors import TrackerError
from tracker.ops.redis import shared_client, uses_redis

log = logging.getLogger(__name__)

KEY_PREFIX = "tracker:lock:"
#: Seconds after which a Redis poll lock expires unless renewed: the holder renews it every third
#: of this while it polls, so a live poll never loses it and a killed one frees its unit within
#: this long (well under one poll interval).
POLL_LOCK_TTL_S = 60.0
#: Who is polling: set by the worker to its task id, so the same task redelivered after its
#: worker was killed recognises its own lock and takes it over instead of skipping its unit.
lock_owner: contextvars.ContextVar[str | None] = contextvars.ContextVar("tracker_poll_lock_owner", default=None)
#: ``PollReport.skipped`` of a unit whose lock another poll holds.
SKIPPED_LOCKED = "another poll of this unit is running"


def poll_key(source: str, lab: str) -> str:
    """Return the lock name of one poll unit: ``poll:<source>:<lab>``."""
    return f"poll:{source}:{lab}"


@contextmanager
def _file_lock(settings: Settings, name: str) -> Iterator[bool]:
    """Non-blocking OS file lock ``<data_dir>/locks/<name>.lock`` (one host; any process or thread).

    Raises:
        TrackerError: the lock file cannot be created (data directory not writable).
    """
    directory = settings.ensure_data_dir() / "locks"
    try:
        directory.mkdir(exist_ok=True)
    except OSError as exc:
        raise TrackerError(f"cannot create the poll lock directory {directory}: {exc}") from exc
    # thread_local=False and is_singleton=False: each call is its own lock, so a second acquire
    # (another thread or process) fails instead of re-entering the first one's lock.
    lock = FileLock(directory / f"{name.replace(':', '-')}.lock", thread_local=False, is_singleton=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        yield False
        return
    except OSError as exc:
        raise TrackerError(f"cannot take the poll lock {lock.lock_file}: {exc}") from exc
    try:
        yield True
    finally:
        lock.release()


@contextmanager
def poll_lock(settings: Settings, source: str, lab: str, *, ttl_s: float) -> Iterator[bool]:
    """Try to take the lock of one poll unit without waiting.

    Args:
        settings (Settings): the broker URL picks Redis or the file-lock fallback (in ``data_dir``).
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
        with _file_lock(settings, name) as acquired:
            yield acquired
        return
    import redis  # lazy: ~100 ms of start-up (python -X importtime) that file locks never need

    client = shared_client(settings.resolved_broker_url)
    rlock = client.lock(KEY_PREFIX + name, timeout=ttl_s, blocking=False, thread_local=False)
    owner = lock_owner.get()
    try:
        acquired = rlock.acquire(token=owner) if owner else rlock.acquire()
        if not acquired and owner and client.get(KEY_PREFIX + name) == owner.encode():
            log.warning("poll lock %s: taken over from a killed run of the same task %s", name, owner)
            rlock.local.token = owner.encode()
            acquired = bool(rlock.reacquire())
    except redis.RedisError as exc:
        raise TrackerError(f"cannot take the poll lock {name} in Redis: {exc}") from exc
    renewer = _Renewer(rlock, name, ttl_s) if acquired else None
    try:
        yield acquired
    finally:
        if renewer is not None:
            renewer.stop()
        if acquired:
            try:
                rlock.release()
            except redis.exceptions.LockError as exc:  # expired (poll outlived ttl_s) or Redis gone
                log.warning("poll lock %s was lost before release: %s", name, exc)
            except redis.RedisError as exc:
                log.warning("poll lock %s not released (it expires in %.0f s): %s", name, ttl_s, exc)


class _Renewer:
    """Renew a Redis lock every third of its TTL from a daemon thread until ``stop()``.

    A poll runs in an event loop that may be busy for seconds (parsing, storing), so renewal runs
    beside it. A killed process renews nothing: its lock expires ``ttl_s`` after the last renewal.
    """

    def __init__(self, rlock: Any, name: str, ttl_s: float):
        self._rlock, self._name, self._every_s = rlock, name, ttl_s / 3
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"renew-{name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import redis  # lazy: see tracker.ops.redis

        while not self._stopped.wait(self._every_s):
            try:
                self._rlock.reacquire()
            except redis.exceptions.LockError as exc:  # expired meanwhile: another poll may hold it now
                log.warning("poll lock %s lost while polling: %s", self._name, exc)
                return
            except redis.RedisError as exc:  # transient: try again at the next renewal
                log.warning("poll lock %s not renewed: %s", self._name, exc)

    def stop(self) -> None:
        """Stop renewing (before the lock is released)."""
        self._stopped.set()
        self._thread.join(timeout=5)
