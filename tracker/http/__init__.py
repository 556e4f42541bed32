"""The one HTTP funnel every source goes through: timeouts, retries, rate limits, size caps.

``make_client(settings)`` builds an ``HttpClient`` around a single ``httpx.AsyncClient``. What it
does to every request (timeouts and redirects, the decompressed-size cap, retries honouring
``Retry-After``, the arXiv throttle, the Hub token, per-caller counting, conditional requests,
URL guards, GitHub rate limits, unreachable hosts) is listed in ``tracker.http.client``.

``paginate`` follows GitHub-style ``Link: <...>; rel="next"`` headers (as the Hub does).

Modules:

* ``client``: ``HttpClient`` and ``make_client``: the public face, wiring the collaborators below.
* ``request_loop``: one logical request as attempts under the retry policy.
* ``retry``: the statuses worth retrying, ``parse_retry_after``, ``RetryPolicy`` (tenacity).
* ``failures``: a status or transport error of one attempt -> the error to raise or retry.
* ``body``: reading a streamed body, decompressed, under the size cap.
* ``throttle``: per-host spacing of requests (arXiv), slots given back by attempts that never connected.
* ``unreachable``: hosts given up for the cycle, and the refusal of requests to them.
* ``counting``: client totals and per-caller ``RequestCount`` (``counting()``).
* ``conditional``: ``ValidatorStore`` and the validators sent and kept (``conditional()``).
* ``guards``: the URL guard run before every hop (``guarding()``); ``netguard``: the SSRF guard.
* ``ratelimit``: limits shared by every worker through Redis.
* ``hosts``: ``host_key`` (what is marked unreachable), words for network errors, the Hub-only token.
* ``response``: the fully read ``Response``.
* ``pagination``: ``paginate``.
"""

from __future__ import annotations

from tracker.http.client import MAX_REDIRECTS, HttpClient, make_client
from tracker.http.conditional import ValidatorStore
from tracker.http.counting import RequestCount
from tracker.http.hosts import host_key
from tracker.http.pagination import paginate
from tracker.http.response import Response
from tracker.http.retry import RETRY_STATUSES, parse_retry_after

__all__ = [
    "MAX_REDIRECTS",
    "RETRY_STATUSES",
    "HttpClient",
    "RequestCount",
    "Response",
    "ValidatorStore",
    "host_key",
    "make_client",
    "paginate",
    "parse_retry_after",
]
