"""The one Redis client factory: which broker URLs are Redis, and the clients tracker talks to it with.

With a Redis broker (``TRACKER_BROKER_URL=redis://...``), Redis also carries the poll locks
(``tracker.ops.locks``), the poll counters of ``GET /metrics`` (``tracker.ops.metrics``), the limits
shared by every worker (``tracker.http.ratelimit``) and the broker health probe
(``tracker.ops.health``). Every one of them gets its client here, so the timeouts are the same
everywhere and a hung Redis fails a call within seconds instead of blocking a poll.

``redis`` is imported inside the functions: it costs about 100 ms of start-up (measured with
``python -X importtime``), and with the embedded SQLAlchemy broker nothing needs it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from tracker.config import Settings

if TYPE_CHECKING:
    import redis
    import redis.asyncio

__all__ = [
    "CONNECT_TIMEOUT_S",
    "HEALTH_CHECK_INTERVAL_S",
    "SOCKET_TIMEOUT_S",
    "new_async_client",
    "new_client",
    "shared_client",
    "uses_redis",
]

#: Seconds a command (or a read of its answer) may take before ``redis.TimeoutError``.
SOCKET_TIMEOUT_S = 10.0
#: Seconds to connect before ``redis.ConnectionError``: a reachable Redis connects in milliseconds.
CONNECT_TIMEOUT_S = 5.0
#: Seconds a pooled connection may sit idle before it is pinged on reuse (long-lived worker pools).
HEALTH_CHECK_INTERVAL_S = 30


def uses_redis(settings: Settings) -> bool:
    """True when the broker (and so the shared lock, rate-limit and metrics store) is Redis."""
    return settings.resolved_broker_url.startswith(("redis://", "rediss://", "unix://"))


@functools.lru_cache(maxsize=8)
def shared_client(url: str) -> redis.Redis:
    """Return the process-wide Redis client for ``url`` (redis-py pools reconnect after fork).

    Args:
        url (str): a ``redis://``, ``rediss://`` or ``unix://`` URL.

    Returns:
        redis.Redis: cached per URL; never close it. Commands time out after ``SOCKET_TIMEOUT_S``.
    """
    import redis  # lazy: see the module docstring

    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        health_check_interval=HEALTH_CHECK_INTERVAL_S,
    )


def new_client(
    url: str, *, timeout_s: float = SOCKET_TIMEOUT_S, connect_timeout_s: float = CONNECT_TIMEOUT_S
) -> redis.Redis:
    """Return a new, unshared Redis client (the caller closes it): a one-off probe with its own timeouts.

    Args:
        url (str): a ``redis://``, ``rediss://`` or ``unix://`` URL.
        timeout_s (float): seconds per command. connect_timeout_s (float): seconds to connect.
    """
    import redis  # lazy: see the module docstring

    return redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=connect_timeout_s)


def new_async_client(
    url: str, *, timeout_s: float = SOCKET_TIMEOUT_S, connect_timeout_s: float = CONNECT_TIMEOUT_S
) -> redis.asyncio.Redis:
    """Return a new asyncio Redis client; it is bound to the running event loop, so never share it.

    Args:
        url (str): a ``redis://``, ``rediss://`` or ``unix://`` URL.
        timeout_s (float): seconds per command. connect_timeout_s (float): seconds to connect.

    Returns:
        redis.asyncio.Redis: the caller closes it (``await client.aclose()``).
    """
    import redis.asyncio  # lazy: see the module docstring

    return redis.asyncio.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=connect_timeout_s)
