"""The fully read ``Response`` that ``HttpClient`` returns: sources never see a half-read stream."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True, slots=True)
class Response:
    """A fully read HTTP response.

    Attributes:
        url (str): the final URL (after redirects).
        status_code (int): 2xx, or 304 for a conditional request answered Not Modified (then
            ``content`` is empty). Other statuses raise instead of returning.
        headers (httpx.Headers): response headers (case-insensitive).
        content (bytes): the decompressed body, at most ``settings.http.max_body_bytes``.
        links (dict): parsed ``Link`` header, ``httpx.Response.links`` shape: keyed by ``rel``
            (or URL), each value a dict with ``url`` and ``rel``.
    """

    url: str
    status_code: int
    headers: httpx.Headers
    content: bytes = field(repr=False)
    links: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)
