"""Per-host throttle of one ``HttpClient``: requests to some hosts are spaced a minimum interval apart.

arXiv's API terms ask for one request every 3 seconds, so requests to its host queue up across the
client's concurrent coroutines. An attempt that could not connect never reached the server: it
gives its slot back (``give_back``), and the next request in line goes at once instead of waiting
out an interval that protected nobody.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Mapping

import httpx

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


class HostThrottle:
    """Space requests to each throttled host at least its minimum interval apart (seconds).

    Args:
        min_interval (Mapping): seconds between two requests, by lower-case host name; hosts
            not listed (or listed with 0) are not throttled.
        sleep (callable): ``async sleep(seconds)`` used for every wait.
        clock (callable): monotonic clock in seconds.
    """

    def __init__(self, min_interval: Mapping[str, float], *, sleep: Sleep, clock: Clock):
        self._min_interval = dict(min_interval)
        self._sleep = sleep
        self._clock = clock
        self._next_slot: dict[str, float] = {}  # when the next request to each host may go
        self._given_back: dict[str, asyncio.Event] = {}  # set when a booked slot is given back
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait_turn(self, url: httpx.URL, *, before_booking: Callable[[], None] | None = None) -> None:
        """Wait for the next free slot of ``url``'s host, then book the one after it.

        The per-host lock makes concurrent coroutines queue up; each one sleeps until the slot
        after the previous request and then books the next slot (remembered for this task, so
        that ``give_back`` can return it).

        Args:
            url (httpx.URL): the request hop about to be sent.
            before_booking (callable, optional): called once the wait is over, before the slot is
                booked; raising there (a host found unreachable while queued) books nothing.
        """
        _booked_turn.set(None)
        host = url.host.lower()
        interval = self._min_interval.get(host)
        if not interval:
            return
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            while (wait := self._next_slot.get(host, 0.0) - self._clock()) > 0:
                await self._sleep_unless_given_back(host, wait)
            if before_booking is not None:
                before_booking()
            previous = self._next_slot.get(host, 0.0)
            booked = self._next_slot[host] = self._clock() + interval
            _booked_turn.set((host, previous, booked))

    def give_back(self) -> None:
        """Un-book this task's last slot when nobody booked after it, waking the next in line."""
        turn = _booked_turn.get()
        if turn is not None and self._next_slot.get(turn[0]) == turn[2]:
            self._next_slot[turn[0]] = turn[1]
            self._given_back.setdefault(turn[0], asyncio.Event()).set()

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


# The slot booked by the current task's last request hop: (host, previous slot, booked slot), or None.
_booked_turn: contextvars.ContextVar[tuple[str, float, float] | None] = contextvars.ContextVar(
    "tracker_http_booked_turn", default=None
)
