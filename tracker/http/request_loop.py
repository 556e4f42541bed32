"""The request loop: one logical request as attempts under a retry policy, each read in full.

Each attempt streams the response, reads the body under the size cap and maps the outcome to a
``Response`` or an error (``tracker.http.failures``). Failures worth retrying are retried by the
``RetryPolicy``; when the request gives up, its host may be marked unreachable
(``tracker.http.unreachable``) and the last attempt's error is raised.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from tracker.errors import SourceHTTPError
from tracker.http.body import read_capped
from tracker.http.counting import RequestCounter
from tracker.http.deadline import DeadlineExceeded, bounding
from tracker.http.failures import status_failure, transport_failure
from tracker.http.response import Response
from tracker.http.retry import RetryPolicy, TransientFailure
from tracker.http.throttle import HostThrottle
from tracker.http.unreachable import UnreachableHosts

Sleep = Callable[[float], Awaitable[None]]


class RequestLoop:
    """Send requests on one ``httpx.AsyncClient`` with retries, caps and unreachable-host marks.

    Args:
        client (httpx.AsyncClient): the connection pool; its request hook runs the per-hop checks.
        counter (RequestCounter): where 304 answers are counted.
        hosts (UnreachableHosts): refuses requests to given-up hosts; marks new ones.
        throttle (HostThrottle): takes back the slot of an attempt that could not connect.
        sleep (callable): ``async sleep(seconds)`` for the waits between attempts.
        max_body_bytes (int): cap on a decompressed body.
        max_retry_after_s (float): seconds; a longer ``Retry-After`` fails at once.
        timeout_s (float): the configured timeout (seconds), named in timeout errors.
        deadline_s (float): seconds; overall deadline of one attempt (``tracker.http.deadline``).
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        counter: RequestCounter,
        hosts: UnreachableHosts,
        throttle: HostThrottle,
        sleep: Sleep,
        max_body_bytes: int,
        max_retry_after_s: float,
        timeout_s: float,
        deadline_s: float = float("inf"),
    ):
        self._client = client
        self._counter = counter
        self._hosts = hosts
        self._throttle = throttle
        self._sleep = sleep
        self._max_body = max_body_bytes
        self._max_retry_after_s = max_retry_after_s
        self._timeout_s = timeout_s
        self._deadline_s = deadline_s

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        json_body: Any,
        policy: RetryPolicy,
    ) -> Response:
        """Send one logical request with retries (errors: see ``HttpClient.get``).

        The host is marked unreachable when the request gives up and every attempt failed to
        connect to that same host; attempts after the mark are refused unsent.
        """
        self._hosts.refuse(httpx.URL(url), method)
        failed: list[TransientFailure] = []

        async def attempt() -> Response:
            try:
                return await self._attempt(method, url, params, headers, json_body)
            except TransientFailure as exc:
                failed.append(exc)
                raise

        retrying = policy.retrying(sleep=self._sleep, give_up=lambda f: self._hosts.is_marked(f.unreachable))
        try:
            return await retrying(attempt)
        except TransientFailure as exc:
            err = exc.error
            err.message = f"{err.message} (gave up after {len(failed)} attempts)"
            self._hosts.settle(failed)
            raise err from exc.__cause__

    async def _attempt(
        self, method: str, url: str, params: Mapping[str, Any] | None, headers: Mapping[str, str] | None, json_body: Any
    ) -> Response:
        """One attempt: send, stream the body under the cap, map the status to a result or error."""
        try:
            async with (
                bounding(self._deadline_s),
                self._client.stream(method, url, params=params, headers=headers, json=json_body) as resp,
            ):
                final_url = str(resp.url)
                if resp.status_code == 304:
                    self._counter.add(not_modified=1)
                    return Response(final_url, 304, resp.headers, b"", resp.links)
                if 200 <= resp.status_code < 300:
                    body = await read_capped(resp, final_url, cap=self._max_body)
                    return Response(final_url, resp.status_code, resp.headers, body, resp.links)
                raise status_failure(resp, final_url, max_retry_after_s=self._max_retry_after_s)
        except DeadlineExceeded as exc:  # a dripping server: retried like a read timeout (it answered)
            raise TransientFailure(SourceHTTPError(f"{method} {url}: {exc}", url=url), reason=str(exc)) from exc
        except httpx.HTTPError as exc:
            failure = transport_failure(exc, url, timeout_s=self._timeout_s)
            if isinstance(failure, TransientFailure) and failure.unreachable is not None:
                self._throttle.give_back()  # nothing reached the server: its throttle slot is free
            raise failure from exc
