"""The Redis broker transport: kombu's own, whose channels fail like a lost connection once detached.

Found by ``tests/integration/test_worker_resilience.py`` (Redis restarted while late-acked tasks
run) on celery 5.7 / kombu 5.7. When the worker loses Redis, Celery ``collect()``s the connection,
which detaches the kombu transport from it (``transport.client = None``). Whatever then still
touches a channel of that connection (closing it restores unacknowledged messages; a task that
finishes afterwards acknowledges its message) builds a new Redis client from the detached
transport and raises ``AttributeError: 'NoneType' object has no attribute 'hostname'``. That is
not one of the transport's connection errors, so it escapes Celery's error handling and the
worker exits ("Unrecoverable error") instead of reconnecting.

``Channel`` raises ``redis.exceptions.ConnectionError`` there instead: exactly what the
connection is (lost), and an error Celery already handles (the ack or the restore is abandoned,
the consumer reconnects). Nothing is lost by abandoning them: Redis keeps unacknowledged messages
in its own ``unacked`` hash and kombu restores them after ``visibility_timeout`` (see
``workers.app``), and every tracker task is idempotent.

``install()`` (called when ``workers.app`` is imported) points kombu's ``redis`` and ``rediss``
transport aliases at ``Transport``, so every broker connection of the process uses it while URLs
stay ``redis://...`` (logs, banners, Flower and failover lists parse them back; kombu still
applies its ``rediss`` TLS defaults, which it keys on the scheme name).
"""

from __future__ import annotations

from typing import Any

import redis
from kombu import transport
from kombu.transport import redis as kombu_redis

#: kombu's import path of ``Transport``.
TRANSPORT = "workers.broker:Transport"
#: The URL schemes (kombu transport aliases) served by ``Transport``.
SCHEMES = ("redis", "rediss")


class Channel(kombu_redis.Channel):  # type: ignore[misc]
    """kombu's Redis channel; a channel whose connection was collected raises ConnectionError."""

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        transport = self.connection  # None once the channel is closed; its .client None once collected
        if transport is None or transport.client is None:
            raise redis.exceptions.ConnectionError("the broker connection was lost and closed")
        return super()._connparams(asynchronous=asynchronous)  # type: ignore[no-any-return]


class Transport(kombu_redis.Transport):  # type: ignore[misc]
    """kombu's Redis transport with ``Channel`` (see the module docstring)."""

    Channel = Channel


def install() -> None:
    """Make kombu's ``redis``/``rediss`` aliases resolve to ``Transport`` in this process (idempotent).

    kombu resolves a URL's scheme through ``kombu.transport.TRANSPORT_ALIASES`` whenever it
    opens a connection (Celery's reconnects and failover switches included).
    """
    for scheme in SCHEMES:
        transport.TRANSPORT_ALIASES[scheme] = TRANSPORT
