"""``HttpClient``: the client every source's requests go through; ``make_client`` builds it.

``make_client(settings)`` builds an ``HttpClient`` around a single ``httpx.AsyncClient`` and wires
the collaborators that each own one concern:

* user agent and timeouts (seconds) from ``Settings``; redirects followed, at most ``MAX_REDIRECTS``
  hops (a moved feed must not silently become "no entries");
* ``body``: bodies are read by streaming and decompressed there, capped at
  ``settings.http.max_body_bytes`` of *decompressed* bytes, so a small gzip bomb fails instead of
  eating memory;
* ``retry``: transient failures (network errors, timeouts, 408, 429, 500, 502, 503, 504) are retried
  with tenacity: exponential backoff with jitter, or the server's ``Retry-After`` when it sends one,
  up to ``settings.http.max_retries`` attempts. A ``Retry-After`` longer than
  ``settings.http.max_retry_after`` is not slept in-process: ``RateLimitedError`` is raised at once
  so that the next poll retries (``failures`` maps statuses and transport errors);
* ``throttle``: requests to the arXiv host are spaced ``settings.arxiv.min_interval`` seconds apart
  (arXiv's politeness rule), across concurrent coroutines; an attempt that could not connect never
  reached arXiv, so it gives its slot back and the next request in line goes at once;
* ``ratelimit``: limits shared by every process: with Redis (arXiv spacing, the Hub budget), else a
  file in the data directory; the Hub's ``RateLimit`` headers block the next Hub request of every
  process until its window resets;
* the Hub token (``HF_TOKEN``) is sent only to the host of ``settings.hub.endpoint`` (``hosts``);
* ``counting``: besides the client-wide totals, ``HttpClient.counting()`` counts the requests made by
  one logical caller (a context variable), so that concurrent polls sharing one client each report
  their own ``requests``/``not_modified``;
* ``conditional``: inside ``HttpClient.conditional(stored)``, ``get(url, conditional=True)`` sends
  ``If-None-Match``/``If-Modified-Since`` from the stored validators of that URL and records the
  validators to keep (fresh ones on 2xx, the stored ones on 304);
* ``guards``: ``HttpClient.guarding(check)`` runs ``check(url)`` before every hop (redirects
  included) of the requests made inside the block: the feeds source uses it to refuse private
  addresses;
* GitHub-style rate limits: a 403/429 with ``X-RateLimit-Remaining: 0`` becomes
  ``RateLimitedError`` with ``retry_after`` from ``X-RateLimit-Reset`` (epoch seconds);
* ``unreachable``: hosts are given up for the client's lifetime (one poll cycle): when a request has
  used all its attempts and *every* attempt failed before any HTTP response arrived on the same
  host (``httpx.ConnectError``: connection refused, DNS failure, no route, TLS handshake; or
  ``httpx.ConnectTimeout``), that host (``host:port``) is marked unreachable. Later requests to it
  on this client -- and the next attempt of requests already retrying for it -- fail at once with
  a ``SourceHTTPError`` naming the original error, without sending anything (and without waiting
  for the arXiv throttle). Each such refusal counts as one request in ``requests``, as a failed
  attempt would, and the host is listed in ``RequestCount.unreachable``. HTTP statuses (5xx,
  429), read/write timeouts and dropped connections never mark a host: it answered. A new client
  (the next cycle) tries again. The first request keeps its full retries even for "connection
  refused": with the mark, an outage costs one request's backoff per host (a few seconds), while
  fewer retries would turn a brief server restart into a whole failed cycle for that host.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import httpx

from tracker.config import Settings
from tracker.http.conditional import ConditionalRequests, ValidatorStore, request_key
from tracker.http.counting import RequestCount, RequestCounter
from tracker.http.deadline import arm as arm_deadline
from tracker.http.failures import MAX_REDIRECTS
from tracker.http.guards import UrlGuard, guarded, run_guard
from tracker.http.hosts import HostBearerAuth
from tracker.http.ratelimit import make_limiter
from tracker.http.request_loop import RequestLoop
from tracker.http.response import Response
from tracker.http.retry import RetryPolicy
from tracker.http.throttle import HostThrottle
from tracker.http.unreachable import UnreachableHosts

__all__ = ["CONNECT_TIMEOUT_S", "MAX_REDIRECTS", "HttpClient", "make_client"]

#: Seconds to establish a connection (at most ``settings.http.timeout``): a reachable host
#: connects in well under a second; an outage that drops packets should not cost 30 s an attempt.
CONNECT_TIMEOUT_S = 10.0

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
RequestHook = Callable[[httpx.Request], Awaitable[None]]
ResponseHook = Callable[[httpx.Response], Awaitable[None]]


class HttpClient:
    """Async HTTP client for sources: one ``httpx.AsyncClient`` plus retries, throttles and caps.

    Build it with ``make_client`` and use it as an async context manager (``async with``) so the
    connection pool is closed.

    Attributes:
        requests (int): HTTP attempts sent, counting every retry and redirect hop, by every
            caller of this client (use ``counting()`` for one caller's share).
        not_modified (int): responses that were 304 Not Modified, by every caller.
        unreachable (dict): hosts (``host_key``) marked unreachable on this client, each with the
            original error; requests to them fail at once (see the module docstring).
        backoff_base_s (float): seconds; base of the exponential backoff between retries
            (attempt n, 1-based, is followed by a random wait in ``[0, base * 2**(n-1)]``, capped
            at ``backoff_max_s``). Class default 1.0; tests set it to 0.
        backoff_max_s (float): seconds; cap on one backoff wait.
    """

    backoff_base_s: float = 1.0
    backoff_max_s: float = 30.0

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
    ):
        """Create the client.

        Args:
            settings (Settings): user agent, timeouts, retries, caps, endpoints, token, throttles.
            transport (httpx.AsyncBaseTransport, optional): e.g. ``httpx.MockTransport`` in tests;
                None uses the real network.
            sleep (callable, optional): ``async sleep(seconds)`` used for every wait (backoff,
                Retry-After, throttle); defaults to ``asyncio.sleep``.
            clock (callable, optional): monotonic clock in seconds for the throttle; defaults
                to ``time.monotonic``.
        """
        self.settings = settings
        sleep = sleep or asyncio.sleep
        self._counter = RequestCounter()
        self._hosts = UnreachableHosts(self._counter)
        self._validators = ConditionalRequests()
        self._throttle = HostThrottle(throttled_hosts(settings), sleep=sleep, clock=clock or time.monotonic)
        self._limiter = make_limiter(settings)  # limits shared by every process (Redis, or a file)
        self._client = build_transport_client(
            settings, transport, before_send=self._before_send, after_receive=self._after_receive
        )
        self._loop = RequestLoop(
            self._client,
            counter=self._counter,
            hosts=self._hosts,
            throttle=self._throttle,
            sleep=sleep,
            max_body_bytes=settings.http.max_body_bytes,
            max_retry_after_s=settings.http.max_retry_after,
            timeout_s=settings.http.timeout,
            deadline_s=settings.http.deadline,
        )

    @property
    def requests(self) -> int:
        """HTTP attempts sent by every caller (retries, redirect hops and refusals included)."""
        return self._counter.requests

    @property
    def not_modified(self) -> int:
        """304 Not Modified responses, by every caller."""
        return self._counter.not_modified

    @property
    def unreachable(self) -> dict[str, str]:
        """Hosts (``host_key``) given up on this client, each with the original error (live dict)."""
        return self._hosts.marks

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying connection pool (and the shared limiter's Redis connections)."""
        await self._client.aclose()
        await self._limiter.aclose()

    def counting(self) -> AbstractContextManager[RequestCount]:
        """Count the requests this client makes for the current caller only.

        Every request sent on this client from the current context -- including asyncio tasks
        created inside the block, which inherit the context -- is added to the yielded
        ``RequestCount`` as well as to the client totals. Requests of other coroutines that
        share the client concurrently are not. Blocks nest: an inner block's requests also
        count in the outer one.

        Yields:
            RequestCount: live counters, final once the block exits.
        """
        return self._counter.counting()

    def conditional(
        self, stored: Mapping[str, Mapping[str, str]] | None = None
    ) -> AbstractContextManager[ValidatorStore]:
        """Make ``get(..., conditional=True)`` calls in this block conditional requests.

        Args:
            stored (Mapping, optional): validators by request URL from the previous poll
                (``SourceState.cursor["validators"]``); None or empty sends unconditional requests
                that still record validators for next time.

        Yields:
            ValidatorStore: ``seen`` holds the validators to store once the block exits.
        """
        return self._validators.block(stored)

    @contextmanager
    def guarding(self, guard: UrlGuard) -> Iterator[None]:
        """Run ``await guard(url)`` before every request hop (redirects too) made in this block.

        The guard raises (e.g. ``tracker.http.netguard.BlockedURLError``) to stop the request before
        anything is sent; the exception propagates out of ``get`` unchanged.
        """
        with guarded(guard):
            yield

    async def _before_send(self, request: httpx.Request) -> None:
        """httpx request hook: runs before every hop (retries and redirects included).

        In order: refuse a given-up host, run the URL guard, wait for the host's throttle slot,
        wait for the shared limits, then count the hop as sent.
        """
        self._hosts.refuse(request.url, request.method)
        await run_guard(request.url)
        await self._throttle.wait_turn(
            request.url, before_booking=lambda: self._hosts.refuse(request.url, request.method)
        )
        await self._limiter.acquire(str(request.url))
        self._hosts.refuse(request.url, request.method)  # marked while we waited
        arm_deadline()  # the attempt's overall deadline counts from here, not from the queueing above
        self._counter.add(requests=1)

    async def _after_receive(self, response: httpx.Response) -> None:
        """httpx response hook: share the Hub's rate-limit signals (``RateLimit``) with every process."""
        await self._limiter.note_response(str(response.request.url), response.headers)

    def _retry_policy(self) -> RetryPolicy:
        # Read per request: tests lower the backoff on the instance or the class after building it.
        return RetryPolicy(self.settings.http.max_retries, self.backoff_base_s, self.backoff_max_s)

    async def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        conditional: bool = False,
    ) -> Response:
        """GET ``url`` and read the whole (decompressed, capped) body, retrying transient failures.

        Args:
            url (str): absolute URL.
            params (Mapping, optional): query parameters added to ``url``.
            headers (Mapping, optional): extra request headers (e.g. ``If-None-Match``).
            conditional (bool, optional): inside ``conditional()``, send the stored validators
                of this URL and record the new ones; a 304 then means "unchanged since the last
                poll" and carries no body to parse. Ignored outside such a block.

        Returns:
            Response: a 2xx response, or a 304 (``not_modified`` is incremented).

        Raises:
            RateLimitedError: 429 (or 503 with Retry-After) after the last attempt, or at once when
                Retry-After exceeds ``settings.http.max_retry_after``; ``retry_after`` in seconds.
            SourceHTTPError: ``permanent=True`` for 4xx other than 408/429 (401/403 mention
                HF_TOKEN / gated access), too many redirects or a bad URL; ``permanent=False`` for
                5xx, network errors and timeouts after the last attempt, and bodies over the cap.
        """
        store = self._validators.active_store() if conditional else None
        if store is None:
            return await self._loop.send(
                "GET", url, params=params, headers=headers, json_body=None, policy=self._retry_policy()
            )
        key = request_key(url, params)
        response = await self._loop.send(
            "GET",
            url,
            params=params,
            headers=store.request_headers(key, headers),
            json_body=None,
            policy=self._retry_policy(),
        )
        store.record(key, response.status_code, response.headers)
        return response

    async def put_json(self, url: str, body: Any, *, headers: Mapping[str, str] | None = None) -> Response:
        """PUT a JSON ``body`` to ``url`` (a read-only query API such as ModelScope's model list).

        Same retries, caps and errors as ``get`` (see there).
        """
        return await self._loop.send(
            "PUT", url, params=None, headers=headers, json_body=body, policy=self._retry_policy()
        )


def throttled_hosts(settings: Settings) -> dict[str, float]:
    """Minimum seconds between two requests, by host: the arXiv host when its interval is set."""
    if settings.arxiv.min_interval <= 0:
        return {}
    return {httpx.URL(settings.arxiv.endpoint).host.lower(): settings.arxiv.min_interval}


def build_transport_client(
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None,
    *,
    before_send: RequestHook,
    after_receive: ResponseHook | None = None,
) -> httpx.AsyncClient:
    """The ``httpx.AsyncClient`` under an ``HttpClient``: timeouts, redirects, headers, Hub token, pool.

    Args:
        settings (Settings): user agent, ``http_timeout`` (seconds), ``http_concurrency``, Hub token.
        transport (httpx.AsyncBaseTransport, optional): None uses the real network.
        before_send (callable): request hook run before every hop (retries and redirects included).
    """
    auth = None
    if settings.hub.token is not None and settings.hub.token.get_secret_value():
        auth = HostBearerAuth(settings.hub.token.get_secret_value(), httpx.URL(settings.hub.endpoint).host)
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(settings.http.timeout, connect=min(settings.http.timeout, CONNECT_TIMEOUT_S)),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": settings.http.user_agent, "Accept-Encoding": "gzip, deflate"},
        auth=auth,
        event_hooks={"request": [before_send], "response": [after_receive] if after_receive else []},
        # Keep exactly as many connections as requests in flight: httpcore scans every pooled
        # connection on each request, so idle extras cost CPU on large cycles.
        limits=httpx.Limits(
            max_connections=settings.http.concurrency * 2, max_keepalive_connections=settings.http.concurrency
        ),
    )


def make_client(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Sleep | None = None,
    clock: Clock | None = None,
) -> HttpClient:
    """Build the ``HttpClient`` every source uses (see ``HttpClient.__init__`` for the arguments)."""
    return HttpClient(settings, transport=transport, sleep=sleep, clock=clock)
