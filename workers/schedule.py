"""The beat schedule, built from the watchlist: one entry per (source, lab) poll unit.

Jitter: every poll entry runs every ``interval_s + offset_s`` seconds, where ``interval_s`` is
the lab's ``poll_interval`` (or ``TRACKER_POLL_INTERVAL``) and ``offset_s`` is a stable fraction
(0 to ``JITTER_FRACTION``) of it, derived from a SHA-256 hash of the entry name. The offset is
the same on every start and every host, so the schedule is deterministic, yet units with the same
base interval drift apart instead of hitting the Hub and arXiv in lockstep. A unit is never polled
more often than its configured interval.

Each poll entry also carries ``expires`` = its interval: a poll still queued when the next one is
due is dropped rather than run twice in a row (polls are idempotent; this only saves requests).

A safety sweep (``tracker.outbox.sweep``, entry ``alerts:sweep``) runs every
``max(10, min(60, poll_interval / 5))`` seconds: it dispatches any outbox event the post-poll
``tracker.outbox.dispatch`` missed and re-enqueues due deliveries (retries after backoff, stale
claims of dead workers, deliveries re-queued by ``tracker deliveries retry``). With the server-less
kombu SQLAlchemy broker, ``tracker.broker.prune`` also runs hourly (see ``workers.tasks``).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from tracker.config import Settings
from tracker.pipeline import poll_units_for
from tracker.watchlist import Watchlist

POLL_TASK = "tracker.poll.source"
DISPATCH_TASK = "tracker.outbox.dispatch"
SWEEP_TASK = "tracker.outbox.sweep"
ALERTS_TASK = SWEEP_TASK  # the safety sweep's former name, kept for callers
DELIVER_TASK = "tracker.deliver.one"
PRUNE_TASK = "tracker.broker.prune"
POLL_QUEUE = "poll"
DELIVER_QUEUE = "deliver"
DIGEST_QUEUE = "digest"
QUEUES = (POLL_QUEUE, DELIVER_QUEUE, DIGEST_QUEUE)
JITTER_FRACTION = 0.10
ALERT_SWEEP_MIN_S = 10.0
ALERT_SWEEP_MAX_S = 60.0
PRUNE_INTERVAL_S = 3600.0


def entry_name(source: str, lab_slug: str) -> str:
    """Return the beat entry name of one poll unit, e.g. ``poll:hf:qwen``."""
    return f"poll:{source}:{lab_slug}"


def jitter_offset(name: str, interval_s: float, *, fraction: float = JITTER_FRACTION) -> float:
    """Return a stable offset in ``[0, fraction * interval_s)`` seconds for the entry ``name``.

    Args:
        name (str): the beat entry name; the same name always gives the same offset.
        interval_s (float): the base interval, in seconds.
        fraction (float, optional): the largest offset as a fraction of the interval. Defaults to 0.1.

    Returns:
        float: the offset in seconds, rounded to milliseconds.
    """
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    unit = int.from_bytes(digest[:8], "big") / 2**64  # uniform in [0, 1)
    return round(unit * fraction * interval_s, 3)


def alert_sweep_interval(settings: Settings) -> float:
    """Return the safety-sweep period in seconds: ``poll_interval / 5`` clamped to [10, 60]."""
    return max(ALERT_SWEEP_MIN_S, min(ALERT_SWEEP_MAX_S, settings.poll_interval / 5))


def uses_sqla_broker(settings: Settings) -> bool:
    """True when the broker is the kombu SQLAlchemy transport (``sqla+`` / ``sqlalchemy+`` URL)."""
    return settings.resolved_broker_url.startswith(("sqla+", "sqlalchemy+"))


def build_schedule(settings: Settings, watchlist: Watchlist) -> dict[str, dict[str, Any]]:
    """Return Celery's ``beat_schedule``: a poll entry per (source, lab) unit plus the sweeps.

    Args:
        settings (Settings): default poll interval (seconds) and broker URL.
        watchlist (Watchlist): the labs; ``LabConfig.poll_interval`` (seconds) overrides the default.

    Returns:
        dict[str, dict]: entry name -> ``{"task", "schedule" (timedelta), "args", "options"}``.
        Poll entries are named ``poll:<source>:<lab>`` and take ``[source, lab_slug]``.
    """
    schedule: dict[str, dict[str, Any]] = {}
    for source, lab in poll_units_for(watchlist, enabled=settings.enabled_sources):
        name = entry_name(str(source), lab.slug)
        interval_s = float(lab.poll_interval or settings.poll_interval)
        period_s = interval_s + jitter_offset(name, interval_s)
        schedule[name] = {
            "task": POLL_TASK,
            "schedule": timedelta(seconds=period_s),
            "args": [str(source), lab.slug],
            "options": {"queue": POLL_QUEUE, "expires": interval_s},
        }
    sweep_s = alert_sweep_interval(settings)
    schedule["alerts:sweep"] = {
        "task": ALERTS_TASK,
        "schedule": timedelta(seconds=sweep_s),
        "args": [],
        "options": {"queue": DELIVER_QUEUE, "expires": sweep_s},
    }
    if uses_sqla_broker(settings):
        schedule["broker:prune"] = {
            "task": PRUNE_TASK,
            "schedule": timedelta(seconds=PRUNE_INTERVAL_S),
            "args": [],
            "options": {"queue": DELIVER_QUEUE, "expires": PRUNE_INTERVAL_S},
        }
    return schedule


def count_poll_entries(schedule: dict[str, dict[str, Any]]) -> int:
    """Return how many entries of ``schedule`` poll a unit (for start-up messages)."""
    return sum(1 for entry in schedule.values() if entry["task"] == POLL_TASK)
