"""Poll counters shared by every worker, read by ``GET /metrics`` (``tracker.api.metrics``).

Polls run in worker processes while ``GET /metrics`` is served by the API process, so the poll
counters cannot live in one process's memory. ``record_poll`` adds each poll's outcome to a Redis
hash (``tracker:metrics``, ``HINCRBY``) when the broker is Redis; with the embedded broker (one
host, usually ``tracker run``) they are kept in this process only. Counter fields are
``polls|<source>|<status>``, ``requests|<source>``, ``errors|<source>`` and
``detections|<source>``.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any

from tracker.config import Settings
from tracker.ops.redis import shared_client, uses_redis

log = logging.getLogger(__name__)

REDIS_KEY = "tracker:metrics"

_local = Counter[str]()
_local_lock = threading.Lock()


def _fields(report: Any) -> dict[str, int]:
    """Counter increments of one ``PollReport`` (fields ``kind|source[|status]``)."""
    errors = len(report.failures) + (1 if report.error else 0)
    return {
        f"polls|{report.source}|{report.status}": 1,
        f"requests|{report.source}": int(report.requests),
        f"errors|{report.source}": errors,
        f"detections|{report.source}": len(report.detections),
    }


def record_poll(settings: Settings, report: Any) -> None:
    """Count one poll's outcome (never raises: metrics must not fail a poll).

    Args:
        settings (Settings): the broker URL picks Redis (shared) or this process's memory.
        report (tracker.pipeline.PollReport): ``source``, ``status``, ``requests``, ``failures``,
            ``error``, ``detections``.
    """
    increments = {k: v for k, v in _fields(report).items() if v}
    if uses_redis(settings):
        import redis  # lazy: ~100 ms of start-up (python -X importtime) the embedded broker never needs

        try:
            pipe = shared_client(settings.resolved_broker_url).pipeline(transaction=False)
            for name, amount in increments.items():
                pipe.hincrby(REDIS_KEY, name, amount)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("poll metrics of %s/%s not recorded in Redis: %s", report.source, report.lab, exc)
        return
    with _local_lock:
        _local.update(increments)


def read_counters(settings: Settings) -> dict[str, int]:
    """Return the poll counters (``kind|source[|status]`` -> count); empty when Redis is down."""
    if uses_redis(settings):
        import redis  # lazy: ~100 ms of start-up (python -X importtime) the embedded broker never needs

        try:
            raw = shared_client(settings.resolved_broker_url).hgetall(REDIS_KEY)
        except redis.RedisError as exc:
            log.warning("poll metrics unavailable: Redis unreachable: %s", exc)
            return {}
        return {k.decode(): int(v) for k, v in raw.items()}
    with _local_lock:
        return dict(_local)
