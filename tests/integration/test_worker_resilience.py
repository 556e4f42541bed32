"""Real ``tracker worker`` / ``tracker beat`` processes on Redis, under the failures a deployment meets:

- the worker is SIGKILLed while Slack sends are in flight (the local Slack server answers slowly,
  so messages are posted but not yet recorded); after a restart every delivery is sent and no
  Slack message exists twice (counted by the delivery id in each message's metadata);
- two ``tracker beat`` processes at once: the beat lease lets one schedule, the other stands
  down, and each delivery reaches its channel once;
- two workers given one unit twice at once (what a doubled schedule or a webhook racing the
  schedule queues): the Redis poll lock lets one poll it, the other skips;
- a private ``redis-server`` is restarted twice, seconds apart, while a Slack send is in flight
  (``--save "" --appendonly no``: queued tasks are lost with it): the worker stays up, reconnects,
  consumes again, and every delivery is sent once.

The xdist worker's own database of the shared Redis server (tests 1-3, ``redis_url``) and a private
server on a free port (test 4).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import qwen, subscription, write_watchlist
from tests.fakes import WebhookReceiver
from tests.integration.test_worker_pipeline import Worker
from tests.slack_server import SlackServer
from tracker.config import Settings
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import Artifact, Delivery, Event
from tracker.watchlist import load_watchlist

pytestmark = [pytest.mark.slow, pytest.mark.redis]

WAIT_S = 60.0
BEFORE_LAUNCH = datetime(2025, 4, 27, tzinfo=UTC)
AFTER_LAUNCH = datetime(2025, 4, 29, 12, tzinfo=UTC)  # Qwen3 went public on 2025-04-28
TOKEN = "xoxb-test-token"


def _wait(
    what: str,
    predicate: Callable[[], bool],
    *,
    log: Callable[[], str] = lambda: "",
    every: Callable[[], None] | None = None,
    every_s: float = 3.0,
) -> None:
    """Poll ``predicate`` for up to WAIT_S; call ``every`` (e.g. beat's sweep) each ``every_s``."""
    deadline = time.monotonic() + WAIT_S
    last = time.monotonic()
    while time.monotonic() < deadline:
        if predicate():
            return
        if every is not None and time.monotonic() - last >= every_s:
            every()
            last = time.monotonic()
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{log()}")


class SlowSlack(SlackServer):
    """The local Slack server; ``chat.postMessage`` answers ``delay_s`` late (after storing the message)."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.delay_s = 0.0
        self.inflight = 0

    def _reply(self, req: Any, status: int, body: Any, headers: dict[str, str]) -> None:  # type: ignore[override]
        slow = "/chat.postMessage" in req.path and self.delay_s > 0
        if slow:
            with self._lock:
                self.inflight += 1
            time.sleep(self.delay_s)
        try:
            SlackServer._reply(req, status, body, headers)
        except OSError:  # the worker was killed while waiting: the message is posted all the same
            pass
        finally:
            if slow:
                with self._lock:
                    self.inflight -= 1

    def delivery_ids(self) -> Counter[str]:
        """Messages posted per delivery id (from ``metadata.event_payload.delivery_id``)."""
        with self._lock:
            msgs = [m for ch in self.channels.values() for m in ch.messages]
        return Counter(str(((m.get("metadata") or {}).get("event_payload") or {}).get("delivery_id")) for m in msgs)


def _deliveries(store: Store) -> list[Delivery]:
    with store.transaction() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def _watchlist(tmp_path: Path, channel: str) -> Path:
    return write_watchlist(
        tmp_path / "watchlist.toml",
        qwen(name="Qwen (Alibaba Cloud)"),
        subscriptions=[subscription(channel, labs=["*"])],
    )


def _env(settings: Settings, hub: ReplayServer, watchlist: Path, broker: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "HF_"))}
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "TRACKER_DATA_DIR": str(settings.data_dir),
            "TRACKER_DATABASE_URL": settings.resolved_database_url,
            "TRACKER_BROKER_URL": broker,
            "TRACKER_HF_ENDPOINT": hub.hf_endpoint,
            # these processes poll with the real clock while the hub serves 2025: lift the org-move
            # age rule, which would read every repo as years old (tracker.grouping.moves)
            "TRACKER_MOVE_MIN_AGE_DAYS": "36500",
            "TRACKER_ARXIV_ENDPOINT": hub.arxiv_endpoint,
            "TRACKER_ARXIV_MIN_INTERVAL": "0",
            "TRACKER_WATCHLIST": str(watchlist),
            "TRACKER_SLACK_MIN_INTERVAL_S": "0",
            **extra,
        }
    )
    return env


def _producer(settings: Settings, watchlist: Path, broker: str) -> Any:
    from workers.app import create_celery

    return create_celery(settings.model_copy(update={"broker_url": broker}), load_watchlist(watchlist))


def _all_sent(store: Store) -> bool:
    rows = _deliveries(store)
    return bool(rows) and all(r.status == "sent" for r in rows)


# --------------------------------------------------------------------------- SIGKILL mid-delivery


def test_worker_killed_mid_delivery_delivers_everything_once_after_restart(
    tmp_path: Path, store: Store, backend_settings: Settings, redis_url: str
) -> None:
    from workers.schedule import POLL_QUEUE, POLL_TASK, SWEEP_TASK

    with ReplayServer(now=BEFORE_LAUNCH) as hub, SlowSlack(token=TOKEN, channels={"C0MODELS": "models"}) as slack:
        watchlist = _watchlist(tmp_path, "slack:#models")
        env = _env(
            backend_settings,
            hub,
            watchlist,
            redis_url,
            TRACKER_SLACK_BOT_TOKEN=TOKEN,
            TRACKER_SLACK_API_URL=slack.api_url,
            TRACKER_SLACK_CHANNEL="#models",
            TRACKER_DELIVERY_STALE_AFTER_S="2",
        )
        producer = _producer(backend_settings, watchlist, redis_url)
        first = Worker(env, tmp_path / "worker1.log")
        second: Worker | None = None
        try:
            producer.send_task(POLL_TASK, args=["hf", "qwen"], queue=POLL_QUEUE)  # baseline
            _wait("the baseline poll", lambda: first.count(POLL_TASK) >= 1, log=first.output)
            slack.delay_s = 1.5
            hub.set_now(AFTER_LAUNCH)
            producer.send_task(POLL_TASK, args=["hf", "qwen"], queue=POLL_QUEUE)
            _wait(
                "a slow Slack send in flight",
                lambda: slack.inflight > 0,
                log=lambda: f"{[c.method for c in slack.calls]}\n{first.output()}",
            )
            os.killpg(first.proc.pid, signal.SIGKILL)  # the worker and its pool children, mid-send
            first.proc.wait(timeout=10)
            in_flight = [r.id for r in _deliveries(store) if r.status == "sending"]
            assert in_flight, "the kill did not catch a send in flight"
            posted_before_restart = slack.delivery_ids()
            assert any(str(i) in posted_before_restart for i in in_flight)  # posted, outcome not recorded
            slack.delay_s = 0.0

            second = Worker(env, tmp_path / "worker2.log")
            # beat's periodic safety sweep re-queues pending and stale (`sending`) deliveries
            _wait(
                "every delivery sent after the restart",
                lambda: _all_sent(store),
                log=second.output,
                every=lambda: producer.send_task(SWEEP_TASK, queue="deliver"),
            )
        finally:
            first.stop()
            out = second.stop() if second is not None else ""

        rows = _deliveries(store)
        posted = slack.delivery_ids()
        parents = slack.top_level("C0MODELS")
    with store.transaction() as session:
        releases = {
            e.release_id for e in session.scalars(select(Event).where(Event.id.in_([r.event_id for r in rows])))
        }
    assert len(rows) >= 3
    # Every delivery reached Slack; none was posted twice, also those caught in flight by the kill
    # (resolved from the message metadata, not resent); and each release has one parent message:
    # variants wait while their parent's send is in flight or its outcome unknown.
    assert parents and releases
    assert len(parents) == len(releases), f"{len(parents)} parent messages for {len(releases)} releases"
    assert [k for k, n in posted.items() if n > 1] == [], f"a delivery was posted twice: {posted}"
    caught = {str(i) for i in in_flight} & set(posted_before_restart)
    assert caught and all(posted[k] == 1 for k in caught)  # posted before the kill, not resent after it
    assert "Traceback" not in out, out


# --------------------------------------------------------------------------- two beats


def test_two_beat_processes_cause_no_duplicate_polls_or_alerts(
    tmp_path: Path, store: Store, backend_settings: Settings, redis_url: str
) -> None:
    with ReplayServer(now=BEFORE_LAUNCH, latency_s=0.3) as hub, WebhookReceiver() as receiver:
        watchlist = _watchlist(tmp_path, f"webhook:{receiver.url}")
        env = _env(backend_settings, hub, watchlist, redis_url, TRACKER_POLL_INTERVAL="2")
        worker = Worker({**env, "TRACKER_WORKER_CONCURRENCY": "4"}, tmp_path / "worker.log")
        beats: list[tuple[subprocess.Popen[str], Any]] = []
        try:
            for n in range(2):  # each beat on its own host: own data dir (beat schedule file)
                data_dir = tmp_path / f"beat{n}"
                log = open(tmp_path / f"beat{n}.log", "w")  # noqa: SIM115 (closed below)
                proc = subprocess.Popen(
                    [sys.executable, "-m", "workers.cli", "beat", "--loglevel", "INFO"],
                    env={**env, "TRACKER_DATA_DIR": str(data_dir)},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    text=True,
                    start_new_session=True,
                )
                beats.append((proc, log))
            from workers.schedule import POLL_TASK

            _wait("baseline polls from the leading beat", lambda: worker.count(POLL_TASK) >= 2, log=worker.output)
            hub.set_now(AFTER_LAUNCH)
            _wait(
                "every delivery sent",
                lambda: _all_sent(store) and len(receiver.calls) >= len(_deliveries(store)),
                log=worker.output,
            )
            time.sleep(3)  # more doubled schedules after the launch: still nothing new may be sent
        finally:
            for proc, log in beats:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        os.killpg(proc.pid, signal.SIGKILL)
                        proc.wait(timeout=10)
                log.close()
            out = worker.stop()
        beat_logs = [(tmp_path / f"beat{n}.log").read_text() for n in range(2)]

    rows = _deliveries(store)
    # One beat per broker (the beat lease): exactly one schedules the unit, the other stands down
    # with its one line and queues nothing, so no schedule is doubled in the first place.
    senders = [text for text in beat_logs if "Sending due task poll:hf:qwen" in text]
    standbys = [text for text in beat_logs if "holds the beat lease of this broker: this one stands down" in text]
    assert len(senders) == 1 and len(standbys) == 1, beat_logs
    assert "Sending due task" not in standbys[0], standbys[0]
    keys = receiver.keys()
    assert keys == {r.idempotency_key: 1 for r in rows}, "an alert was received twice or never"
    assert "Traceback" not in out, out


# --------------------------------------------------------------------------- one unit, two workers


def test_one_unit_queued_twice_to_two_workers_is_polled_once(
    tmp_path: Path, store: Store, backend_settings: Settings, redis_url: str
) -> None:
    from workers.schedule import POLL_QUEUE, POLL_TASK

    # Each worker runs one task at a time and, acknowledging late with a prefetch of one, holds
    # one message: the second copy of the unit goes to the other worker while the first polls.
    # The hub answers each request 1 s late, so the two polls would overlap without the lock.
    with ReplayServer(now=AFTER_LAUNCH, latency_s=1.0) as hub:
        watchlist = write_watchlist(tmp_path / "watchlist.toml", qwen(name="Qwen (Alibaba Cloud)"))
        env = _env(backend_settings, hub, watchlist, redis_url)
        producer = _producer(backend_settings, watchlist, redis_url)
        workers = [Worker(env, tmp_path / f"worker{n}.log", concurrency=1) for n in range(2)]
        try:
            _wait("both workers consuming", lambda: all(w.ready() for w in workers), log=workers[0].output)
            for _ in range(2):
                producer.send_task(POLL_TASK, args=["hf", "qwen"], queue=POLL_QUEUE)
            _wait(
                "both copies of the unit handled",
                lambda: sum(w.count(POLL_TASK) for w in workers) >= 2,
                log=lambda: "\n".join(w.output() for w in workers),
            )
            listings = hub.stats()["requests"]
        finally:
            outs = [w.stop() for w in workers]

    handled = [sum(f"Task {POLL_TASK}[" in line and "succeeded" in line for line in o.splitlines()) for o in outs]
    assert handled == [1, 1], "each worker took one copy"
    skipped = [o for o in outs if "skipped: another poll of this unit is running" in o]
    assert len(skipped) == 1, outs
    assert "'skipped': 'locked'" in skipped[0] and "baseline recorded" not in skipped[0]
    (polled,) = [o for o in outs if o is not skipped[0]]
    assert "poll hf/qwen: ok" in polled and "baseline recorded" in polled, polled
    assert {k: n for k, n in listings.items() if "author=" in k and n > 1} == {}, f"a listing fetched twice: {listings}"
    with store.transaction() as session:
        names = session.scalars(select(Artifact.name)).all()
    assert names and len(names) == len(set(names))
    assert all("Traceback" not in o for o in outs), outs


# --------------------------------------------------------------------------- Redis restart


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    """A throwaway ``redis-server`` (no persistence) on a free loopback port; ``restart`` keeps the port."""

    def __init__(self, workdir: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is required for the Redis-restart test", pytrace=False)
        self.binary, self.workdir, self.port = binary, workdir, _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def restart(self, down_s: float) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()


def test_worker_survives_redis_restarts_mid_delivery_without_losing_or_repeating_work(
    tmp_path: Path, store: Store, backend_settings: Settings
) -> None:
    """Redis dies twice, seconds apart, while a Slack send is in flight and deliver tasks are queued.

    The private server keeps nothing on disk, so every queued task dies with it. The worker process
    must stay up, reconnect each time and consume again; the database (not the queue) is the record
    of what is owed, so beat's next poll and sweep re-drive whatever the restarts dropped, and
    every delivery reaches Slack exactly once, with one parent message per release.
    """
    from workers.schedule import POLL_QUEUE, POLL_TASK, SWEEP_TASK

    server = PrivateRedis(tmp_path)
    server.start()
    with ReplayServer(now=BEFORE_LAUNCH) as hub, SlowSlack(token=TOKEN, channels={"C0MODELS": "models"}) as slack:
        watchlist = _watchlist(tmp_path, "slack:#models")
        env = _env(
            backend_settings,
            hub,
            watchlist,
            server.url,
            TRACKER_SLACK_BOT_TOKEN=TOKEN,
            TRACKER_SLACK_API_URL=slack.api_url,
            TRACKER_SLACK_CHANNEL="#models",
            TRACKER_DELIVERY_STALE_AFTER_S="2",
        )
        worker = Worker(env, tmp_path / "worker.log")
        try:
            producer = _producer(backend_settings, watchlist, server.url)
            producer.send_task(POLL_TASK, args=["hf", "qwen"], queue=POLL_QUEUE)
            _wait("the baseline poll", lambda: worker.count(POLL_TASK) >= 1, log=worker.output)
            slack.delay_s = 1.0
            hub.set_now(AFTER_LAUNCH)
            producer.send_task(POLL_TASK, args=["hf", "qwen"], queue=POLL_QUEUE)
            _wait("a slow Slack send in flight", lambda: slack.inflight > 0, log=worker.output)
            server.restart(down_s=2.0)  # queued deliver tasks are gone; the send in flight completes
            time.sleep(1.0)
            server.restart(down_s=0.5)  # again, while the worker is still re-establishing itself
            slack.delay_s = 0.0
            assert worker.proc.poll() is None, f"the worker exited after the restarts\n{worker.output()}"
            polls_before = worker.count(POLL_TASK)
            producer = _producer(backend_settings, watchlist, server.url)  # beat reconnects the same way
            producer.send_task(POLL_TASK, args=["hf", "qwen"], queue=POLL_QUEUE)
            _wait(
                "the worker consuming again after the restarts",
                lambda: worker.count(POLL_TASK) > polls_before,
                log=worker.output,
            )
            # beat's periodic sweep re-queues pending deliveries and takes over stale `sending` ones
            _wait(
                "every delivery sent",
                lambda: _all_sent(store),
                log=worker.output,
                every=lambda: producer.send_task(SWEEP_TASK, queue="deliver"),
            )
            assert worker.proc.poll() is None, worker.output()
        finally:
            out = worker.stop()
            server.stop()
        rows = _deliveries(store)
        posted = slack.delivery_ids()
        parents = slack.top_level("C0MODELS")
    with store.transaction() as session:
        releases = {
            e.release_id for e in session.scalars(select(Event).where(Event.id.in_([r.event_id for r in rows])))
        }
    assert len(rows) >= 3, out
    assert all(r.status == "sent" for r in rows), "a delivery was lost"
    assert set(posted) <= {str(r.id) for r in rows}  # variants of one poll are folded into one post
    assert [k for k, n in posted.items() if n > 1] == [], f"a delivery was posted twice: {posted}"
    assert len(parents) == len(releases), f"{len(parents)} parent messages for {len(releases)} releases"
    assert "Unrecoverable error" not in out, out
