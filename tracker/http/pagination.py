"""``paginate`` follows GitHub-style ``Link: <...>; rel="next"`` headers (as the Hub does)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from tracker.errors import ParseError
from tracker.http.client import HttpClient
from tracker.http.response import Response


async def paginate(client: HttpClient, url: str, *, params: Mapping[str, Any] | None = None) -> AsyncIterator[Response]:
    """Yield every page of a listing, following ``Link: <...>; rel="next"`` headers.

    The Hub paginates GitHub-style: each page but the last carries a ``rel="next"`` link whose
    URL already holds the query (cursor included), so ``params`` apply to the first request only.

    Args:
        client (HttpClient): the client to fetch with.
        url (str): the first page's URL.
        params (Mapping, optional): query parameters of the first request.

    Yields:
        Response: each page, in order.

    Raises:
        ParseError: a next link points to a page already fetched (a loop), so the listing can
            never be complete.
        SourceHTTPError / RateLimitedError: from ``HttpClient.get``.
    """
    seen: set[str] = set()
    requested = str(httpx.URL(url).copy_merge_params(params)) if params else url
    response = await client.get(url, params=params)
    while True:
        if response.url in seen:  # a next link that redirects back to a fetched page
            raise ParseError(f"pagination loop: {requested} leads back to already fetched {response.url}")
        seen.update((requested, response.url))
        yield response
        next_link = response.links.get("next", {}).get("url")
        if not next_link:
            return
        requested = str(httpx.URL(response.url).join(next_link))
        if requested in seen:
            raise ParseError(f"pagination loop: {response.url} links back to already fetched {requested}")
        response = await client.get(requested)
