"""``HttpClient``: the client every source's requests go through; ``make_client`` builds it.

``make_client(settings)`` builds an ``HttpClient`` around a single ``httpx.AsyncClient``:

* user agent and timeouts (seconds) from ``Settings``; redirects followed, at most ``MAX_REDIRECTS``
  hops (a moved feed must not silently become "no entries");
* bodies are read by streaming and decompressed here, capped at ``settings.http_max_body_bytes``
  of *decompressed* bytes, so a small gzip bomb fails instead of eating memory;
* transient failures (network errors, timeouts, 408, 429, 500, 502, 503, 504) are retried with
  tenacity: exponential backoff with jitter, or the server's ``Retry-After`` when it sends one,
  up to ``settings.http_max_retries`` attempts. A ``Retry-After`` longer than
  ``settings.http_max_retry_after`` is not slept in-process: ``RateLimitedError`` is raised at once
  so that the next poll retries;
* requests to the arXiv host are spaced ``settings.arxiv_min_interval`` seconds apart (arXiv's
  politeness rule), across concurrent coroutines; an attempt that could not connect never reached
  arXiv, so it gives its slot back and the next request in line goes at once;
* the Hub token (``HF_TOKEN``) is sent only to the host of ``settings.hf_endpoint``;
* besides the client-wide totals, ``HttpClient.counting()`` counts the requests made by one
  logical caller (a context variable), so that concurrent polls sharing one client each report
  their own ``requests``/``not_modified``;
* conditional requests: inside ``HttpClient.conditional(stored)``, ``get(url, conditional=True)``
  sends ``If-None-Match``/``If-Modified-Since`` from the stored validators of that URL and
  records the validators to keep (fresh ones on 2xx, the stored ones on 304);
* ``HttpClient.guarding(check)`` runs ``check(url)`` before every hop (redirects included) of the
  requests made inside the block: the feeds source uses it to refuse private addresses;
* GitHub-style rate limits: a 403/429 with ``X-RateLimit-Remaining: 0`` becomes
  ``RateLimitedError`` with ``retry_after`` from ``X-RateLimit-Reset`` (epoch seconds);
* unreachable hosts are given up for the client's lifetime (one poll cycle): when a request has
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
from contextlib import contextmanager
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, stop_any
from tenacity.wait import wait_random_exponential

from tracker.config import Settings
from tracker.errors import RateLimitedError, SourceHTTPError
from tracker.http.context import (
    RequestCount,
    UrlGuard,
    ValidatorStore,
    _active_counts,
    _active_guard,
    _active_validators,
    _booked_turn,
)
from tracker.http.hosts import _HostBearerAuth, _network_reason, host_key
from tracker.http.response import Response, _CappedDecoder
from tracker.http.retry import RETRY_STATUSES, _Transient, parse_retry_after
from tracker.http.ratelimit import make_limiter


MAX_REDIRECTS = 5
"""Redirect hops followed per request before failing (httpx's default is 20)."""


#: Seconds to establish a connection (at most ``settings.http_timeout``): a reachable host
#: connects in well under a second; an outage that drops packets should not cost 30 s an attempt.
CONNECT_TIMEOUT_S = 10.0


Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


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
            at ``backoff_max_s``).
            Class default 1.0; tests set it to 0.
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
        self.requests = 0
        self.not_modified = 0
        self.unreachable: dict[str, str] = {}
        self._sleep: Sleep = sleep or asyncio.sleep
        self._clock: Clock = clock or time.monotonic
        self._max_body = settings.http_max_body_bytes
        self._max_retry_after = settings.http_max_retry_after
        self._attempts = settings.http_max_retries
        # Per-host throttle: minimum seconds between two requests, when each may go next.
        self._min_interval: dict[str, float] = {}
        arxiv_host = httpx.URL(settings.arxiv_endpoint).host.lower()
        if settings.arxiv_min_interval > 0:
            self._min_interval[arxiv_host] = settings.arxiv_min_interval
        self._next_slot: dict[str, float] = {}
        self._given_back: dict[str, asyncio.Event] = {}  # set when a booked slot is given back
        self._throttle_locks: dict[str, asyncio.Lock] = {}
        self._limiter = make_limiter(settings)  # limits shared by all workers (Redis broker only)
        auth = None
        if settings.hf_token is not None and settings.hf_token.get_secret_value():
            auth = _HostBearerAuth(
                settings.hf_token.get_secret_value(), httpx.URL(settings.hf_endpoint).host
            )
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(settings.http_timeout, connect=min(settings.http_timeout, CONNECT_TIMEOUT_S)),
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            auth=auth,
            event_hooks={"request": [self._before_send]},
            # Keep exactly as many connections as requests in flight: httpcore scans every pooled
            # connection on each request, so idle extras cost CPU on large cycles.
            limits=httpx.Limits(max_connections=settings.http_concurrency * 2,
                                max_keepalive_connections=settings.http_concurrency),
        )

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying connection pool."""
        await self._client.aclose()
        if self._limiter is not None:
            await self._limiter.aclose()

    @contextmanager
    def counting(self) -> Iterator[RequestCount]:
        """Count the requests this client makes for the current caller only.

        Every request sent on this client from the current context -- including asyncio tasks
        created inside the block, which inherit the context -- is added to the yielded
        ``RequestCount`` as well as to the client totals. Requests of other coroutines that
        share the client concurrently are not. Blocks nest: an inner block's requests also
        count in the outer one.

        Yields:
            RequestCount: live counters, final once the block exits.
        """
        count = RequestCount()
        token = _active_counts.set((*_active_counts.get(), (self, count)))
        try:
            yield count
        finally:
            _active_counts.reset(token)

    @contextmanager
    def conditional(self, stored: Mapping[str, Mapping[str, str]] | None = None) -> Iterator[ValidatorStore]:
        """Make ``get(..., conditional=True)`` calls in this block conditional requests.

        Args:
            stored (Mapping, optional): validators by request URL from the previous poll
                (``SourceState.cursor["validators"]``); None or empty sends unconditional requests
                that still record validators for next time.

        Yields:
            ValidatorStore: ``seen`` holds the validators to store once the block exits.
        """
        store = ValidatorStore(stored=dict(stored or {}))
        token = _active_validators.set((self, store))
        try:
            yield store
        finally:
            _active_validators.reset(token)

    @contextmanager
    def guarding(self, guard: UrlGuard) -> Iterator[None]:
        """Run ``await guard(url)`` before every request hop (redirects too) made in this block.

        The guard raises (e.g. ``tracker.http.netguard.BlockedURLError``) to stop the request before
        anything is sent; the exception propagates out of ``get`` unchanged.
        """
        token = _active_guard.set(guard)
        try:
            yield
        finally:
            _active_guard.reset(token)

    def _count(self, *, requests: int = 0, not_modified: int = 0, unreachable: str | None = None) -> None:
        """Add to the client totals and to every ``counting()`` block open in this context.

        ``unreachable`` (a ``host_key`` already in ``self.unreachable``) is recorded in the blocks.
        """
        self.requests += requests
        self.not_modified += not_modified
        for client, count in _active_counts.get():
            if client is self:
                count.requests += requests
                count.not_modified += not_modified
                if unreachable is not None:
                    count.unreachable.setdefault(unreachable, self.unreachable[unreachable])

    def _refuse_if_unreachable(self, url: httpx.URL, method: str) -> None:
        """Raise at once (counted as one failed request) when ``url``'s host is marked unreachable.

        Raises:
            SourceHTTPError: transient (the next cycle tries again), naming the original error.
        """
        key = host_key(url)
        reason = self.unreachable.get(key)
        if reason is None:
            return
        self._count(requests=1, unreachable=key)
        raise SourceHTTPError(
            f"{method} {url}: not sent: {key} was unreachable earlier in this poll cycle ({reason}); "
            "the next cycle tries again",
            url=str(url),
        )

    def _stop_if_unreachable(self, state: RetryCallState) -> bool:
        """tenacity stop: no more attempts once the host this attempt failed to reach is marked."""
        exc = state.outcome.exception() if state.outcome else None
        return isinstance(exc, _Transient) and exc.unreachable in self.unreachable

    async def _before_send(self, request: httpx.Request) -> None:
        """httpx request hook: runs before every hop (retries and redirects included)."""
        self._refuse_if_unreachable(request.url, request.method)
        guard = _active_guard.get()
        if guard is not None:
            await guard(request.url)
        await self._wait_turn(request)
        if self._limiter is not None:
            await self._limiter.acquire(str(request.url))
            self._refuse_if_unreachable(request.url, request.method)  # marked while we waited
        self._count(requests=1)

    async def _wait_turn(self, request: httpx.Request) -> None:
        """Space requests to the request's host at least its minimum interval apart (seconds).

        The per-host lock makes concurrent coroutines queue up; each one sleeps until the slot
        after the previous request and then books the next slot (remembered in ``_booked_turn``
        so that an attempt that cannot connect gives it back: it never reached the server).
        A request whose host was marked unreachable while it queued is refused unsent.
        """
        _booked_turn.set(None)
        host = request.url.host.lower()
        interval = self._min_interval.get(host)
        if not interval:
            return
        lock = self._throttle_locks.setdefault(host, asyncio.Lock())
        async with lock:
            while (wait := self._next_slot.get(host, 0.0) - self._clock()) > 0:
                await self._sleep_unless_given_back(host, wait)
            self._refuse_if_unreachable(request.url, request.method)
            previous = self._next_slot.get(host, 0.0)
            booked = self._next_slot[host] = self._clock() + interval
            _booked_turn.set((host, previous, booked))

    async def _sleep_unless_given_back(self, host: str, seconds: float) -> None:
        """Sleep ``seconds``, waking early when the slot waited for is given back."""
        given_back = self._given_back.setdefault(host, asyncio.Event())
        given_back.clear()
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        waker = asyncio.ensure_future(given_back.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

    def _give_back_turn(self) -> None:
        """Un-book this task's last throttle slot when nobody booked after it, waking the next in line."""
        turn = _booked_turn.get()
        if turn is not None and self._next_slot.get(turn[0]) == turn[2]:
            self._next_slot[turn[0]] = turn[1]
            self._given_back.setdefault(turn[0], asyncio.Event()).set()

    def _wait_before_retry(self, state: RetryCallState) -> float:
        """tenacity wait: the server's Retry-After when given, else exponential backoff + jitter."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return exc.retry_after
        backoff = wait_random_exponential(multiplier=self.backoff_base_s, max=self.backoff_max_s)
        return backoff(state)

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
                Retry-After exceeds ``settings.http_max_retry_after``; ``retry_after`` in seconds.
            SourceHTTPError: ``permanent=True`` for 4xx other than 408/429 (401/403 mention
                HF_TOKEN / gated access), too many redirects or a bad URL; ``permanent=False`` for
                5xx, network errors and timeouts after the last attempt, and bodies over the cap.
        """
        active = _active_validators.get() if conditional else None
        store = active[1] if active is not None and active[0] is self else None
        if store is None:
            return await self._send("GET", url, params, headers, None)
        key = str(httpx.URL(url).copy_merge_params(params)) if params else url
        stored = dict(store.stored.get(key) or {})
        sent = dict(headers or {})
        if stored.get("etag"):
            sent["If-None-Match"] = stored["etag"]
        if stored.get("last_modified"):
            sent["If-Modified-Since"] = stored["last_modified"]
        response = await self._send("GET", url, params, sent, None)
        if response.status_code == 304:
            if stored:
                store.seen[key] = stored
        else:
            fresh = {name: value for name, value in (("etag", response.headers.get("ETag")),
                                                     ("last_modified", response.headers.get("Last-Modified")))
                     if value}
            if fresh:
                store.seen[key] = fresh
        return response

    async def put_json(self, url: str, body: Any, *, headers: Mapping[str, str] | None = None) -> Response:
        """PUT a JSON ``body`` to ``url`` (a read-only query API such as ModelScope's model list).

        Same retries, caps and errors as ``get`` (see there).
        """
        return await self._send("PUT", url, None, headers, body)

    async def _send(self, method: str, url: str, params: Mapping[str, Any] | None,
                    headers: Mapping[str, str] | None, json_body: Any) -> Response:
        """Send one logical request with retries (see ``get``); mark its host when unreachable.

        The host is marked (``self.unreachable``) when the request gives up and every attempt
        failed to connect to that same host; attempts after the mark are refused unsent.
        """
        self._refuse_if_unreachable(httpx.URL(url), method)
        failed: list[_Transient] = []

        async def attempt() -> Response:
            try:
                return await self._attempt(url, params, headers, method, json_body)
            except _Transient as exc:
                failed.append(exc)
                raise

        retrying = AsyncRetrying(
            stop=stop_any(stop_after_attempt(self._attempts), self._stop_if_unreachable),
            wait=self._wait_before_retry,
            retry=retry_if_exception_type(_Transient),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return await retrying(attempt)
        except _Transient as exc:
            err = exc.error
            err.message = f"{err.message} (gave up after {len(failed)} attempts)"
            hosts = {f.unreachable for f in failed}
            if exc.unreachable is not None and hosts == {exc.unreachable}:
                self.unreachable.setdefault(exc.unreachable, exc.reason)
                self._count(unreachable=exc.unreachable)
            raise err from exc.__cause__

    async def _attempt(
        self, url: str, params: Mapping[str, Any] | None, headers: Mapping[str, str] | None,
        method: str = "GET", json_body: Any = None,
    ) -> Response:
        """One attempt: send, stream the body under the cap, map the status to a result or error."""
        try:
            async with self._client.stream(method, url, params=params, headers=headers,
                                           json=json_body) as resp:
                final_url = str(resp.url)
                if resp.status_code == 304:
                    self._count(not_modified=1)
                    return Response(final_url, 304, resp.headers, b"", resp.links)
                if 200 <= resp.status_code < 300:
                    body = await self._read_capped(resp, final_url)
                    return Response(final_url, resp.status_code, resp.headers, body, resp.links)
                raise self._status_error(resp, final_url)
        except httpx.TimeoutException as exc:
            reason = f"timed out after {self.settings.http_timeout:g}s ({type(exc).__name__})"
            error = SourceHTTPError(f"GET {url}: {reason}", url=url)
            # Only a connect timeout says the host is unreachable; a read timeout means it answered.
            raise _Transient(error, unreachable=self._unreachable_host(exc, url), reason=reason) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
            reason = f"network error: {_network_reason(exc)}"
            error = SourceHTTPError(f"GET {url}: {reason}", url=url)
            # ConnectError: refused, DNS failure, no route, TLS handshake -- nothing was answered.
            raise _Transient(error, unreachable=self._unreachable_host(exc, url), reason=reason) from exc
        except httpx.TooManyRedirects as exc:
            raise SourceHTTPError(
                f"GET {url}: more than {MAX_REDIRECTS} redirects (redirect loop?)",
                url=url,
                permanent=True,
            ) from exc
        except httpx.HTTPError as exc:  # bad URL, unsupported scheme, local protocol misuse
            raise SourceHTTPError(
                f"GET {url}: {exc or type(exc).__name__}", url=url, permanent=True
            ) from exc

    def _unreachable_host(self, exc: httpx.RequestError, url: str) -> str | None:
        """``host_key`` of the hop that could not connect (a redirect target, say), else None.

        Only ``httpx.ConnectError`` and ``httpx.ConnectTimeout`` count: nothing was answered, so
        the attempt also gives its arXiv throttle slot back.
        """
        if not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            return None
        self._give_back_turn()
        try:
            return host_key(exc.request.url)
        except RuntimeError:  # an exception raised without its request (mock transports)
            return host_key(url)

    async def _read_capped(self, resp: httpx.Response, url: str) -> bytes:
        """Read the body, decompressing it ourselves so that the cap bounds the decompressed size."""
        if resp.is_stream_consumed:
            # Already in memory and decoded by httpx: a transport that built its response with
            # ``content=`` (e.g. httpx.MockTransport in tests). Only the cap can still apply.
            if len(resp.content) > self._max_body:
                raise SourceHTTPError(
                    f"GET {url}: response body exceeds the {self._max_body}-byte cap "
                    "(TRACKER_HTTP_MAX_BODY_BYTES)",
                    url=url,
                )
            return resp.content
        declared = resp.headers.get("Content-Length", "")
        encoding = resp.headers.get("Content-Encoding", "")
        if not encoding and declared.isdigit() and int(declared) > self._max_body:
            raise SourceHTTPError(
                f"GET {url}: response body of {declared} bytes exceeds the {self._max_body}-byte cap "
                "(TRACKER_HTTP_MAX_BODY_BYTES)",
                url=url,
            )
        decoder = _CappedDecoder(encoding, cap=self._max_body, url=url)
        async for chunk in resp.aiter_raw():
            decoder.feed(chunk)
        return decoder.finish()

    def _status_error(self, resp: httpx.Response, url: str) -> Exception:
        """Map a non-2xx, non-304 status to the exception to raise (``_Transient`` = retry)."""
        status = resp.status_code
        reason = f"HTTP {status} {resp.reason_phrase}".rstrip()
        if status in (403, 429) and resp.headers.get("X-RateLimit-Remaining", "").strip() == "0":
            # GitHub's primary rate limit: wait until X-RateLimit-Reset (epoch seconds, UTC).
            reset = resp.headers.get("X-RateLimit-Reset", "").strip()
            wait = max(0.0, float(reset) - time.time()) if reset.isdigit() else None
            wait = parse_retry_after(resp.headers.get("Retry-After")) or wait
            return RateLimitedError(
                f"GET {url}: {reason}: rate limit exhausted"
                + (f", resets in {wait:.0f}s" if wait is not None else "")
                + " (set TRACKER_GITHUB_TOKEN for a higher GitHub limit)",
                url=url, status_code=status, retry_after=wait,
            )
        if status in RETRY_STATUSES:
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            if retry_after is not None and retry_after > self._max_retry_after:
                return RateLimitedError(
                    f"GET {url}: {reason}, asked to retry after {retry_after:.0f}s "
                    f"(more than TRACKER_HTTP_MAX_RETRY_AFTER={self._max_retry_after:g}s)",
                    url=url,
                    status_code=status,
                    retry_after=retry_after,
                )
            limited = status == 429 or (status == 503 and retry_after is not None)
            cls = RateLimitedError if limited else SourceHTTPError
            error = cls(f"GET {url}: {reason}", url=url, status_code=status, retry_after=retry_after)
            return _Transient(error, retry_after)
        if status in (401, 403):
            return SourceHTTPError(
                f"GET {url}: {reason}: access denied. For the Hugging Face Hub, set HF_TOKEN to a "
                "token that can read this repo (gated repos also need access accepted on the Hub).",
                url=url,
                status_code=status,
                permanent=True,
            )
        if 400 <= status < 500:
            return SourceHTTPError(f"GET {url}: {reason}", url=url, status_code=status, permanent=True)
        if 300 <= status < 400:
            return SourceHTTPError(
                f"GET {url}: {reason} without a usable Location header",
                url=url,
                status_code=status,
                permanent=True,
            )
        return SourceHTTPError(f"GET {url}: {reason}", url=url, status_code=status)


def make_client(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Sleep | None = None,
    clock: Clock | None = None,
) -> HttpClient:
    """Build the ``HttpClient`` every source uses (see ``HttpClient.__init__`` for the arguments)."""
    return HttpClient(settings, transport=transport, sleep=sleep, clock=clock)
