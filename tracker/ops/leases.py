"""Leases: a role (the beat scheduler) held by at most one process per broker, taken over when it dies.

Two schedulers against one broker would queue every poll twice (twice the Hub and arXiv requests).
The scheduler holds a lease and renews it on every tick; a second one finds it held and stands
down, retrying on each tick so that it takes over when the first one stops.

Backends follow the broker (like ``tracker.ops.locks``): with Redis, a key set with ``SET NX PX``
and a token naming the holder, renewed by the holder only (redis-py's ``Lock.reacquire``), so a
killed holder's lease expires ``ttl_s`` seconds after its last renewal. With any other broker (the
embedded one: everything on one host, in one data directory) an OS file lock in
``<data_dir>/locks/``, released by the OS the moment its process dies; a side file names the holder.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from tracker.config import Settings
from tracker.ops.redis import shared_client, uses_redis

log = logging.getLogger(__name__)

KEY_PREFIX = "tracker:lease:"
#: Seconds a Redis lease lives after its last renewal; the holder renews far more often (every tick).
DEFAULT_TTL_S = 30.0


def holder_id() -> str:
    """Name this process for other processes' logs: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """A named lease for one process at a time (see the module docstring for the backends).

    Args:
        settings (Settings): the broker URL picks Redis or the file lock (in ``data_dir``).
        name (str): the role, e.g. ``beat``.
        ttl_s (float, optional): seconds a Redis lease outlives its last renewal.

    ``hold()`` is safe to call after ``fork()``: a child keeps holding its parent's lease (the
    Redis token is copied; the file lock belongs to the open file the child shares).
    """

    def __init__(self, settings: Settings, name: str, *, ttl_s: float = DEFAULT_TTL_S):
        self.name = name
        self.ttl_s = ttl_s
        self._settings = settings
        self._redis_lock: Any = None
        self._file_lock: FileLock | None = None
        self._file_pid = 0  # the process that opened the lock file (a forked child never unlocks it)
        self._token = holder_id()
        self.held = False
        #: Why the last ``hold()`` could not ask the broker (Redis unreachable), else None.
        self.error: str | None = None

    def hold(self) -> bool:
        """Take the lease or renew it; return True while this process holds it.

        A Redis that cannot be reached counts as not holding (a scheduler that cannot reach its
        broker cannot queue anything anyway); the error is logged.
        """
        self.error = None
        if uses_redis(self._settings):
            self.held = self._hold_redis()
        else:
            self.held = self._hold_file()
        return self.held

    def holder(self) -> str:
        """Who holds the lease now (``host:pid:random``), or ``unknown``."""
        try:
            if uses_redis(self._settings):
                value = shared_client(self._settings.resolved_broker_url).get(KEY_PREFIX + self.name)
                return value.decode(errors="replace") if value else "unknown"
            return self._holder_file().read_text(encoding="utf-8", errors="replace").strip()[:200] or "unknown"
        except Exception as exc:  # only used for a log line: say why it is unknown
            return f"unknown ({type(exc).__name__})"

    def release(self) -> None:
        """Give the lease up (on shutdown), so a standby takes over at once instead of after ``ttl_s``."""
        if not self.held:
            return
        self.held = False
        if self._redis_lock is not None:
            import redis  # lazy: see tracker.ops.redis

            try:
                self._redis_lock.release()
            except redis.RedisError as exc:  # already expired or Redis gone: it expires on its own
                log.info("lease %s not released (%s); it expires within %.0f s", self.name, exc, self.ttl_s)
        if self._file_lock is not None and self._file_pid == os.getpid():
            self._file_lock.release()
            self._file_lock = None

    def _hold_redis(self) -> bool:
        import redis  # lazy: see tracker.ops.redis

        client = shared_client(self._settings.resolved_broker_url)
        if self._redis_lock is None:
            self._redis_lock = client.lock(
                KEY_PREFIX + self.name, timeout=self.ttl_s, blocking=False, thread_local=False
            )
        try:
            if self.held:
                self._redis_lock.reacquire()  # raises LockNotOwnedError when it expired and was taken
                return True
            return bool(self._redis_lock.acquire(token=self._token))
        except redis.exceptions.LockError as exc:
            log.warning("lease %s lost (%s): another process took it over", self.name, exc)
            return False
        except redis.RedisError as exc:
            self.error = str(exc)
            log.warning("lease %s: Redis unreachable (%s); not holding it", self.name, exc)
            return False

    def _holder_file(self) -> Path:
        return self._settings.ensure_data_dir() / "locks" / f"{self.name}.holder"

    def _hold_file(self) -> bool:
        if self._file_lock is not None:  # held by this process, or by the parent this one forked from
            return True
        directory = self._settings.ensure_data_dir() / "locks"
        directory.mkdir(exist_ok=True)
        lock = FileLock(directory / f"{self.name}.lock", thread_local=False, is_singleton=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return False
        self._file_lock, self._file_pid = lock, os.getpid()
        self._holder_file().write_text(self._token + "\n", encoding="utf-8")
        return True
