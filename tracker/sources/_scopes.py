"""Bookkeeping of a poll's ``SourceResult`` shared by the sources: scope outcomes and counters.

A poll is split into scopes (``hf:Qwen``, ``feeds:<url>``, ``github:releases:<owner/repo>``),
and each ends in exactly one of three states on the ``SourceResult``:

* complete (``complete_scopes``): fetched and parsed in full, so a missing artifact may be
  concluded withdrawn;
* not modified (``not_modified_scopes``): a conditional request answered 304, nothing parsed
  and nothing concluded;
* failed (``failures``): a ``TrackerError`` (HTTP, rate limit, bad body) became a
  ``ScopeFailure``; the other scopes still run.

``count_requests`` fills the result's ``requests``/``not_modified`` counters. What a scope
fetches, how it is parsed and what becomes an observation stay in the source modules; these
helpers only record the outcome.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from tracker.domain import ScopeFailure, SourceResult
from tracker.errors import TrackerError
from tracker.http import HttpClient, Response

__all__ = ["count_requests", "fetch_scope", "gather_scopes", "run_scope"]

T = TypeVar("T")


@contextmanager
def count_requests(client: HttpClient, result: SourceResult) -> Iterator[None]:
    """Count the HTTP requests made inside the block into ``result.requests``/``not_modified``.

    Only this block's requests are counted (``client.counting()``), even when other polls share
    the client; retries count as requests, 304 answers also count in ``not_modified``. The
    counters are written when the block exits normally.
    """
    with client.counting() as count:
        yield
    result.requests = count.requests
    result.not_modified = count.not_modified


def _failure(scope: str, exc: TrackerError) -> ScopeFailure:
    return ScopeFailure(scope=scope, error=str(exc), retry_after=exc.retry_after)


async def _capture(scope: str, work: Awaitable[T]) -> T | ScopeFailure:
    try:
        return await work
    except TrackerError as exc:
        return _failure(scope, exc)


async def run_scope(result: SourceResult, scope: str, work: Awaitable[T]) -> T | None:
    """Await one scope's work; on a ``TrackerError`` record a failure and return None.

    The scope is not marked complete: the caller decides (arXiv does only when every page of
    the query was fetched).

    Args:
        result (SourceResult): the poll's result; gets the ``ScopeFailure`` on error.
        scope (str): the scope name (``arxiv:<query>``).
        work (Awaitable): the fetch-and-parse coroutine; should not return None.

    Returns:
        The work's value, or None when it raised a ``TrackerError``. Other exceptions propagate.
    """
    outcome = await _capture(scope, work)
    if isinstance(outcome, ScopeFailure):
        result.failures.append(outcome)
        return None
    return outcome


async def fetch_scope(
    result: SourceResult, scope: str, fetch: Awaitable[Response], parse: Callable[[Response], T]
) -> T | None:
    """Fetch one scope with a (conditional) request, parse it and record the outcome.

    A 304 adds ``scope`` to ``not_modified_scopes`` (``parse`` is not called); a
    ``TrackerError`` from the request or from ``parse`` adds a ``ScopeFailure``; otherwise the
    scope is complete.

    Args:
        result (SourceResult): the poll's result.
        scope (str): the scope name (``feeds:<url>``).
        fetch (Awaitable[Response]): the request coroutine (``client.get(url, conditional=True)``).
        parse (Callable[[Response], T]): turns the 2xx response into the scope's items; raises
            ``ParseError`` on a bad body. Called at most once, before ``fetch_scope`` returns,
            so a lambda over the caller's loop variables is safe.

    Returns:
        The parsed value when the scope is complete, else None (not modified or failed).
    """
    try:
        response = await fetch
        if response.status_code == 304:
            result.not_modified_scopes.add(scope)
            return None
        parsed = parse(response)
    except TrackerError as exc:
        result.failures.append(_failure(scope, exc))
        return None
    result.complete_scopes.add(scope)
    return parsed


async def gather_scopes(result: SourceResult, works: Sequence[tuple[str, Awaitable[T]]]) -> list[T | None]:
    """Run several scopes concurrently; record failures in order and mark the others complete.

    Args:
        result (SourceResult): the poll's result.
        works (Sequence[tuple[str, Awaitable]]): ``(scope, coroutine)`` pairs (``("hf:Qwen",
            list_org_models(...))``).

    Returns:
        list: one entry per pair, in order: the coroutine's value, or None when the scope failed.
        Exceptions other than ``TrackerError`` propagate (as from ``asyncio.gather``).
    """
    outcomes = await asyncio.gather(*(_capture(scope, work) for scope, work in works))
    values: list[T | None] = []
    for (scope, _), outcome in zip(works, outcomes, strict=True):
        if isinstance(outcome, ScopeFailure):
            result.failures.append(outcome)
            values.append(None)
        else:
            result.complete_scopes.add(scope)
            values.append(outcome)
    return values
