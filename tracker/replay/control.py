"""The replay hub's control endpoints, for tests and demos driving a hub over HTTP.

* ``GET /_replay/clock``, ``POST /_replay/clock`` with ``{"now": ISO}`` or ``{"advance_s": seconds}``:
  read or move the hub's "now" (answers ``{"now": ISO}``, UTC).
* ``POST /_replay/faults`` with one fault or a list (``HubState.add_fault``'s arguments),
  ``DELETE /_replay/faults``: inject or clear faults.
* ``GET /_replay/stats``, ``DELETE /_replay/stats``: read or reset the request counts.

They are never delayed, faulted or counted.
"""

from __future__ import annotations

import json
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tracker.replay.clock import parse_time
from tracker.replay.responses import error_response, json_response
from tracker.replay.state import HubState

__all__ = ["control_routes"]


def _iso(dt: datetime) -> str:
    return parse_time(dt).strftime("%Y-%m-%dT%H:%M:%S") + (f".{dt.microsecond:06d}" if dt.microsecond else "") + "Z"


def _state(request: Request) -> HubState:
    return request.app.state.replay  # type: ignore[no-any-return]


async def clock_get(request: Request) -> Response:
    """``GET /_replay/clock``: the hub's now."""
    return json_response({"now": _iso(_state(request).clock.now())})


async def clock_post(request: Request) -> Response:
    """``POST /_replay/clock``: set (``now``) or move (``advance_s``) the hub's now."""
    clock = _state(request).clock
    try:
        data = await request.json()
        if "now" in data:
            clock.set(parse_time(data["now"]))
        elif "advance_s" in data:
            clock.advance(float(data["advance_s"]))
        else:
            return error_response(400, 'expected {"now": iso} or {"advance_s": seconds}')
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        return error_response(400, f"bad clock request: {exc}")
    return json_response({"now": _iso(clock.now())})


async def faults_post(request: Request) -> Response:
    """``POST /_replay/faults``: add one fault or a list of them."""
    state = _state(request)
    try:
        data = await request.json()
        for fault in data if isinstance(data, list) else [data]:
            state.add_fault(**fault)
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        return error_response(400, f"bad fault: {exc}")
    return json_response({"ok": True})


async def faults_delete(request: Request) -> Response:
    """``DELETE /_replay/faults``: drop every pending fault."""
    _state(request).clear_faults()
    return json_response({"ok": True})


async def stats_get(request: Request) -> Response:
    """``GET /_replay/stats``: the request counts (``HubState.stats``)."""
    return json_response(_state(request).stats())


async def stats_delete(request: Request) -> Response:
    """``DELETE /_replay/stats``: zero the request counts."""
    _state(request).reset_stats()
    return json_response({"ok": True})


def control_routes() -> list[Route]:
    """The control endpoints' routes."""
    return [
        Route("/_replay/clock", clock_get, methods=["GET"]),
        Route("/_replay/clock", clock_post, methods=["POST"]),
        Route("/_replay/faults", faults_post, methods=["POST"]),
        Route("/_replay/faults", faults_delete, methods=["DELETE"]),
        Route("/_replay/stats", stats_get, methods=["GET"]),
        Route("/_replay/stats", stats_delete, methods=["DELETE"]),
    ]
