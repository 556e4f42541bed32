"""The tasks' shared Celery mechanics (workers.base.TrackerTask) as declared by workers.tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.config import Settings
from tracker.errors import TrackerError
from tracker.watchlist import parse_watchlist
from workers.base import TrackerTask
from workers.schedule import (
    CADENCE_TASK,
    DELIVER_TASK,
    DIGEST_TASK,
    DISPATCH_TASK,
    POLL_TASK,
    PRUNE_TASK,
    PULSE_TASK,
    SWEEP_TASK,
)

WATCHLIST = parse_watchlist(
    """
[[labs]]
slug = "qwen"
name = "Qwen"
country = "CN"
hf_orgs = ["Qwen"]
""",
    source="test.toml",
)
TASKS = (POLL_TASK, DISPATCH_TASK, SWEEP_TASK, DELIVER_TASK, PRUNE_TASK, DIGEST_TASK, PULSE_TASK, CADENCE_TASK)


@pytest.fixture
def app(tmp_path: Path):  # type: ignore[no-untyped-def]
    from workers.app import create_celery

    return create_celery(Settings(_env_file=None, data_dir=tmp_path), WATCHLIST)


def test_every_task_is_a_late_acked_resultless_tracker_task(app) -> None:  # type: ignore[no-untyped-def]
    for name in TASKS:
        task = app.tasks[name]
        assert isinstance(task, TrackerTask), name
        assert task.acks_late is True and task.ignore_result is True, name
        # a killed pool process: the task is re-sent (bounded by max_retries), not dropped
        assert task.retry_on_worker_lost and task.reject_on_worker_lost and task.max_retries == 3, name
        expected = (240, 300) if name == POLL_TASK else (120, 180)
        assert (task.soft_time_limit, task.time_limit) == expected, name


def test_a_transient_error_in_a_short_task_is_retried_then_fails(app, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import workers.tasks

    calls: list[int] = []

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        raise TrackerError("database busy")

    monkeypatch.setattr(workers.tasks, "dispatch_pending", failing)

    result = app.tasks[DISPATCH_TASK].apply()

    assert result.state == "FAILURE"
    assert len(calls) == 1 + 3


def test_the_delivery_send_is_never_retried_by_celery(app, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A delivery's retry is scheduled by its row (backoff, sweep), never by a Celery retry too."""
    import workers.tasks

    calls: list[int] = []

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        raise TrackerError("transient")

    monkeypatch.setattr(workers.tasks, "deliver", failing)

    result = app.tasks[DELIVER_TASK].apply(args=[1])

    assert result.state == "FAILURE"
    assert calls == [1]
