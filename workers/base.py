"""``TrackerTask``: the Celery mechanics every tracker task shares, declared once.

Every task is acknowledged late: its message is acknowledged once the task has finished, so a
worker stopped or cut off from the broker mid-task leaves it to be redelivered (safe: every task is
idempotent). A task whose pool process died (SIGKILL, the OOM killer) is retried, not dropped:
``retry_on_worker_lost`` (Celery 5.7) re-sends it with the same id after ``WORKER_LOST_RETRY_S``,
counted against ``MAX_RETRIES`` so a task that kills its process every time cannot loop (plain
``reject_on_worker_lost`` would requeue it forever; it stays on as Celery's fallback when the retry
cannot be sent). The re-run takes over its own poll lock (``tracker.ops.locks.lock_owner``) and the
loss is recorded on the unit (``tracker status``). Tasks
keep no result (there is no result backend; the returned summary only shows in logs). Each kind
has a soft/hard time limit, in seconds, enforced by the prefork pool only: a poll gets
``POLL_LIMITS`` (240 s / 300 s), every other task ``SHORT_LIMITS`` (120 s / 180 s).

Retries: only a transient ``TrackerError`` (``permanent`` False) is retried, at most
``MAX_RETRIES`` times, after the error's ``retry_after`` or an exponential backoff (10 s, 20 s,
40 s, capped at 300 s). A ``ConfigError`` or any other permanent error fails the task at once;
the beat schedule runs the unit again at its next interval anyway. A task declared with
``retry_transient=False`` (the delivery send, whose delivery row schedules its own retry) fails
at once on any error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from billiard.exceptions import WorkerLostError
from celery import Task, shared_task

from tracker.errors import TrackerError

log = logging.getLogger(__name__)

MAX_RETRIES = 3
BACKOFF_BASE_S = 10.0
BACKOFF_MAX_S = 300.0
POLL_SOFT_TIME_LIMIT_S = 240
POLL_TIME_LIMIT_S = 300
DELIVER_SOFT_TIME_LIMIT_S = 120
DELIVER_TIME_LIMIT_S = 180
#: Seconds before a task whose worker process died runs again.
WORKER_LOST_RETRY_S = 2


@dataclass(frozen=True)
class TimeLimits:
    """A task kind's time limits, in seconds: ``soft_s`` raises SoftTimeLimitExceeded, ``hard_s`` kills."""

    soft_s: int
    hard_s: int


#: A poll of one (source, lab) unit: many HTTP requests, each bounded by the HTTP funnel's deadlines.
POLL_LIMITS = TimeLimits(POLL_SOFT_TIME_LIMIT_S, POLL_TIME_LIMIT_S)
#: Dispatch, sweep, one delivery, a digest, the pulse, the cadence check, the broker prune.
SHORT_LIMITS = TimeLimits(DELIVER_SOFT_TIME_LIMIT_S, DELIVER_TIME_LIMIT_S)


#: Called as ``hook(task, args)`` when a task's pool process died (set by ``workers.tasks``).
WORKER_LOST_HOOKS: list[Callable[[Task, Any], None]] = []


def on_worker_lost(task: Task, args: Any) -> None:
    """Run the worker-lost hooks; a failing hook is logged, never raised into Celery's pool."""
    for hook in WORKER_LOST_HOOKS:
        try:
            hook(task, args)
        except Exception:  # the re-run still happens; only its record is missing
            log.exception("recording the lost run of %s failed", task.name)


def retry_countdown(exc: TrackerError, retries: int) -> float:
    """Return seconds to wait before retry number ``retries + 1``: the error's hint or a backoff.

    Args:
        exc (TrackerError): the failure; its ``retry_after`` (seconds) wins when set.
        retries (int): retries already made (0 before the first retry).

    Returns:
        float: seconds, at most ``BACKOFF_MAX_S``.
    """
    if exc.retry_after is not None:
        return min(float(exc.retry_after), BACKOFF_MAX_S)
    return min(BACKOFF_BASE_S * 2**retries, BACKOFF_MAX_S)


class TrackerTask(Task):  # type: ignore[misc]
    """Base class of tracker's Celery tasks: late ack, no result, bounded retries of transient errors.

    Attributes:
        retry_transient (bool): retry a transient ``TrackerError`` (True) or fail at once (False).
    """

    acks_late = True
    retry_on_worker_lost = True
    reject_on_worker_lost = True
    default_retry_delay = WORKER_LOST_RETRY_S  # only the worker-lost retry uses it: ours pass a countdown
    ignore_result = True
    max_retries = MAX_RETRIES
    soft_time_limit = SHORT_LIMITS.soft_s
    time_limit = SHORT_LIMITS.hard_s
    retry_transient = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self.retry_transient:
            return super().__call__(*args, **kwargs)
        try:
            return super().__call__(*args, **kwargs)
        except TrackerError as exc:
            self.retry_or_raise(exc)

    def on_retry(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        """Runs in the worker's main process when a pool process died mid-task: record the lost poll."""
        if isinstance(exc, WorkerLostError):
            log.warning("%s[%s] was killed mid-run (%s); running it again", self.name, task_id, exc)
            on_worker_lost(self, args)

    def retry_or_raise(self, exc: TrackerError) -> NoReturn:
        """Schedule a retry for a transient error (at most ``MAX_RETRIES``), re-raise a permanent one.

        Raises:
            celery.exceptions.Retry: the retry is scheduled after ``retry_countdown`` seconds.
            TrackerError: ``exc`` itself, when permanent or after the last retry.
        """
        if exc.permanent or self.request.retries >= MAX_RETRIES:
            log.error("%s failed (%s): %s", self.name, "permanent" if exc.permanent else "gave up", exc)
            raise exc
        countdown = retry_countdown(exc, self.request.retries)
        log.warning(
            "%s failed, retry %d/%d in %.0f s: %s", self.name, self.request.retries + 1, MAX_RETRIES, countdown, exc
        )
        raise self.retry(exc=exc, countdown=countdown, max_retries=MAX_RETRIES)


def tracker_task(
    name: str, *, limits: TimeLimits = SHORT_LIMITS, retry_transient: bool = True
) -> Callable[[Callable[..., Any]], TrackerTask]:
    """Declare a bound ``TrackerTask`` named ``name`` (a shared task: it registers on every app).

    Args:
        name (str): the stable task name queued messages and the beat schedule refer to.
        limits (TimeLimits, optional): soft/hard time limits in seconds. Defaults to ``SHORT_LIMITS``.
        retry_transient (bool, optional): retry a transient ``TrackerError``. Defaults to True.

    Returns:
        callable: a decorator turning ``body(self, *args)`` into the task.
    """
    return shared_task(
        name=name,
        base=TrackerTask,
        bind=True,
        soft_time_limit=limits.soft_s,
        time_limit=limits.hard_s,
        retry_transient=retry_transient,
    )  # type: ignore[no-any-return]
