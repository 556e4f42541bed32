"""Start-up check: can Redis evict the queued tasks?

Celery keeps each queue as a Redis list without a TTL. Under ``maxmemory-policy allkeys-lru`` (or any
``allkeys-*`` policy) a Redis that reaches ``maxmemory`` -- a co-tenant cache is enough -- deletes
those lists like any cache key: every queued poll and delivery vanishes without an error anywhere.
``noeviction`` (Redis' default) makes writes fail loudly instead, and the ``volatile-*`` policies only
evict keys with a TTL (tracker's locks and rate-limit counters, which are safe to lose), never a
queue. Source of the policy semantics: https://redis.io/docs/latest/develop/reference/eviction/.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tracker.config import Settings
from tracker.errors import ConfigError
from tracker.ops.redis import new_client, uses_redis

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 5.0
FIX = (
    "set `maxmemory-policy noeviction` (or a volatile-* policy) on that Redis: "
    "`redis-cli CONFIG SET maxmemory-policy noeviction` and the same line in redis.conf, "
    "or give tracker its own Redis"
)


@dataclass(frozen=True)
class EvictionCheck:
    """What the broker's Redis would do under memory pressure.

    Attributes:
        policy (str | None): ``maxmemory-policy``, or None when Redis refused ``CONFIG GET``.
        maxmemory (int | None): bytes (0 = no limit), or None when unknown.
        problem (str | None): why queued tasks could be lost, None when they cannot.
        fatal (bool): True when starting would risk losing queued tasks (the caller refuses).
    """

    policy: str | None
    maxmemory: int | None
    problem: str | None
    fatal: bool


def assess(policy: str | None, maxmemory: int | None) -> EvictionCheck:
    """Judge a policy and limit (bytes); pure, so every combination is tested without a server."""
    if policy is None:
        problem = f"cannot read maxmemory-policy (CONFIG GET is disabled here); if it is allkeys-*, {FIX}"
        return EvictionCheck(policy, maxmemory, problem, fatal=False)
    if not policy.startswith("allkeys-"):
        return EvictionCheck(policy, maxmemory, None, fatal=False)
    if not maxmemory:
        problem = (
            f"maxmemory-policy is {policy}: queued tasks would be evicted as soon as a maxmemory limit "
            f"is set (none is now); {FIX}"
        )
        return EvictionCheck(policy, maxmemory, problem, fatal=False)
    problem = f"maxmemory-policy is {policy} with maxmemory {maxmemory} bytes: queued tasks can be evicted; {FIX}"
    return EvictionCheck(policy, maxmemory, problem, fatal=True)


def check_redis_eviction(settings: Settings) -> EvictionCheck | None:
    """Read the broker Redis's eviction settings and judge them (None for a non-Redis broker).

    A problem that is not fatal is returned for the caller to show (``problem``).

    Raises:
        ConfigError: queued tasks can be evicted (an ``allkeys-*`` policy with a memory limit).
    """
    if not uses_redis(settings):
        return None
    import redis  # lazy: see tracker.ops.redis

    client = new_client(settings.resolved_broker_url, timeout_s=PROBE_TIMEOUT_S, connect_timeout_s=PROBE_TIMEOUT_S)
    try:
        config = client.config_get("maxmemory*")
        policy, raw_max = config.get("maxmemory-policy"), config.get("maxmemory")
        maxmemory = int(raw_max) if raw_max is not None and str(raw_max).isdigit() else None
    except redis.ResponseError:  # CONFIG renamed or forbidden (managed Redis)
        policy, maxmemory = None, None
    except redis.RedisError as exc:  # unreachable: Celery's own connection retries report it
        log.warning("could not check the broker's eviction policy: %s", exc)
        return None
    finally:
        client.close()
    check = assess(policy, maxmemory)
    if check.fatal:
        raise ConfigError(f"broker Redis: {check.problem}")
    return check
