"""One beat scheduler per broker: ``SingleBeatScheduler`` sends the schedule only while it holds the lease.

Two ``tracker run`` replicas, or a ``tracker beat`` beside a ``tracker run``, would otherwise queue
every poll twice. The scheduler holds the ``beat`` lease (``tracker.ops.leases``: a Redis key with a
TTL renewed on every tick, or an OS file lock in the data directory for the embedded broker) and
ticks at most every third of the lease's life, so a live scheduler never loses it. One that finds
the lease held logs one warning line naming the holder, sends nothing, and keeps trying on each
tick: it takes over when the holder stops (at once after a clean stop, which releases the lease;
``TRACKER_BEAT_LEASE_S`` after a kill). Its schedule file is opened only once it holds the lease, so
two schedulers never write one ``celerybeat-schedule``.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.beat import PersistentScheduler

from tracker.ops.leases import Lease

log = logging.getLogger(__name__)

LEASE_NAME = "beat"


def beat_lease(app: Celery) -> Lease:
    """Return the app's beat lease (one per process; a forked beat child inherits its parent's)."""
    runtime = app.tracker  # type: ignore[attr-defined]
    if runtime.beat_lease is None:
        runtime.beat_lease = Lease(runtime.settings, LEASE_NAME, ttl_s=runtime.settings.worker.beat_lease_s)
    return runtime.beat_lease  # type: ignore[no-any-return]


def stand_down_line(lease: Lease) -> str:
    """The one line a scheduler that stands down logs (and ``tracker run`` prints).

    A broker that could not be asked is not "another scheduler": the line says which it is.
    """
    if lease.error is not None:
        return f"the broker cannot be reached ({lease.error}): this scheduler queues nothing until it answers"
    return (
        f"another beat scheduler ({lease.holder()}) holds the beat lease of this broker: this one stands down "
        "and queues nothing (it takes over if that one stops)"
    )


class SingleBeatScheduler(PersistentScheduler):  # type: ignore[misc]
    """Celery's persistent scheduler, active only while this process holds the broker's beat lease."""

    def __init__(self, app: Celery, *args: Any, **kwargs: Any):
        self._lease = beat_lease(app)
        self._active = False
        self._standing_down = False
        kwargs["lazy"] = True  # the schedule file is opened once the lease is ours (see tick)
        super().__init__(app, *args, **kwargs)
        self.max_interval = min(self.max_interval, self._lease.ttl_s / 3)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        """Renew (or try to take) the lease, then run Celery's tick; return seconds to sleep."""
        if not self._lease.hold():
            if not self._standing_down:
                log.warning("beat: %s", stand_down_line(self._lease))
                self._standing_down = True
            return float(self.max_interval)
        if self._standing_down:
            log.warning("beat: took over the beat lease; this scheduler now queues the schedule")
            self._standing_down = False
        if not self._active:
            self.setup_schedule()
            self._active = True
        return float(min(super().tick(*args, **kwargs), self.max_interval))

    def sync(self) -> None:
        """Write the schedule file (only once it is open)."""
        if self._active:
            super().sync()

    def close(self) -> None:
        """Close the schedule file and release the lease, so a standby takes over at once."""
        try:
            if self._active:
                super().close()
        finally:
            self._lease.release()
