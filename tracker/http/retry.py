"""Retry decisions: which statuses are worth retrying, ``Retry-After`` parsing, and the retry policy.

A failed attempt worth retrying raises ``TransientFailure``; ``RetryPolicy`` retries those with
tenacity, waiting the server's ``Retry-After`` when it sends one, else an exponential backoff with
jitter, and stops early once the host the attempt could not reach is given up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, stop_any
from tenacity.wait import wait_random_exponential

from tracker import external
from tracker.errors import SourceHTTPError

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""HTTP statuses worth retrying: timeouts, rate limits and gateway/server hiccups."""


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Parse a ``Retry-After`` header value into seconds to wait (RFC 9110 section 10.2.3).

    Delegates to ``tracker.external.retry_after_s``: delay-seconds or an HTTP-date.

    Args:
        value (str, optional): the raw header value; None when the header is absent.
        now (datetime, optional): the current UTC time used for HTTP-dates.

    Returns:
        float | None: seconds to wait (>= 0; 0 for a date in the past), or None when the header
        is absent or nonsensical (negative, infinite, garbage, more than a day: logged); the
        caller then falls back to its own backoff.
    """
    return external.retry_after_s(value, now=now)


class TransientFailure(Exception):
    """One attempt failed in a way worth retrying; ``error`` is what to raise once retries run out.

    Internal to ``tracker.http``: it never leaves ``HttpClient``.

    Attributes:
        error (SourceHTTPError): the error the request raises if this was its last attempt.
        retry_after (float, optional): seconds the server asked to wait (``Retry-After``).
        unreachable (str, optional): the ``host_key`` the attempt could not connect to (connect
            error or connect timeout, before any response); None for every other failure.
        reason (str): words for the failure (``"network error: Connection refused"``).
    """

    def __init__(
        self,
        error: SourceHTTPError,
        retry_after: float | None = None,
        *,
        unreachable: str | None = None,
        reason: str = "",
    ):
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after
        self.unreachable = unreachable
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How one logical request retries its ``TransientFailure`` attempts.

    Attributes:
        attempts (int): attempts in all, the first included.
        backoff_base_s (float): seconds; attempt n (1-based) is followed by a random wait in
            ``[0, base * 2**(n-1)]`` unless the server sent ``Retry-After``.
        backoff_max_s (float): seconds; cap on one backoff wait.
    """

    attempts: int
    backoff_base_s: float
    backoff_max_s: float

    def retrying(
        self, *, sleep: Callable[[float], Awaitable[None]], give_up: Callable[[TransientFailure], bool]
    ) -> AsyncRetrying:
        """Return the tenacity controller of one request.

        Args:
            sleep (callable): ``async sleep(seconds)`` for the waits between attempts.
            give_up (callable): ``give_up(failure)`` is True when no further attempt can help
                (its host was given up meanwhile); checked after each failed attempt.

        Returns:
            AsyncRetrying: re-raises the last ``TransientFailure`` when it stops.
        """

        def stop_early(state: RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            return isinstance(exc, TransientFailure) and give_up(exc)

        return AsyncRetrying(
            stop=stop_any(stop_after_attempt(self.attempts), stop_early),
            wait=self.wait_s,
            retry=retry_if_exception_type(TransientFailure),
            sleep=sleep,
            reraise=True,
        )

    def wait_s(self, state: RetryCallState) -> float:
        """Seconds to wait after a failed attempt: the server's Retry-After, else backoff with jitter."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientFailure) and exc.retry_after is not None:
            return exc.retry_after
        backoff = wait_random_exponential(multiplier=self.backoff_base_s, max=self.backoff_max_s)
        return backoff(state)
