"""A real ``tracker worker`` (Celery, prefork) on Redis runs poll -> detect -> dispatch -> deliver
against the replay hub, delivering to a local webhook receiver: every detection exactly once per
matching subscription, also when every deliver task is redelivered; a Hub webhook call goes through
Celery too. Plus the Redis poll lock and the shared rate limits, both backends.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from tests.factories import qwen, subscription, write_watchlist
from tests.fakes import WebhookReceiver
from tracker.config import Settings
from tracker.errors import RateLimitedError
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import Delivery, Event
from tracker.watchlist import load_watchlist

pytestmark = [pytest.mark.slow, pytest.mark.redis]

WAIT_S = 90.0


def _wait(what: str, predicate: Callable[[], bool], *, log: Callable[[], str] = lambda: "") -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{log()}")


class Worker:
    """``tracker worker`` in a subprocess (its own session, so the whole group can be stopped),
    running ``concurrency`` pool processes."""

    def __init__(self, env: dict[str, str], log_path: Path, concurrency: int = 2):
        self.log_path = log_path
        self._log = open(log_path, "w")  # noqa: SIM115 (closed in stop)
        cmd = [
            sys.executable,
            "-m",
            "workers.cli",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            str(concurrency),
            # count() reads Celery's "Task ...[id] succeeded" lines, which the worker logs only at
            # DEBUG (above it they are raised to WARNING so a cycle logs one "poll cycle:" line)
            "--loglevel",
            "DEBUG",
        ]
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )

    def output(self) -> str:
        return self.log_path.read_text()

    def ready(self) -> bool:
        """True once the worker consumes (Celery's ``celery@<host> ready.`` line)."""
        return " ready." in self.output()

    def count(self, task: str) -> int:
        return sum(1 for line in self.output().splitlines() if f"Task {task}[" in line and "succeeded" in line)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()
        return self.output()


def _deliveries(store: Store) -> list[Delivery]:
    with store.transaction() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def _alert_events(store: Store) -> list[Event]:
    with store.transaction() as session:
        return list(session.scalars(select(Event).where(Event.type.in_(["release_detected", "variant_added"]))))


def test_worker_delivers_every_detection_exactly_once(
    tmp_path: Path, store: Store, backend_settings: Settings, redis_url: str
) -> None:
    from fastapi.testclient import TestClient

    from tests.integration.test_webhooks import hub_payload
    from tracker.api import create_app
    from workers.app import create_celery
    from workers.cli import celery_enqueue_factory
    from workers.schedule import DELIVER_QUEUE, DELIVER_TASK, DISPATCH_TASK, POLL_QUEUE, POLL_TASK

    with ReplayServer(now=datetime(2025, 4, 27, tzinfo=UTC)) as hub, WebhookReceiver() as receiver:
        watchlist_path = write_watchlist(
            tmp_path / "watchlist.toml",
            qwen(name="Qwen (Alibaba Cloud)"),
            subscriptions=[
                subscription(f"webhook:{receiver.url}", labs=["*"]),
                subscription(f"webhook:{receiver.url}?big", min_params_b=100),
            ],
        )
        settings = backend_settings.model_copy(
            update={
                "broker_url": redis_url,
                "hf_endpoint": hub.hf_endpoint,
                "arxiv_endpoint": hub.arxiv_endpoint,
                "watchlist": watchlist_path,
                "webhook_secret": SecretStr("hook-secret"),
            }
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "HF_"))}
        env.update(
            {
                "PYTHONUNBUFFERED": "1",
                "TRACKER_DATA_DIR": str(settings.data_dir),
                "TRACKER_DATABASE_URL": settings.resolved_database_url,
                "TRACKER_BROKER_URL": redis_url,
                "TRACKER_HF_ENDPOINT": hub.hf_endpoint,
                # these processes poll with the real clock while the hub serves 2025: lift the org-move
                # age rule, which would read every repo as years old (tracker.grouping.moves)
                "TRACKER_MOVE_MIN_AGE_DAYS": "36500",
                "TRACKER_ARXIV_ENDPOINT": hub.arxiv_endpoint,
                "TRACKER_ARXIV_MIN_INTERVAL": "0",
                "TRACKER_WATCHLIST": str(watchlist_path),
            }
        )
        producer = create_celery(settings, load_watchlist(watchlist_path))
        worker = Worker(env, tmp_path / "worker.log")
        out = ""
        try:
            producer.send_task(POLL_TASK, args=["hf", "qwen"], queue=POLL_QUEUE)  # baseline: no alerts
            _wait("the baseline poll", lambda: worker.count(POLL_TASK) >= 1, log=worker.output)
            assert _alert_events(store) == []

            hub.set_now(datetime(2025, 4, 29, 12, tzinfo=UTC))  # past the Qwen3 launch
            # the push path: a signed Hub webhook call -> the API queues a Celery poll -> the worker
            app = create_app(settings, store=store)
            app.state.enqueue_poll = celery_enqueue_factory(settings)
            with TestClient(app) as client:
                resp = client.post(
                    "/webhooks/huggingface",
                    json=hub_payload("Qwen/Qwen3-8B"),
                    headers={"X-Webhook-Secret": "hook-secret"},
                )
            assert resp.status_code == 202, resp.text

            def all_sent() -> bool:
                rows = _deliveries(store)
                return bool(rows) and all(r.status == "sent" for r in rows) and len(receiver.calls) >= len(rows)

            _wait("every delivery sent", all_sent, log=worker.output)
            rows = _deliveries(store)
            # redelivered tasks (a worker killed before acking): every deliver task twice more, concurrently
            for _ in range(2):
                for row in rows:
                    producer.send_task(DELIVER_TASK, args=[row.id], queue=DELIVER_QUEUE)
            producer.send_task(DISPATCH_TASK, queue=DELIVER_QUEUE)
            _wait("the redelivered tasks", lambda: worker.count(DELIVER_TASK) >= 3 * len(rows), log=worker.output)
        finally:
            out = worker.stop()

    events = _alert_events(store)
    assert events, f"no detection:\n{out}"
    wanted = {(e.id, "all") for e in events if "quantized" not in e.payload["artifact"]["kinds"]}
    wanted |= {
        (e.id, "big")
        for e in events
        if "quantized" not in e.payload["artifact"]["kinds"] and (e.payload["artifact"]["params_total_b"] or 0) >= 100
    }
    got = sorted((r.event_id, "big" if r.channel.endswith("?big") else "all") for r in rows)
    assert got == sorted(wanted)  # one delivery per (event, matching subscription)
    assert any(kind == "big" for _, kind in got)  # Qwen3-235B-A22B reached the >= 100B channel
    keys = receiver.keys()
    assert keys == {r.idempotency_key: 1 for r in rows}, "a delivery was received twice or never"
    assert "Traceback" not in out, out


# --------------------------------------------------------------------------- poll lock


def test_two_concurrent_polls_of_one_unit_run_once(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    import tracker.pipeline.cycle
    from tracker.pipeline import PollReport
    from workers.app import create_celery
    from workers.schedule import POLL_TASK

    settings = Settings(_env_file=None, data_dir=tmp_path, broker_url=redis_url)
    watchlist = load_watchlist()
    inside, release = threading.Event(), threading.Event()
    calls: list[tuple] = []

    async def slow_fetch(client, settings, lab, source, validators):  # type: ignore[no-untyped-def]
        # the unit's fetch, inside poll_once's poll lock: held until the test releases it
        calls.append(((source,), (lab.slug,)))
        inside.set()
        assert await asyncio.to_thread(release.wait, 30)
        return PollReport(source=source, lab=lab.slug)

    monkeypatch.setattr(tracker.pipeline.cycle, "fetch_unit", slow_fetch)
    worker_a, worker_b = create_celery(settings, watchlist), create_celery(settings, watchlist)
    results: dict[str, dict] = {}
    first = threading.Thread(
        target=lambda: results.update(a=worker_a.tasks[POLL_TASK].apply(args=["hf", "qwen"]).result)
    )
    first.start()
    assert inside.wait(30)
    results["b"] = worker_b.tasks[POLL_TASK].apply(args=["hf", "qwen"]).result  # overlapping beat
    release.set()
    first.join(30)

    assert results["b"] == {"source": "hf", "lab": "qwen", "skipped": "locked"}
    assert results["a"]["status"] == ["ok"]
    assert calls == [(("hf",), ("qwen",))]
    # released: the next poll of the unit runs
    assert worker_b.tasks[POLL_TASK].apply(args=["hf", "qwen"]).result["status"] == ["ok"]


def test_poll_lock_is_per_unit_and_released(tmp_path: Path, redis_url: str) -> None:
    from tracker.ops.locks import poll_lock

    settings = Settings(_env_file=None, data_dir=tmp_path, broker_url=redis_url)
    with poll_lock(settings, "hf", "qwen", ttl_s=60) as first:
        with (
            poll_lock(settings, "hf", "qwen", ttl_s=60) as second,
            poll_lock(settings, "arxiv", "qwen", ttl_s=60) as other_unit,
        ):
            assert (first, second, other_unit) == (True, False, True)
    with poll_lock(settings, "hf", "qwen", ttl_s=60) as again:
        assert again is True


def test_poll_lock_falls_back_to_a_file_lock_without_redis(tmp_path: Path) -> None:
    from tracker.ops.locks import poll_lock

    settings = Settings(_env_file=None, data_dir=tmp_path)
    with poll_lock(settings, "hf", "qwen", ttl_s=60) as first, poll_lock(settings, "hf", "qwen", ttl_s=60) as second:
        assert (first, second) == (True, False)
        assert (tmp_path / "locks" / "poll-hf-qwen.lock").exists()
    with poll_lock(settings, "hf", "qwen", ttl_s=60) as again:
        assert again  # released on exit (the cross-process case: tests/integration/test_poll_lock.py)


# --------------------------------------------------------------------------- shared rate limits


def test_hub_budget_is_shared_by_every_worker(tmp_path: Path, redis_url: str) -> None:
    from tracker.http.ratelimit import make_limiter

    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        broker_url=redis_url,
        hf_endpoint="http://hub.test",
        hub_requests_per_window=3,
        hub_window_s=300,
        http_max_retry_after=0,
    )

    async def scenario() -> RateLimitedError:
        a, b = make_limiter(settings), make_limiter(settings)  # two workers
        assert a is not None and b is not None
        try:
            await a.acquire("http://hub.test/api/models?author=Qwen")
            await b.acquire("http://hub.test/api/models?author=deepseek-ai")
            await a.acquire("http://hub.test/api/models?author=zai-org")
            await a.acquire("http://elsewhere.test/x")  # not the Hub: not counted
            with pytest.raises(RateLimitedError) as info:
                await b.acquire("http://hub.test/api/models?author=moonshotai")
            return info.value
        finally:
            await a.aclose()
            await b.aclose()

    error = asyncio.run(scenario())
    assert error.retry_after is not None and 0 < error.retry_after <= 300


def test_arxiv_requests_are_spaced_across_workers(tmp_path: Path, redis_url: str) -> None:
    from tracker.http.ratelimit import SharedLimiter

    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        broker_url=redis_url,
        arxiv_endpoint="http://hub.test/api/query",
        hf_endpoint="http://hub.test",
        arxiv_min_interval=3,
    )
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async def scenario() -> None:
        import redis.asyncio

        limiters = [SharedLimiter(settings, redis.asyncio.Redis.from_url(redis_url), sleep=record) for _ in range(2)]
        try:
            for n in range(4):
                await limiters[n % 2].acquire("http://hub.test/api/query?search_query=x")
            assert limiters[0].rule_for("http://hub.test/api/models") == "hf"
        finally:
            for limiter in limiters:
                await limiter.aclose()

    asyncio.run(scenario())
    # the first goes at once; each next one books the slot 3 s after the previous (no real sleeping here)
    assert len(waits) == 3
    assert [round(w) for w in waits] == [3, 6, 9]
