"""The API served by a real uvicorn server in a thread, for tests that drive it with a browser."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from tracker.api import create_app
from tracker.config import Settings
from tracker.store import Store


@contextmanager
def served_api(settings: Settings, store: Store, *, start_timeout_s: float = 20.0) -> Iterator[str]:
    """Serve ``create_app(settings, store=store)`` on a free loopback port; yield its base URL.

    Stops the server and disposes of ``store`` on exit. Fails the test when the server does not
    start within ``start_timeout_s`` seconds.
    """
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, store=store), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        store.dispose()
