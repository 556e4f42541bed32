"""The test session's check for foreign clients on its Redis database (``tests.redis_guard``).

A client in another process attached to this worker's database stands for a Celery worker left
by an interrupted run: the check names its pid, and a session started meanwhile fails loudly.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis

from tests.parallel import xdist_worker
from tests.redis_guard import describe, foreign_clients, socket_owner

ROOT = Path(__file__).resolve().parents[2]
#: A process that connects to the database given as argv[1] and holds it until its stdin closes.
HOLDER = (
    "import sys, redis\n"
    "r = redis.Redis.from_url(sys.argv[1]); r.ping(); print('attached', flush=True); sys.stdin.read()\n"
)


@contextmanager
def attached(url: str) -> Iterator[subprocess.Popen[str]]:
    """A separate process connected to ``url`` for the duration of the block."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, "stray-consumer-marker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "attached"
        yield proc
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()


def _db(url: str) -> int:
    return int(urlsplit(url).path.strip("/"))


def _ids(checker: redis.Redis, db: int) -> set[int]:
    return {c.id for c in foreign_clients(checker, db)}


def _ids_once(url: str) -> set[int]:
    """``_ids`` through a connection closed again at once (a session started next must not see it)."""
    with redis.Redis.from_url(url) as checker:
        return _ids(checker, _db(url))


def test_a_client_of_another_process_on_the_database_is_found_with_its_pid(redis_url: str) -> None:
    db = _db(redis_url)
    checker = redis.Redis.from_url(redis_url)
    try:
        before = _ids(checker, db)  # connections earlier tests of this process may keep in a pool
        assert checker.client_id() not in before, "the checker's own connection is not foreign"
        with attached(redis_url) as proc:
            (found,) = [c for c in foreign_clients(checker, db) if c.id not in before]
            assert found.id not in _ids(checker, (db + 1) % 16), "only its own database"
        deadline = time.monotonic() + 5
        while found.id in _ids(checker, db) and time.monotonic() < deadline:
            time.sleep(0.05)  # the server drops a closed connection on its next event-loop turn
        assert found.id not in _ids(checker, db), "gone once the process has ended"
    finally:
        checker.close()
    assert found.pid == proc.pid
    assert found.command_line is not None and "stray-consumer-marker" in found.command_line
    message = describe([found], redis_url)
    assert f"kill {proc.pid}" in message and found.addr in message and redis_url in message


def test_a_connection_is_traced_to_the_process_holding_its_socket(tmp_path: Path) -> None:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "tcp").write_text(
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0100007F:D431 0100007F:18FB 01 00000000:00000000 00:00000000 00000000     0        0 4242 1\n"
    )
    (tmp_path / "77" / "fd").mkdir(parents=True)
    (tmp_path / "77" / "fd" / "3").symlink_to("socket:[4242]")
    assert socket_owner(0xD431, 0x18FB, tmp_path) == 77
    assert socket_owner(0xD431, 6379, tmp_path) is None, "same client port, another server"
    assert socket_owner(1, 0x18FB, tmp_path) is None


def _spare_database(url: str) -> str:
    """A database of ``url``'s server that no worker of this run uses and no client holds.

    The probe session must not share this session's database: connections this process keeps in
    its pools from earlier tests would be foreign clients to it.
    """
    index, count = xdist_worker()
    first = (_db(url) + index) % 16  # TRACKER_TEST_REDIS_URL's database: worker 0's
    ours = {(first - i) % 16 for i in range(count)}
    for db in ((first - k) % 16 for k in range(16)):
        candidate = urlsplit(url)._replace(path=f"/{db}").geturl()
        if db not in ours and not _ids_once(candidate):
            return candidate
    pytest.fail(f"no database of {url}'s server is free of clients for the probe session", pytrace=False)


def test_a_session_started_while_a_stray_client_holds_its_database_fails_naming_it(
    redis_url: str, tmp_path: Path
) -> None:
    spare = _spare_database(redis_url)
    probe = tmp_path / "test_probe.py"
    probe.write_text("def test_uses_redis(redis_url):\n    assert redis_url\n")
    env = {**os.environ, "TRACKER_TEST_REDIS_URL": spare, "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_XDIST_WORKER_COUNT", None)
    command = [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "tests.conftest", "-p", "no:cacheprovider"]
    command += ["--rootdir", str(tmp_path), str(probe)]

    def session() -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    before = _ids_once(spare)
    with attached(spare) as proc:
        failed = session()
    deadline = time.monotonic() + 5
    while _ids_once(spare) - before and time.monotonic() < deadline:
        time.sleep(0.05)  # the server drops the closed connection on its next event-loop turn
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "1 other client(s) are attached" in failed.stdout, failed.stdout
    assert f"pid {proc.pid}: " in failed.stdout and f"kill {proc.pid}`" in failed.stdout, failed.stdout
    passed = session()
    assert passed.returncode == 0, passed.stdout + passed.stderr
