"""What one failed attempt means: an error to raise at once, or a ``TransientFailure`` to retry.

A status or a transport error is mapped to tracker's errors here, with the words a user needs
(which setting or token to change), so that every source reports HTTP failures the same way.
"""

from __future__ import annotations

import math
import time

import httpx

from tracker import external
from tracker.errors import RateLimitedError, SourceHTTPError
from tracker.http.hosts import network_reason, unreachable_host
from tracker.http.ratelimit_headers import parse_ratelimit
from tracker.http.retry import RETRY_STATUSES, TransientFailure, parse_retry_after

MAX_REDIRECTS = 5
"""Redirect hops followed per request before failing (httpx's default is 20)."""


def status_failure(resp: httpx.Response, url: str, *, max_retry_after_s: float) -> Exception:
    """Map a non-2xx, non-304 response to the exception to raise (``TransientFailure`` = retry).

    Args:
        resp (httpx.Response): the response (its headers and status only are read).
        url (str): the request URL, named in the message.
        max_retry_after_s (float): seconds; a longer ``Retry-After`` is not waited for in-process.

    Returns:
        Exception: ``RateLimitedError`` at once for a GitHub rate limit or a too-long Retry-After;
        ``TransientFailure`` for 408/429/5xx; ``SourceHTTPError(permanent=True)`` for other 4xx
        (401/403 mention HF_TOKEN) and for a 3xx that could not be followed.
    """
    status = resp.status_code
    reason = f"HTTP {status} {resp.reason_phrase}".rstrip()
    if status in (403, 429) and resp.headers.get("X-RateLimit-Remaining", "").strip() == "0":
        return _github_rate_limit(resp, url, reason)
    if status in RETRY_STATUSES:
        retry_after = parse_retry_after(resp.headers.get("Retry-After"))
        if retry_after is None and status == 429:  # the Hub says when its window resets in RateLimit
            retry_after = parse_ratelimit(resp.headers)[1]
        if retry_after is not None and retry_after > max_retry_after_s:
            return RateLimitedError(
                f"GET {url}: {reason}, asked to retry after {retry_after:.0f}s "
                f"(more than TRACKER_HTTP_MAX_RETRY_AFTER={max_retry_after_s:g}s)",
                url=url,
                status_code=status,
                retry_after=retry_after,
            )
        limited = status == 429 or (status == 503 and retry_after is not None)
        cls = RateLimitedError if limited else SourceHTTPError
        error = cls(f"GET {url}: {reason}", url=url, status_code=status, retry_after=retry_after)
        return TransientFailure(error, retry_after)
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


def _github_rate_limit(resp: httpx.Response, url: str, reason: str) -> RateLimitedError:
    """GitHub's primary rate limit: wait until ``X-RateLimit-Reset`` (epoch seconds, UTC)."""
    reset = external.wait_seconds(resp.headers.get("X-RateLimit-Reset"), what="X-RateLimit-Reset", max_s=math.inf)
    wait = external.wait_seconds(max(0.0, reset - time.time()), what="X-RateLimit-Reset") if reset else None
    wait = parse_retry_after(resp.headers.get("Retry-After")) or wait
    return RateLimitedError(
        f"GET {url}: {reason}: rate limit exhausted"
        + (f", resets in {wait:.0f}s" if wait is not None else "")
        + " (set TRACKER_GITHUB_TOKEN for a higher GitHub limit)",
        url=url,
        status_code=resp.status_code,
        retry_after=wait,
    )


def transport_failure(exc: httpx.HTTPError, url: str, *, timeout_s: float) -> Exception:
    """Map an httpx error raised by one attempt (no HTTP status) to the exception to raise.

    Args:
        exc (httpx.HTTPError): what sending or reading raised.
        url (str): the request URL, named in the message.
        timeout_s (float): the configured timeout (seconds), named in the message.

    Returns:
        Exception: ``TransientFailure`` for timeouts and network errors (``unreachable`` set when
        the hop could not connect at all); ``SourceHTTPError(permanent=True)`` for too many
        redirects, a bad URL or an unsupported scheme.
    """
    if isinstance(exc, httpx.TimeoutException):
        reason = f"timed out after {timeout_s:g}s ({type(exc).__name__})"
        error = SourceHTTPError(f"GET {url}: {reason}", url=url)
        # Only a connect timeout says the host is unreachable; a read timeout means it answered.
        return TransientFailure(error, unreachable=unreachable_host(exc, url), reason=reason)
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError | httpx.ProxyError):
        reason = f"network error: {network_reason(exc)}"
        error = SourceHTTPError(f"GET {url}: {reason}", url=url)
        # ConnectError: refused, DNS failure, no route, TLS handshake -- nothing was answered.
        return TransientFailure(error, unreachable=unreachable_host(exc, url), reason=reason)
    if isinstance(exc, httpx.TooManyRedirects):
        return SourceHTTPError(
            f"GET {url}: more than {MAX_REDIRECTS} redirects (redirect loop?)",
            url=url,
            permanent=True,
        )
    # bad URL, unsupported scheme, local protocol misuse
    return SourceHTTPError(f"GET {url}: {exc or type(exc).__name__}", url=url, permanent=True)
