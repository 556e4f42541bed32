"""Run the replay hub over real sockets (uvicorn in a background thread, or blocking).

Typical use in tests::

    with ReplayServer(datetime(2025, 4, 28, tzinfo=timezone.utc)) as hub:
        settings = Settings(hf_endpoint=hub.hf_endpoint, arxiv_endpoint=hub.arxiv_endpoint)
        ...
        hub.advance(6 * 3600)

Manual use::

    python -m tracker.replay.server --now 2025-04-28T00:00:00Z --port 8765
"""

from __future__ import annotations

import argparse
import threading
import time
from datetime import datetime
from typing import Any

import uvicorn

from tracker.replay.clock import ReplayClock, parse_time
from tracker.replay.corpus import Corpus
from tracker.replay.hub import create_app
from tracker.replay.state import HubState

__all__ = ["ReplayServer", "main", "serve"]


class ReplayServer:
    """The replay hub on ``127.0.0.1`` and an OS-assigned free port, in a background thread.

    Use as a context manager: ``__enter__`` starts uvicorn and returns once the port accepts
    connections; ``__exit__`` stops it and joins the thread. ``start()``/``stop()`` do the same.

    Attributes: ``url`` (base, no trailing slash), ``hf_endpoint`` (== ``url``),
    ``arxiv_endpoint`` (``url + "/api/query"``), ``clock`` (:class:`ReplayClock`), ``app``,
    ``state`` (:class:`HubState`). The corpus defaults to the packaged one (loaded once).
    """

    def __init__(
        self, now: datetime | str, *, corpus: Corpus | None = None, latency_s: float = 0.0, synthetic_orgs: int = 0
    ) -> None:
        self.corpus = corpus if corpus is not None else Corpus.load()
        self.clock = ReplayClock(parse_time(now))
        self.app = create_app(self.corpus, self.clock, latency_s=latency_s, synthetic_orgs=synthetic_orgs)
        self.state: HubState = self.app.state.replay
        self.url = ""
        self.hf_endpoint = ""
        self.arxiv_endpoint = ""
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle
    def start(self, timeout: float = 10.0) -> ReplayServer:
        """Bind a free port, start serving, wait until connections are accepted."""
        if self._thread is not None:
            return self
        # Let uvicorn bind port 0 itself: handing it a pre-bound socket loses TCP_NODELAY on
        # accepted connections (a 40 ms Nagle/delayed-ACK stall on every small answer).
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_keep_alive=30,
            backlog=2048,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="replay-hub", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("replay hub failed to start")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("replay hub did not start in time")
            time.sleep(0.005)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.hf_endpoint = self.url
        self.arxiv_endpoint = self.url + "/api/query"
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and join the thread (idempotent)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._server = self._thread = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- control (direct, thread-safe; same effect as the /_replay endpoints)
    def set_now(self, dt: datetime | str) -> datetime:
        """Set the replay time (aware UTC; naive taken as UTC)."""
        return self.clock.set(dt)

    def advance(self, seconds: float) -> datetime:
        """Move the replay time forward by ``seconds``; returns the new time."""
        return self.clock.advance(seconds)

    def now(self) -> datetime:
        """Current replay time."""
        return self.clock.now()

    def add_fault(self, **fault: Any) -> None:
        """Queue a fault: ``path``, ``status`` (503), ``match`` ({param: value}), ``headers``,
        ``body``, ``times`` (1; None = until cleared). See :meth:`HubState.add_fault`."""
        self.state.add_fault(**fault)

    def clear_faults(self) -> None:
        """Drop all pending faults."""
        self.state.clear_faults()

    def stats(self) -> dict[str, Any]:
        """Request counts: ``{"total", "paths", "requests", "faults_served"}`` (see HubState.stats)."""
        return self.state.stats()

    def reset_stats(self) -> None:
        """Zero the request counters."""
        self.state.reset_stats()


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    now: datetime | str = "2025-04-28T00:00:00Z",
    *,
    latency_s: float = 0.0,
    synthetic_orgs: int = 0,
    synthetic_repos: int = 3,
) -> None:
    """Serve the replay hub in the foreground until interrupted."""
    clock = ReplayClock(parse_time(now))
    app = create_app(
        Corpus.load(), clock, latency_s=latency_s, synthetic_orgs=synthetic_orgs, synthetic_repos=synthetic_repos
    )
    uvicorn.run(app, host=host, port=port, log_level="info", lifespan="off")


def main(argv: list[str] | None = None) -> None:
    """``python -m tracker.replay.server --now ISO --port N``: print endpoints, then serve."""
    parser = argparse.ArgumentParser(description="Replay hub: the corpus as the HF Hub and arXiv APIs.")
    parser.add_argument("--now", default="2025-04-28T00:00:00Z", help="initial replay time (ISO-8601, UTC)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to delay each API answer")
    parser.add_argument("--synthetic-orgs", type=int, default=0)
    parser.add_argument("--synthetic-repos", type=int, default=3, help="repos listed by each synthetic org")
    args = parser.parse_args(argv)
    base = f"http://{args.host}:{args.port}"
    print(f"TRACKER_HF_ENDPOINT={base}")
    print(f"TRACKER_ARXIV_ENDPOINT={base}/api/query")
    print(f'clock: {base}/_replay/clock (GET; POST {{"now": ISO}} or {{"advance_s": N}})', flush=True)
    serve(
        args.host,
        args.port,
        args.now,
        latency_s=args.latency,
        synthetic_orgs=args.synthetic_orgs,
        synthetic_repos=args.synthetic_repos,
    )


if __name__ == "__main__":
    main()
