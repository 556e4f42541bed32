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
Email digests (``digest:daily``, ``digest:weekly``) run at ``TRACKER_DIGEST_HOUR`` in
``TRACKER_DIGEST_TIMEZONE`` (``digest_entries``).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from celery.schedules import crontab

from tracker.config import Settings
from tracker.pipeline import poll_units_for
from tracker.watchlist import Watchlist

POLL_TASK = "tracker.poll.source"
DISPATCH_TASK = "tracker.outbox.dispatch"
SWEEP_TASK = "tracker.outbox.sweep"
DELIVER_TASK = "tracker.deliver.one"
PRUNE_TASK = "tracker.broker.prune"
DIGEST_TASK = "tracker.digest.send"
CADENCE_TASK = "tracker.cadence.check"  # quiet/burst alerts (+ pulse catch-up)
PULSE_TASK = "tracker.pulse.send"  # the weekly pulse
ADOPTION_TASK = "tracker.adoption.cycle"  # derivatives and all-time downloads, within a budget
RADAR_TASK = "tracker.radar.cycle"  # emerging labs from the Hub's global listings, within a budget
REPORT_TASK = "tracker.report.send"  # the monthly report email (once per month per subscription)
CADENCE_CHECK_INTERVAL_S = 3600.0
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
    return max(ALERT_SWEEP_MIN_S, min(ALERT_SWEEP_MAX_S, settings.polling.interval / 5))


def uses_sqla_broker(settings: Settings) -> bool:
    """True when the broker is the kombu SQLAlchemy transport (``sqla+`` / ``sqlalchemy+`` URL)."""
    return settings.resolved_broker_url.startswith(("sqla+", "sqlalchemy+"))


class zoned_crontab(crontab):
    """A crontab evaluated in its own IANA time zone (the app's stays UTC).

    Celery evaluates a crontab in ``app.timezone``; the digests must go out at
    ``TRACKER_DIGEST_HOUR`` local time in ``TRACKER_DIGEST_TIMEZONE``, across DST changes, while
    every other entry stays in UTC. Picklable (beat persists its schedule).
    """

    def __init__(
        self,
        minute: Any = "*",
        hour: Any = "*",
        day_of_week: Any = "*",
        day_of_month: Any = "*",
        month_of_year: Any = "*",
        *,
        tz_name: str = "UTC",
        **kwargs: Any,
    ):
        super().__init__(minute, hour, day_of_week, day_of_month, month_of_year, **kwargs)
        self.tz_name = tz_name
        self._orig_kwargs = {**kwargs, "tz_name": tz_name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        self.tz_name = state.pop("tz_name", "UTC")
        super().__setstate__(state)
        self._orig_kwargs = {**state, "tz_name": self.tz_name}

    @property  # type: ignore[override]
    def tz(self) -> tzinfo:
        """The entry's own zone (overrides the app's)."""
        return ZoneInfo(self.tz_name)

    def __repr__(self) -> str:
        return (
            f"<zoned_crontab: {self._orig_minute} {self._orig_hour} {self._orig_day_of_week} (m/h/dow) {self.tz_name}>"
        )


def digest_entries(settings: Settings) -> dict[str, dict[str, Any]]:
    """Return the beat entries of the email digests: ``digest:daily`` every day and
    ``digest:weekly`` on Mondays, at ``settings.digest.hour``:00 in ``settings.digest.timezone``.

    Each runs ``tracker.digest.send(period)`` on the ``digest`` queue; the task covers the last
    period completed by then and is idempotent (keyed deliveries), so a late or repeated run
    sends nothing twice. ``expires`` drops a run still queued 6 hours later (the next day's
    run, or a manual ``tracker digest --send``, catches up).
    """
    tz, hour = settings.digest.timezone, settings.digest.hour
    return {
        "digest:daily": {
            "task": DIGEST_TASK,
            "schedule": zoned_crontab(minute=0, hour=hour, tz_name=tz),
            "args": ["daily"],
            "options": {"queue": DIGEST_QUEUE, "expires": 6 * 3600},
        },
        "digest:weekly": {
            "task": DIGEST_TASK,
            "schedule": zoned_crontab(minute=0, hour=hour, day_of_week="mon", tz_name=tz),
            "args": ["weekly"],
            "options": {"queue": DIGEST_QUEUE, "expires": 6 * 3600},
        },
    }


def cadence_entries(settings: Settings) -> dict[str, dict[str, Any]]:
    """Return the beat entries of the cadence alerts and the weekly pulse.

    ``cadence:check`` runs every ``CADENCE_CHECK_INTERVAL_S`` seconds (quiet/burst alerts, and a
    catch-up of a missed pulse); ``pulse:weekly`` at ``TRACKER_PULSE_HOUR``:00 on
    ``TRACKER_PULSE_WEEKDAY`` (0 = Monday) in ``TRACKER_PULSE_TIMEZONE``. Both are idempotent
    (event dedupe keys, ``pulse:<channel>:<week>`` deliveries); no pulse entry when disabled.
    """
    entries: dict[str, dict[str, Any]] = {
        "cadence:check": {
            "task": CADENCE_TASK,
            "schedule": timedelta(seconds=CADENCE_CHECK_INTERVAL_S),
            "args": [],
            "options": {"queue": DELIVER_QUEUE, "expires": CADENCE_CHECK_INTERVAL_S},
        },
    }
    if settings.pulse.enabled:
        dow = (settings.pulse.weekday + 1) % 7  # crontab counts from Sunday = 0
        entries["pulse:weekly"] = {
            "task": PULSE_TASK,
            "args": [],
            "schedule": zoned_crontab(
                minute=0, hour=settings.pulse.hour, day_of_week=dow, tz_name=settings.pulse.timezone
            ),
            "options": {"queue": DIGEST_QUEUE, "expires": 6 * 3600},
        }
    return entries


def adoption_entries(settings: Settings) -> dict[str, dict[str, Any]]:
    """Return the beat entries of adoption: ``adoption:cycle`` every ``TRACKER_ADOPTION_INTERVAL``
    seconds and ``report:monthly`` daily at the digest hour (it sends the previous month's report
    from ``TRACKER_REPORT_DAY`` on; deliveries keyed per subscription and month, so once a month).

    Both run on the ``digest`` queue, never on the poll queue: adoption never delays release polling.
    """
    if not settings.adoption.enabled:
        return {}
    interval = settings.adoption.interval
    return {
        "adoption:cycle": {
            "task": ADOPTION_TASK,
            "schedule": timedelta(seconds=interval),
            "args": [],
            "options": {"queue": DIGEST_QUEUE, "expires": interval},
        },
        "report:monthly": {
            "task": REPORT_TASK,
            "schedule": zoned_crontab(minute=30, hour=settings.digest.hour, tz_name=settings.digest.timezone),
            "args": [],
            "options": {"queue": DIGEST_QUEUE, "expires": 6 * 3600},
        },
    }


def radar_entries(settings: Settings) -> dict[str, dict[str, Any]]:
    """Return the radar's beat entry: ``radar:cycle`` every ``TRACKER_RADAR_INTERVAL`` seconds.

    On the ``digest`` queue, never the poll queue: the global watch never delays release polling.
    """
    if not settings.radar.enabled:
        return {}
    interval = settings.radar.interval
    return {
        "radar:cycle": {
            "task": RADAR_TASK,
            "schedule": timedelta(seconds=interval),
            "args": [],
            "options": {"queue": DIGEST_QUEUE, "expires": interval},
        }
    }


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
    for source, lab in poll_units_for(watchlist, enabled=settings.polling.enabled_sources):
        name = entry_name(str(source), lab.slug)
        interval_s = float(lab.poll_interval or settings.polling.interval)
        period_s = interval_s + jitter_offset(name, interval_s)
        schedule[name] = {
            "task": POLL_TASK,
            "schedule": timedelta(seconds=period_s),
            "args": [str(source), lab.slug],
            "options": {"queue": POLL_QUEUE, "expires": interval_s},
        }
    sweep_s = alert_sweep_interval(settings)
    schedule["alerts:sweep"] = {
        "task": SWEEP_TASK,
        "schedule": timedelta(seconds=sweep_s),
        "args": [],
        "options": {"queue": DELIVER_QUEUE, "expires": sweep_s},
    }
    schedule.update(digest_entries(settings))
    schedule.update(cadence_entries(settings))
    schedule.update(adoption_entries(settings))
    schedule.update(radar_entries(settings))
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
