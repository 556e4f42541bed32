"""Redis eviction: a broker Redis that could evict queued tasks is refused (or warned about) at start-up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.factories import qwen, watchlist_toml
from tests.faults.conftest import (
    Output,
    PrivateRedis,
    assert_no_traceback,
    run_tracker,
    start_tracker,
    tracker_env,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    watchlist = tmp_path / "watchlist.toml"
    watchlist.write_text(watchlist_toml(qwen()))
    return tracker_env(
        tmp_path / "data",
        TRACKER_BROKER_URL=url,
        TRACKER_WATCHLIST=str(watchlist),
        TRACKER_HF_ENDPOINT="http://127.0.0.1:9",
        TRACKER_ARXIV_ENDPOINT="http://127.0.0.1:9/api/query",
    )


@pytest.mark.parametrize("command", ["worker", "run"])
def test_allkeys_policy_with_a_memory_limit_is_refused(
    tmp_path: Path, private_redis: Callable[..., PrivateRedis], command: str
) -> None:
    server = private_redis("--maxmemory", "50mb", "--maxmemory-policy", "allkeys-lru")

    proc = run_tracker(_env(tmp_path, server.url), command, timeout=60)

    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "maxmemory-policy is allkeys-lru" in proc.stderr and "noeviction" in proc.stderr, proc.stderr
    assert server.client.dbsize() == 0  # nothing was queued into a Redis that could drop it
    assert_no_traceback(proc.stdout, proc.stderr)


def test_hidden_config_starts_with_a_loud_warning(tmp_path: Path, private_redis: Callable[..., PrivateRedis]) -> None:
    server = private_redis("--rename-command", "CONFIG", "")
    output = Output(start_tracker(_env(tmp_path, server.url), "worker", "--pool", "solo"))
    assert wait_for(output.has("ready."), timeout=120), output.text  # it started, after the warning
    out = output.stop()
    assert "cannot read maxmemory-policy" in out and "noeviction" in out, out
    assert "tracker worker" in out, out  # it started
    assert_no_traceback(out)
