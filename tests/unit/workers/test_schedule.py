"""Beat schedule from the watchlist (workers.schedule) and the Celery app's configuration."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.factories import lab, make_watchlist, qwen
from tracker.config import Settings
from tracker.errors import ConfigError, DeliveryError, TrackerError
from workers.schedule import (
    JITTER_FRACTION,
    POLL_TASK,
    PRUNE_TASK,
    SWEEP_TASK,
    alert_sweep_interval,
    build_schedule,
    count_poll_entries,
    entry_name,
    jitter_offset,
)

WATCHLIST = make_watchlist(
    qwen(arxiv_queries=['au:"Qwen Team"']),
    lab("deepseek", name="DeepSeek", hf_orgs=["deepseek-ai"], poll_interval=60),
    lab("papers-only", name="Papers only", country="US", arxiv_queries=['au:"Someone"']),
    lab("nothing", name="Nothing to poll", country="FR"),
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, poll_interval=300)


def test_build_schedule_has_one_entry_per_source_and_lab(settings: Settings) -> None:
    schedule = build_schedule(settings, WATCHLIST)

    polls = {name: e for name, e in schedule.items() if e["task"] == POLL_TASK}
    assert set(polls) == {"poll:hf:qwen", "poll:arxiv:qwen", "poll:hf:deepseek", "poll:arxiv:papers-only"}
    assert polls["poll:hf:qwen"]["args"] == ["hf", "qwen"]
    assert polls["poll:arxiv:papers-only"]["args"] == ["arxiv", "papers-only"]
    assert all(e["options"]["queue"] == "poll" for e in polls.values())
    assert count_poll_entries(schedule) == 4


def test_build_schedule_intervals_use_lab_override_plus_bounded_jitter(settings: Settings) -> None:
    schedule = build_schedule(settings, WATCHLIST)

    for name, base in (("poll:hf:qwen", 300), ("poll:arxiv:qwen", 300), ("poll:hf:deepseek", 60)):
        period = schedule[name]["schedule"]
        assert isinstance(period, timedelta)
        assert base <= period.total_seconds() < base * (1 + JITTER_FRACTION)
        assert period.total_seconds() == pytest.approx(base + jitter_offset(name, base))
        assert schedule[name]["options"]["expires"] == base


def test_jitter_is_deterministic_and_differs_between_entries() -> None:
    a = jitter_offset(entry_name("hf", "qwen"), 300)
    assert a == jitter_offset("poll:hf:qwen", 300)
    offsets = {jitter_offset(entry_name(s, lab), 300) for s in ("hf", "arxiv") for lab in ("a", "b", "c", "d")}
    assert len(offsets) == 8
    assert all(0 <= o < 30 for o in offsets)


def test_build_schedule_is_identical_across_calls(settings: Settings) -> None:
    assert build_schedule(settings, WATCHLIST) == build_schedule(settings, WATCHLIST)


@pytest.mark.parametrize(("poll_interval", "expected"), [(3, 10), (100, 20), (300, 60), (3600, 60)])
def test_alert_sweep_interval_is_a_fifth_of_poll_interval_clamped(
    tmp_path: Path, poll_interval: float, expected: float
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, poll_interval=poll_interval)
    assert alert_sweep_interval(settings) == expected
    sweep = build_schedule(settings, WATCHLIST)["alerts:sweep"]
    assert sweep["task"] == SWEEP_TASK
    assert sweep["schedule"] == timedelta(seconds=expected)
    assert sweep["options"]["queue"] == "deliver"


def test_broker_prune_is_scheduled_only_for_the_sqlalchemy_broker(settings: Settings) -> None:
    assert build_schedule(settings, WATCHLIST)["broker:prune"]["task"] == PRUNE_TASK
    redis = settings.model_copy(update={"broker_url": "redis://127.0.0.1:6379/0"})
    assert "broker:prune" not in build_schedule(redis, WATCHLIST)


def test_create_celery_configures_broker_queues_routes_and_beat(settings: Settings) -> None:
    from workers.app import create_celery

    app = create_celery(settings, WATCHLIST)
    conf = app.conf

    assert conf.broker_url == f"sqla+sqlite:///{settings.data_dir / 'broker.db'}"
    assert conf.task_ignore_result is True and not conf.result_backend
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late is True and conf.worker_prefetch_multiplier == 1
    assert conf.broker_connection_retry_on_startup is True
    assert {q.name for q in conf.task_queues} == {"poll", "deliver", "digest"}
    assert conf.task_routes[POLL_TASK] == {"queue": "poll"}
    assert conf.task_routes[SWEEP_TASK] == {"queue": "deliver"}
    for queue in conf.task_queues:  # distinct bindings: a message must reach one queue only
        assert (queue.exchange.name, queue.routing_key) == (queue.name, queue.name)
    for task, queue in ((POLL_TASK, "poll"), (SWEEP_TASK, "deliver"), (PRUNE_TASK, "deliver")):
        route = app.amqp.router.route({}, task, args=(), kwargs={})
        assert (route["queue"].name, route["queue"].routing_key) == (queue, queue)
    assert conf.beat_schedule_filename == str(settings.data_dir / "celerybeat-schedule")
    assert conf.beat_schedule == build_schedule(settings, WATCHLIST)
    assert app.tracker.settings is settings and app.tracker.watchlist is WATCHLIST
    assert {POLL_TASK, SWEEP_TASK, PRUNE_TASK} <= set(app.tasks.keys())
    poll = app.tasks[POLL_TASK]
    assert (poll.soft_time_limit, poll.time_limit) == (240, 300)


def test_create_celery_uses_redis_when_configured(settings: Settings) -> None:
    from workers.app import create_celery, describe_broker

    redis = settings.model_copy(update={"broker_url": "redis://:s3cret@127.0.0.1:6379/0"})
    app = create_celery(redis, WATCHLIST)
    assert app.conf.broker_url == "redis://:s3cret@127.0.0.1:6379/0"
    assert "s3cret" not in describe_broker(redis)
    assert "broker:prune" not in app.conf.beat_schedule


def test_retry_countdown_prefers_retry_after_and_backs_off() -> None:
    from workers.base import retry_countdown

    assert retry_countdown(TrackerError("x", retry_after=7), 0) == 7
    assert [retry_countdown(TrackerError("x"), n) for n in range(3)] == [10, 20, 40]
    assert retry_countdown(TrackerError("x"), 10) == 300
    assert retry_countdown(DeliveryError("x", retry_after=10_000), 0) == 300


# --------------------------------------------------------------------------- task retries


@pytest.mark.parametrize(
    ("error", "calls", "state"),
    [
        (TrackerError("hub down"), 1 + 3, "FAILURE"),  # transient: retried MAX_RETRIES times
        (TrackerError("gone", permanent=True), 1, "FAILURE"),
        (ConfigError("unknown lab 'x'"), 1, "FAILURE"),
    ],
)
def test_poll_task_retries_only_transient_errors_and_never_forever(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, error: TrackerError, calls: int, state: str
) -> None:
    import tracker.pipeline
    from workers.app import create_celery

    seen: list[tuple[list[str], list[str]]] = []

    def failing_poll_once(settings, store, watchlist, *, sources, labs):  # type: ignore[no-untyped-def]
        seen.append((sources, labs))
        raise error

    monkeypatch.setattr(tracker.pipeline, "poll_once", failing_poll_once)
    app = create_celery(settings, WATCHLIST)

    result = app.tasks[POLL_TASK].apply(args=["hf", "qwen"])

    assert result.state == state
    assert len(seen) == calls
    assert seen[0] == (["hf"], ["qwen"])


def test_poll_task_returns_a_json_summary(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import tracker.pipeline
    from tracker.pipeline import PollReport
    from workers.app import create_celery

    monkeypatch.setattr(
        tracker.pipeline, "poll_once", lambda *a, **k: [PollReport(source="hf", lab="qwen", new_artifacts=3)]
    )
    app = create_celery(settings, WATCHLIST)

    result = app.tasks[POLL_TASK].apply(args=["hf", "qwen"])

    assert result.state == "SUCCESS"
    assert json.loads(json.dumps(result.result)) == {
        "source": "hf",
        "lab": "qwen",
        "status": ["ok"],
        "new_artifacts": 3,
        "detections": 0,
        "alerts": None,
    }


def test_a_killed_polls_lock_expires_within_one_poll_interval() -> None:
    """The Redis poll lock is renewed while the poll runs (tests/unit/ops), so its TTL can be short."""
    from tracker.config import Settings
    from tracker.ops.locks import POLL_LOCK_TTL_S

    assert Settings(_env_file=None).polling.interval > POLL_LOCK_TTL_S
