"""Fault-suite helpers: real ``tracker`` processes, a private Redis, local misbehaving servers.

Every test here runs the commands a user runs (``tracker poll``, ``worker``, ``run``, ``beat``) as
subprocesses of this tree (``PYTHONPATH`` = the repository), and reads what they wrote back
from the database, the logs and ``tracker status``. Nothing reads ``/work/shared``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tracker_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment of a tracker subprocess: this tree's code, a private data dir, no inherited TRACKER_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "HF_"))}
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "PYTHONUNBUFFERED": "1",
            "COLUMNS": "200",
            "TRACKER_DATA_DIR": str(data_dir),
            "TRACKER_ARXIV_MIN_INTERVAL": "0",
            **extra,
        }
    )
    return env


def tracker_cmd(*args: str) -> list[str]:
    """The ``tracker`` console script of this tree, as a subprocess command."""
    return [sys.executable, "-m", "workers.cli", *args]


def run_tracker(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run one ``tracker`` command to its end; stdout and stderr are kept apart."""
    return subprocess.run(tracker_cmd(*args), env=env, capture_output=True, text=True, timeout=timeout, cwd=REPO)


def start_tracker(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """Start a long-running ``tracker`` command in its own process group (output merged)."""
    return subprocess.Popen(
        tracker_cmd(*args),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        cwd=REPO,
    )


def stop(proc: subprocess.Popen[str], *, timeout: float = 20) -> str:
    """SIGTERM (warm shutdown), then SIGKILL of the whole group after ``timeout``; return its output."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=10)
        out += "\n[test] killed after SIGTERM timeout"
    return out


def wait_for(condition: Callable[[], object], *, timeout: float, interval: float = 0.3) -> object:
    """Poll ``condition()`` until it is truthy (returned) or ``timeout`` seconds pass (returns the last value)."""
    deadline = time.monotonic() + timeout
    value = condition()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = condition()
    return value


class PrivateRedis:
    """A redis-server of the test's own on a free port (so its CONFIG can be changed freely)."""

    def __init__(self, directory: Path, *config: str):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: the fault suite starts private Redis servers", pytrace=False)
        args = [binary, "--port", str(self.port), "--save", "", "--appendonly", "no", "--dir", str(directory)]
        self.proc = subprocess.Popen([*args, *config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        if not wait_for(lambda: _pings(client), timeout=10):
            self.close()
            pytest.fail(f"private redis-server on port {self.port} did not start", pytrace=False)
        self.client = client

    def close(self) -> None:
        """Stop the server (the test's data is gone with it)."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[Callable[..., PrivateRedis]]:
    """Factory: ``private_redis("--maxmemory-policy", "allkeys-lru")`` starts a configured server."""
    started: list[PrivateRedis] = []

    def start(*config: str) -> PrivateRedis:
        server = PrivateRedis(tmp_path, *config)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def assert_no_traceback(*outputs: str) -> None:
    """No process output may show a Python traceback."""
    for out in outputs:
        assert "Traceback" not in out, out


class Output:
    """Collects a process's merged output in a background thread (so the test can read it live)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc, self.text = proc, ""
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.text += line

    def has(self, needle: str) -> Callable[[], bool]:
        return lambda: needle in self.text

    def stop(self) -> str:
        rest = stop(self.proc)
        self._thread.join(timeout=5)
        return self.text + rest
