"""The one HTTP funnel every source goes through: timeouts, retries, rate limits, size caps.

``make_client(settings)`` builds an ``HttpClient`` around a single ``httpx.AsyncClient``. What it
does to every request (timeouts and redirects, the decompressed-size cap, retries honouring
``Retry-After``, the arXiv throttle, the Hub token, per-caller counting, conditional requests,
URL guards, GitHub rate limits, unreachable hosts) is listed in ``tracker.http.client``.

``paginate`` follows GitHub-style ``Link: <...>; rel="next"`` headers (as the Hub does).

Modules:

* ``client``: ``HttpClient`` and ``make_client``: sending, retrying, throttling, counting.
* ``context``: per-caller state in context variables: ``RequestCount`` (``counting()``),
  ``ValidatorStore`` (``conditional()``), the URL guard (``guarding()``), the booked throttle slot.
* ``retry``: the statuses worth retrying, ``parse_retry_after``, the internal retry signal.
* ``hosts``: ``host_key`` (what is marked unreachable), words for network errors, the Hub-only token.
* ``response``: the fully read ``Response`` and the streamed body decoder under the size cap.
* ``pagination``: ``paginate``.
"""

from __future__ import annotations

from tracker.http.client import MAX_REDIRECTS, HttpClient, make_client
from tracker.http.context import RequestCount, ValidatorStore
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
