"""Per-host rules: the key a host is marked unreachable under, which failures say a host could not be
reached and in what words, and the Hub token sent to the Hub's host only."""

from __future__ import annotations

import os
import ssl
from collections.abc import Generator

import httpx

_HTTPX_CONNECT_FAILED = "All connection attempts failed"  # httpx's words for any failed connect


def host_key(url: str | httpx.URL) -> str:
    """The key hosts are marked unreachable under: ``"huggingface.co"``, ``"127.0.0.1:9"``.

    The host alone for the scheme's default port, ``host:port`` otherwise, so a refused port
    does not condemn other ports of the same machine.
    """
    url = httpx.URL(url) if isinstance(url, str) else url
    host = url.host.lower()
    return f"{host}:{url.port}" if url.port is not None else host


def unreachable_host(exc: httpx.HTTPError, url: str) -> str | None:
    """``host_key`` of the hop that could not connect (a redirect target, say), else None.

    Only ``httpx.ConnectError`` and ``httpx.ConnectTimeout`` count: nothing was answered. Any
    other error (a read timeout, a dropped connection, an HTTP status) means the host answered.

    Args:
        exc (httpx.HTTPError): what one attempt raised.
        url (str): the request's URL, used when ``exc`` carries no request (mock transports).
    """
    if not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return None
    try:
        return host_key(exc.request.url)
    except RuntimeError:  # an exception raised without its request (mock transports)
        return host_key(url)


def network_reason(exc: BaseException) -> str:
    """Words for a network error, with the OS reason when httpx's own text hides it.

    httpx says "All connection attempts failed" for a refused connection; the ``OSError`` it
    wraps has the errno, so this returns "Connection refused". TLS errors keep their own text.
    """
    text = str(exc) or type(exc).__name__
    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        errno = getattr(cause, "errno", None)
        if isinstance(cause, OSError) and not isinstance(cause, ssl.SSLError) and isinstance(errno, int) and errno > 0:
            reason = os.strerror(errno)
            if reason.lower() in text.lower():
                return text
            return reason if text == _HTTPX_CONNECT_FAILED else f"{reason} ({text})"
        cause = cause.__cause__ or cause.__context__
    return text


class HostBearerAuth(httpx.Auth):
    """Send ``Authorization: Bearer <token>`` only to one host (the Hub).

    httpx also drops ``Authorization`` itself when a redirect leaves the origin.

    Args:
        token (str): the bearer token.
        host (str): the only host name it is sent to (case-insensitive).
    """

    def __init__(self, token: str, host: str):
        self._token = token
        self._host = host.lower()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if request.url.host.lower() == self._host:
            request.headers["Authorization"] = f"Bearer {self._token}"
        yield request
