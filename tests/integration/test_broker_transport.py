"""workers.broker: a channel of a lost (collected) Redis connection fails with a connection error.

kombu's stock channel raises AttributeError there, which Celery does not treat as a connection
error: the worker exits instead of reconnecting (the Redis-restart test in
test_worker_resilience.py found it). Real Redis (TRACKER_TEST_REDIS_URL).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from kombu import Connection

from tracker.config import Settings
from workers.broker import TRANSPORT, Transport

pytestmark = pytest.mark.redis


def test_a_collected_connection_s_channel_raises_a_connection_error(redis_url: str) -> None:
    conn = Connection(redis_url, transport=TRANSPORT)
    try:
        channel = conn.default_channel  # connects
        channel.client.ping()
        errors = conn.connection_errors
        conn.collect()  # what Celery does when it loses the broker: detaches the transport
        with pytest.raises(redis.exceptions.ConnectionError) as info:
            channel.qos.restore_unacked()  # what closing the channel or acking a message reaches
        assert isinstance(info.value, errors), "Celery would not handle this error"
    finally:
        conn.release()


def test_the_app_s_redis_connections_use_it_and_keep_their_urls(tmp_path: Path, redis_url: str) -> None:
    from workers.app import create_celery

    def connection(url: str | None) -> Connection:
        settings = Settings(_env_file=None, data_dir=tmp_path, broker_url=url)
        return create_celery(settings).connection_for_read()

    redis_conn = connection(redis_url)
    assert type(redis_conn.transport) is Transport
    assert redis_conn.as_uri().startswith("redis://")  # logs, banners and Flower parse it back
    assert type(connection("rediss://127.0.0.1:6380/0").transport) is Transport
    assert type(connection("redis://127.0.0.1:1/0;redis://127.0.0.1:2/0").transport) is Transport  # failover
    assert type(connection(None).transport).__module__ == "kombu.transport.sqlalchemy"  # the embedded default
