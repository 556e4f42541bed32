"""The overall deadline of one attempt: a body that drips fails the attempt; queueing is not counted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.factories import offline_settings
from tracker.config import Settings
from tracker.errors import SourceHTTPError
from tracker.http import make_client


class Drip(httpx.AsyncByteStream):
    """A body of ``n`` bytes, one every ``every_s`` seconds."""

    def __init__(self, n: int, every_s: float):
        self.n, self.every_s = n, every_s

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.n):
            await asyncio.sleep(self.every_s)
            yield b" "


def _settings(tmp_path, deadline_s: float) -> Settings:  # type: ignore[no-untyped-def]
    return offline_settings(tmp_path, http_deadline=deadline_s, http_max_retries=2)


async def _get(settings: Settings, handler) -> httpx.Response:  # type: ignore[no-untyped-def]
    client = make_client(settings, transport=httpx.MockTransport(handler))
    client.backoff_base_s = 0
    async with client:
        return await client.get("http://drip.test/api/models")


def test_a_dripping_body_fails_each_attempt_at_the_deadline(tmp_path) -> None:  # type: ignore[no-untyped-def]
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, stream=Drip(100, 0.05))  # every read is quick; the whole is 5 s

    with pytest.raises(SourceHTTPError) as info:
        asyncio.run(_get(_settings(tmp_path, 0.3), handler))
    assert "no complete response within 0.3s" in str(info.value) and not info.value.permanent
    assert "gave up after 2 attempts" in str(info.value)
    assert len(calls) == 2


def test_a_body_within_the_deadline_is_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    handler = lambda request: httpx.Response(200, stream=Drip(5, 0.01))  # noqa: E731
    response = asyncio.run(_get(_settings(tmp_path, 2.0), handler))
    assert response.status_code == 200 and response.content == b"     "
