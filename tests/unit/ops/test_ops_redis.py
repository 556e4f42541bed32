"""tracker.ops.redis: the one Redis client factory (which brokers are Redis, timeouts, sharing)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tracker.config import Settings
from tracker.ops.redis import (
    CONNECT_TIMEOUT_S,
    HEALTH_CHECK_INTERVAL_S,
    SOCKET_TIMEOUT_S,
    new_async_client,
    new_client,
    shared_client,
    uses_redis,
)


@pytest.mark.parametrize(
    "broker_url, expected",
    [
        (None, False),  # the embedded sqla+sqlite broker
        ("sqla+postgresql://db/tracker", False),
        ("redis://localhost:6379/0", True),
        ("rediss://redis.example:6380/0", True),
        ("unix:///run/redis.sock", True),
    ],
)
def test_uses_redis_follows_the_broker_url(tmp_path: Path, broker_url: str | None, expected: bool) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, broker_url=broker_url)
    assert uses_redis(settings) is expected


def test_shared_client_is_one_per_url_with_the_standard_timeouts() -> None:
    url = "redis://127.0.0.1:1/0"  # never connected: building a client does not connect
    client = shared_client(url)
    assert shared_client(url) is client
    kwargs = client.connection_pool.connection_kwargs
    assert (kwargs["socket_timeout"], kwargs["socket_connect_timeout"]) == (SOCKET_TIMEOUT_S, CONNECT_TIMEOUT_S)
    assert kwargs["health_check_interval"] == HEALTH_CHECK_INTERVAL_S


def test_new_clients_are_unshared_and_take_their_own_timeouts() -> None:
    url = "redis://127.0.0.1:1/0"
    probe = new_client(url, timeout_s=2.0, connect_timeout_s=2.0)
    try:
        assert probe is not new_client(url)
        assert probe.connection_pool.connection_kwargs["socket_timeout"] == 2.0
    finally:
        probe.close()

    async def build() -> dict:
        client = new_async_client(url)
        try:
            return dict(client.connection_pool.connection_kwargs)
        finally:
            await client.aclose()

    kwargs = asyncio.run(build())
    assert (kwargs["socket_timeout"], kwargs["socket_connect_timeout"]) == (SOCKET_TIMEOUT_S, CONNECT_TIMEOUT_S)
