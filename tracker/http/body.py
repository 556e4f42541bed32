"""Reading a response body under the size cap, decompressing it here rather than in httpx.

``settings.http.max_body_bytes`` bounds the *decompressed* bytes: a small gzip bomb fails instead of
eating memory. zlib's ``max_length`` bounds each call's output, so even a single highly compressed
chunk cannot expand past the cap in memory.
"""

from __future__ import annotations

import zlib

import httpx

from tracker import external
from tracker.errors import SourceHTTPError


class CappedDecoder:
    """Decompress a streamed body while refusing to produce more than ``cap`` bytes.

    Args:
        content_encoding (str): the ``Content-Encoding`` header ("" for none); gzip, x-gzip,
            deflate and identity are understood.
        cap (int): bytes of decompressed body allowed.
        url (str): named in errors.

    Raises:
        SourceHTTPError: (transient) an encoding we never asked for.
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
            raise SourceHTTPError(f"GET {url}: unsupported Content-Encoding {content_encoding!r}", url=url)

    def feed(self, data: bytes) -> None:
        """Decompress one raw chunk.

        Raises:
            SourceHTTPError: (transient) corrupt compressed data, or the cap exceeded.
        """
        remaining = self.cap - self.size
        if self._zlib is not None:
            try:
                data = self._zlib.decompress(data, remaining + 1)
            except zlib.error as exc:
                raise SourceHTTPError(f"GET {self.url}: corrupt compressed body ({exc})", url=self.url) from exc
        if len(data) > remaining:
            raise SourceHTTPError(
                f"GET {self.url}: response body exceeds the {self.cap}-byte cap "
                "(TRACKER_HTTP_MAX_BODY_BYTES) after decompression",
                url=self.url,
            )
        self.size += len(data)
        self._parts.append(data)

    def finish(self) -> bytes:
        """The decompressed body so far (all of it once the stream is exhausted)."""
        return b"".join(self._parts)


async def read_capped(resp: httpx.Response, url: str, *, cap: int) -> bytes:
    """Read the whole body of a streamed response, decompressed, at most ``cap`` bytes.

    Args:
        resp (httpx.Response): a response opened with ``stream``; its raw bytes are read here.
        url (str): named in errors.
        cap (int): bytes of decompressed body allowed.

    Returns:
        bytes: the decompressed body.

    Raises:
        SourceHTTPError: (transient) the body, declared or decompressed, exceeds ``cap``; an
            unsupported encoding; corrupt compressed data.
    """
    if resp.is_stream_consumed:
        # Already in memory and decoded by httpx: a transport that built its response with
        # ``content=`` (e.g. httpx.MockTransport in tests). Only the cap can still apply.
        if len(resp.content) > cap:
            raise SourceHTTPError(
                f"GET {url}: response body exceeds the {cap}-byte cap (TRACKER_HTTP_MAX_BODY_BYTES)",
                url=url,
            )
        return resp.content
    declared = external.content_length(resp.headers.get("Content-Length"), what=f"Content-Length of {url}")
    encoding = resp.headers.get("Content-Encoding", "")
    if not encoding and declared is not None and declared > cap:
        raise SourceHTTPError(
            f"GET {url}: response body of {declared} bytes exceeds the {cap}-byte cap (TRACKER_HTTP_MAX_BODY_BYTES)",
            url=url,
        )
    decoder = CappedDecoder(encoding, cap=cap, url=url)
    async for chunk in resp.aiter_raw():
        decoder.feed(chunk)
    return decoder.finish()
