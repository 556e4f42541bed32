"""The fully read ``Response``, and the streamed body decoder that caps the decompressed size.

Bodies are decompressed here rather than by httpx, so that ``settings.http_max_body_bytes`` bounds
the *decompressed* bytes: a small gzip bomb fails instead of eating memory.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import httpx

from tracker.errors import SourceHTTPError


@dataclass(frozen=True, slots=True)
class Response:
    """A fully read HTTP response.

    Attributes:
        url (str): the final URL (after redirects).
        status_code (int): 2xx, or 304 for a conditional request answered Not Modified (then
            ``content`` is empty). Other statuses raise instead of returning.
        headers (httpx.Headers): response headers (case-insensitive).
        content (bytes): the decompressed body, at most ``settings.http_max_body_bytes``.
        links (dict): parsed ``Link`` header, ``httpx.Response.links`` shape: keyed by ``rel``
            (or URL), each value a dict with ``url`` and ``rel``.
    """

    url: str
    status_code: int
    headers: httpx.Headers
    content: bytes = field(repr=False)
    links: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)


class _CappedDecoder:
    """Decompress a streamed body while refusing to produce more than ``cap`` bytes.

    zlib's ``max_length`` bounds each call's output, so even a single highly compressed chunk
    cannot expand past the cap in memory.
    """

    def __init__(self, content_encoding: str, *, cap: int, url: str):
        self.cap = cap
        self.url = url
        self.size = 0
        self._parts: list[bytes] = []
        encodings = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
        encodings = [e for e in encodings if e != "identity"]
        if not encodings:
            self._zlib = None
        elif encodings == ["gzip"] or encodings == ["x-gzip"] or encodings == ["deflate"]:
            # wbits 47 = 32 + 15: accept a gzip or a zlib header (HTTP "deflate" is zlib).
            self._zlib = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)
        else:
            # We only advertise gzip/deflate; anything else is a server bug, not data.
            raise SourceHTTPError(
                f"GET {url}: unsupported Content-Encoding {content_encoding!r}", url=url
            )

    def feed(self, data: bytes) -> None:
        remaining = self.cap - self.size
        if self._zlib is not None:
            try:
                data = self._zlib.decompress(data, remaining + 1)
            except zlib.error as exc:
                raise SourceHTTPError(
                    f"GET {self.url}: corrupt compressed body ({exc})", url=self.url
                ) from exc
        if len(data) > remaining:
            raise SourceHTTPError(
                f"GET {self.url}: response body exceeds the {self.cap}-byte cap "
                "(TRACKER_HTTP_MAX_BODY_BYTES) after decompression",
                url=self.url,
            )
        self.size += len(data)
        self._parts.append(data)

    def finish(self) -> bytes:
        return b"".join(self._parts)
