"""An overall deadline for every Slack call (Web API and incoming webhook): connect, headers, whole body.

slack-sdk's ``WebClient`` gives urllib a per-socket-operation ``timeout`` only, so a server that
sends one byte every few seconds holds a call (and the delivery in ``sending``) until the task's
soft time limit. ``DeadlineWebClient`` replaces the SDK's one transport step
(``_perform_urllib_http_request_internal``; the webhook client's ``_perform_http_request_internal``),
which opens the request and reads the body, with the
same urllib exchange watched by a timer: when ``deadline_s`` passes, the timer shuts the
connection's socket down, the blocked read returns, and the call raises ``SlackDeadlineExceeded``.
The timer is cancelled when the exchange ends, so nothing is left running. The SDK's retry
handlers do not retry this error: for ``chat.postMessage`` the post may have reached Slack, and
only the delivery layer (which asks the channel first) may try again.
"""

from __future__ import annotations

import http.client
import io
import socket
import threading
import urllib.request
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient, WebhookResponse


class SlackDeadlineExceeded(Exception):
    """A Web API call got no complete answer within ``deadline_s`` seconds (connect + whole response)."""

    def __init__(self, url: str, deadline_s: float):
        super().__init__(f"no complete answer from {url} within {deadline_s:g} s (TRACKER_HTTP_DEADLINE)")
        self.url, self.deadline_s = url, deadline_s


class _Watchdog:
    """Remembers the connections of one exchange and shuts their sockets down when the deadline fires."""

    def __init__(self, deadline_s: float):
        self.deadline_s = deadline_s
        self.fired = threading.Event()
        self._lock = threading.Lock()
        self._conns: list[http.client.HTTPConnection] = []
        self._timer = threading.Timer(deadline_s, self._cut_off)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def watch(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:  # the timer sets ``fired`` under this lock: no connection slips past it
            if self.fired.is_set():  # a new connection (a redirect hop) after the deadline: never start it
                raise ConnectionAbortedError("the overall deadline has passed")
            self._conns.append(conn)

    def _cut_off(self) -> None:
        with self._lock:
            self.fired.set()
            conns = list(self._conns)
        for conn in conns:
            _shut(conn)


def _shut(conn: http.client.HTTPConnection) -> None:
    sock = conn.sock
    if sock is None:  # still connecting: the connect is bounded by the per-operation timeout
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed: the exchange ended as the timer fired
        return


def _handlers(dog: _Watchdog, ssl_context: Any) -> list[urllib.request.BaseHandler]:
    """urllib handlers whose connections ``dog`` watches (http and https)."""

    def watched(cls: type[http.client.HTTPConnection]) -> Any:
        def make(host: str, **kwargs: Any) -> http.client.HTTPConnection:
            conn = cls(host, **kwargs)
            dog.watch(conn)
            return conn

        return make

    class Http(urllib.request.HTTPHandler):
        def http_open(self, req: Request) -> Any:
            return self.do_open(watched(http.client.HTTPConnection), req)

    class Https(urllib.request.HTTPSHandler):
        def https_open(self, req: Request) -> Any:
            return self.do_open(watched(http.client.HTTPSConnection), req, context=ssl_context)

    return [Http(), Https(context=ssl_context)]


def bounded_exchange(url: str, req: Request, *, deadline_s: float, timeout: float, ssl: Any) -> tuple[Any, bytes]:
    """Open ``req`` and read its whole body within ``deadline_s`` seconds: ``(response, body)``.

    An error status raises urllib's ``HTTPError`` as usual, with its body already read (under
    the deadline too), so the SDK's own handling of 429/5xx is unchanged.

    Raises:
        SlackDeadlineExceeded: the deadline passed before the answer was complete.
        HTTPError, OSError, http.client.HTTPException: as urllib raises them.
    """
    with _Watchdog(deadline_s) as dog:
        try:
            resp = urllib.request.build_opener(*_handlers(dog, ssl)).open(req, timeout=timeout)
            body = resp.read()
        except HTTPError as exc:
            try:
                data = exc.read()
            except (OSError, http.client.HTTPException) as read_exc:
                if dog.fired.is_set():
                    raise SlackDeadlineExceeded(url, deadline_s) from read_exc
                raise
            if dog.fired.is_set():
                raise SlackDeadlineExceeded(url, deadline_s) from exc
            raise HTTPError(exc.url, exc.code, exc.msg, exc.hdrs, io.BytesIO(data)) from exc
        except (OSError, http.client.HTTPException) as exc:
            if dog.fired.is_set():
                raise SlackDeadlineExceeded(url, deadline_s) from exc
            raise
        if dog.fired.is_set():  # a body without Content-Length ends quietly when its socket is cut
            raise SlackDeadlineExceeded(url, deadline_s)
    return resp, body


class DeadlineWebClient(WebClient):
    """slack-sdk's ``WebClient`` whose every HTTP exchange must complete within ``deadline_s`` seconds.

    Args:
        deadline_s (float): seconds for connect, headers and the whole body of one attempt
            (``settings.http.deadline``); the SDK's ``timeout`` still bounds each socket operation.
        **kwargs: ``WebClient`` arguments (token, base_url, timeout, retry_handlers...).

    Raises (from any API method):
        SlackDeadlineExceeded: the deadline passed before the answer was complete.
    """

    def __init__(self, *, deadline_s: float, **kwargs: Any):
        super().__init__(**kwargs)
        self.deadline_s = deadline_s

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy is not None or not url.lower().startswith("http"):
            return super()._perform_urllib_http_request_internal(url, req)  # the SDK's checks and errors
        resp, body = bounded_exchange(url, req, deadline_s=self.deadline_s, timeout=self.timeout, ssl=self.ssl)
        if resp.headers.get_content_type() == "application/gzip":
            return {"status": resp.code, "headers": resp.headers, "body": body}
        charset = resp.headers.get_content_charset() or "utf-8"
        return {"status": resp.code, "headers": resp.headers, "body": body.decode(charset)}


class DeadlineWebhookClient(WebhookClient):
    """slack-sdk's incoming-webhook client with the same overall deadline (``deadline_s`` seconds).

    Raises (from ``send``):
        SlackDeadlineExceeded: the deadline passed before the answer was complete.
    """

    def __init__(self, url: str, *, deadline_s: float, **kwargs: Any):
        super().__init__(url, **kwargs)
        self.deadline_s = deadline_s

    def _perform_http_request_internal(self, url: str, req: Request) -> WebhookResponse:
        if self.proxy is not None or not url.lower().startswith("http"):
            return super()._perform_http_request_internal(url, req)
        resp, body = bounded_exchange(url, req, deadline_s=self.deadline_s, timeout=self.timeout, ssl=self.ssl)
        charset = resp.headers.get_content_charset() or "utf-8"
        return WebhookResponse(url=url, status_code=resp.status, body=body.decode(charset), headers=resp.headers)
