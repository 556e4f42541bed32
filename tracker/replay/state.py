"""The replay hub's mutable state: the clock and corpus it answers from, injected faults, request counts.

Every API endpoint of the hub (``tracker.replay.hf_api``, ``tracker.replay.arxiv_api``,
``tracker.replay.extra_sources``) first passes its request through :meth:`HubState.admit`, which
counts it, applies the configured latency and answers a pending fault instead of the real answer.
The control endpoints (``/_replay/...``) never go through it: they are never delayed, faulted
or counted.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tracker.replay.clock import ReplayClock
from tracker.replay.corpus import Corpus

__all__ = ["Fault", "HubState"]


@dataclass
class Fault:
    """An answer served instead of the real one to matching requests.

    Attributes:
        path (str): exact request path, or a prefix when it ends with ``*``.
        match (dict[str, str]): query parameters the request must have (values as strings).
        status (int): HTTP status to answer.
        headers (dict[str, str]): response headers.
        body (str | bytes): response body.
        remaining (int | None): answers left; None = until cleared.
    """

    path: str
    match: dict[str, str]
    status: int
    headers: dict[str, str]
    body: str | bytes
    remaining: int | None  # None = until cleared

    def applies(self, path: str, params: dict[str, str]) -> bool:
        """True when the fault has answers left and matches ``path`` and ``params``."""
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.path.endswith("*"):
            if not path.startswith(self.path[:-1]):
                return False
        elif path != self.path:
            return False
        return all(params.get(k) == str(v) for k, v in self.match.items())


@dataclass
class HubState:
    """Mutable state of one hub app (faults, stats), shared with :class:`ReplayServer`.

    Attributes:
        corpus (Corpus): what the hub serves.
        clock (ReplayClock): the hub's "now".
        latency_s (float): seconds every Hub/arXiv API answer is delayed by.
        synthetic_orgs (int): how many ``synth-NNNN`` orgs the Hub listing serves.
        synthetic_repos (int): how many repos each synthetic org lists.
    """

    corpus: Corpus
    clock: ReplayClock
    latency_s: float = 0.0
    synthetic_orgs: int = 0
    synthetic_repos: int = 3
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _faults: list[Fault] = field(default_factory=list, repr=False)
    _paths: dict[str, int] = field(default_factory=dict, repr=False)
    _requests: dict[str, int] = field(default_factory=dict, repr=False)
    _faults_served: int = 0

    async def admit(self, request: Request, *, delay: bool = True) -> Response | None:
        """Count an API request, delay it by ``latency_s`` (when ``delay``) and answer a pending fault.

        Returns:
            Response | None: the fault's answer, or None to let the endpoint answer.
        """
        params = dict(request.query_params)
        path = request.url.path
        self.count_request(path, params)
        if delay and self.latency_s > 0:
            await asyncio.sleep(self.latency_s)
        fault = self.take_fault(path, params)
        if fault is not None:
            return Response(fault.body, status_code=fault.status, headers=fault.headers)
        return None

    # -- faults
    def add_fault(
        self,
        path: str,
        status: int = 503,
        match: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        body: Any = "",
        times: int | None = 1,
    ) -> None:
        """Serve ``status``/``headers``/``body`` instead of the real answer for the next ``times``
        requests to ``path`` (exact, or a prefix when it ends with ``*``) whose query parameters
        include ``match``. ``times=None`` keeps the fault until cleared. A non-str body is sent
        as JSON."""
        if not isinstance(body, (str, bytes)):
            body = json.dumps(body)
            headers = {"Content-Type": "application/json", **(headers or {})}
        with self._lock:
            self._faults.append(
                Fault(
                    path,
                    {k: str(v) for k, v in (match or {}).items()},
                    int(status),
                    dict(headers or {}),
                    body,
                    None if times is None else int(times),
                )
            )

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()

    def take_fault(self, path: str, params: dict[str, str]) -> Fault | None:
        """Return the first pending fault for this request (using up one of its answers), or None."""
        with self._lock:
            for fault in self._faults:
                if fault.applies(path, params):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    self._faults_served += 1
                    return fault
            self._faults = [f for f in self._faults if f.remaining is None or f.remaining > 0]
        return None

    # -- stats
    def count_request(self, path: str, params: dict[str, str]) -> None:
        """Count one API request under its path and its ``requests`` key (see :meth:`stats`)."""
        key = path
        if path == "/api/models" and "author" in params:
            key = f"/api/models?author={params['author']}"
        elif path == "/api/models" and "filter" in params:
            key = f"/api/models?filter={params['filter']}"
        elif path == "/api/query":
            if "search_query" in params:
                key = f"/api/query?search_query={params['search_query']}"
            elif "id_list" in params:
                key = f"/api/query?id_list={params['id_list']}"
        with self._lock:
            self._paths[path] = self._paths.get(path, 0) + 1
            self._requests[key] = self._requests.get(key, 0) + 1

    def stats(self) -> dict[str, Any]:
        """Request counts since start or the last reset::

            {"total": 7,
             "paths": {"/api/models": 5, "/api/query": 2},
             "requests": {"/api/models?author=Qwen": 3, "/api/models?author=THUDM": 2,
                          "/api/query?search_query=au:\\"MiniMax\\"": 2},
             "faults_served": 1}

        ``requests`` keys are the path plus ``author`` or ``filter`` (listings) or ``search_query``/``id_list``
        (arXiv); single-model requests are keyed by their path. Fault answers are counted too.
        """
        with self._lock:
            return {
                "total": sum(self._paths.values()),
                "paths": dict(self._paths),
                "requests": dict(self._requests),
                "faults_served": self._faults_served,
            }

    def reset_stats(self) -> None:
        """Zero all counters."""
        with self._lock:
            self._paths.clear()
            self._requests.clear()
            self._faults_served = 0
