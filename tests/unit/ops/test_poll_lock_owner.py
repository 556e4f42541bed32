"""Redis poll locks: renewed while held, expiring after a kill, taken over by the same task re-run."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis

from tracker.config import Settings
from tracker.ops.locks import KEY_PREFIX, lock_owner, poll_lock

pytestmark = pytest.mark.redis


def _settings(tmp_path: Path, url: str) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, broker_url=url)


def test_a_held_lock_is_renewed_past_its_ttl_and_released_after(tmp_path: Path, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    key = KEY_PREFIX + "poll:hf:qwen"
    with poll_lock(_settings(tmp_path, redis_url), "hf", "qwen", ttl_s=1.5) as held:
        assert held
        time.sleep(3.0)  # twice the TTL: only renewal keeps it
        assert client.exists(key)
    assert not client.exists(key)


def test_the_same_task_takes_over_its_stale_lock_and_others_still_skip(tmp_path: Path, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    key = KEY_PREFIX + "poll:hf:qwen"
    client.set(key, b"task:abc", px=60_000)  # left by a run of task abc whose process was killed
    settings = _settings(tmp_path, redis_url)

    token = lock_owner.set("task:other")
    try:
        with poll_lock(settings, "hf", "qwen", ttl_s=60) as held:
            assert not held  # another task: the unit is busy
    finally:
        lock_owner.reset(token)
    token = lock_owner.set("task:abc")
    try:
        with poll_lock(settings, "hf", "qwen", ttl_s=60) as held:
            assert held and client.get(key) == b"task:abc"
    finally:
        lock_owner.reset(token)
    assert not client.exists(key)
