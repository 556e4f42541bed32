"""Per-caller state of ``HttpClient``, kept in context variables (this module is their one home).

* the open ``counting()`` blocks, each with its ``RequestCount``: a caller's own requests;
* the open ``conditional()`` block and its ``ValidatorStore``: conditional-request validators;
* the ``guarding()`` URL guard;
* the arXiv throttle slot booked by the current task's last request hop, given back when that
  attempt could not connect.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from tracker.http.client import HttpClient


@dataclass(slots=True)
class RequestCount:
    """Requests made inside one ``HttpClient.counting()`` block (and the tasks it started).

    Attributes:
        requests (int): HTTP attempts sent, counting every retry and redirect hop, plus requests
            refused at once because their host was found unreachable earlier (one each).
        not_modified (int): responses that were 304 Not Modified.
        unreachable (dict): hosts (``host_key``) that requests of this block failed to reach
            at the network level, each with the original error (``"network error: Connection
            refused"``); see ``HttpClient.unreachable``.
    """

    requests: int = 0
    not_modified: int = 0
    unreachable: dict[str, str] = field(default_factory=dict)


# The counters open in the current context, innermost last, each with the client it belongs to.
# asyncio tasks copy the context when created (``gather``, ``create_task``), so a task started
# inside ``counting()`` counts into that block, and two concurrent blocks never see each other.
_active_counts: contextvars.ContextVar[tuple[tuple[HttpClient, RequestCount], ...]] = (
    contextvars.ContextVar("tracker_http_active_counts", default=())
)


@dataclass(slots=True)
class ValidatorStore:
    """Conditional-request validators of one ``HttpClient.conditional()`` block.

    Attributes:
        stored (Mapping): validators from the previous poll, by request URL (query included):
            ``{"etag": '"abc"', "last_modified": "Wed, 21 Oct 2015 07:28:00 GMT"}``.
        seen (dict): validators to keep after this poll, same shape: fresh ones from 2xx
            answers, the stored ones for URLs answered 304. URLs not fetched are dropped.
    """

    stored: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    seen: dict[str, dict[str, str]] = field(default_factory=dict)


UrlGuard = Callable[[httpx.URL], Awaitable[None]]

# The throttle slot booked by the current task's last request hop: (host, previous, booked), or None.
_booked_turn: contextvars.ContextVar[tuple[str, float, float] | None] = contextvars.ContextVar(
    "tracker_http_booked_turn", default=None
)

_active_validators: contextvars.ContextVar[tuple[HttpClient, ValidatorStore] | None] = (
    contextvars.ContextVar("tracker_http_validators", default=None)
)
_active_guard: contextvars.ContextVar[UrlGuard | None] = contextvars.ContextVar(
    "tracker_http_url_guard", default=None
)
