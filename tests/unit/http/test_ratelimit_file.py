"""The file-backed Hub limits (no Redis): shared by every limiter on one data directory."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.factories import offline_settings
from tracker.errors import RateLimitedError
from tracker.http.ratelimit_file import FileLimiter

HUB = "http://hub.test"


def test_a_spent_window_blocks_the_other_process_until_it_resets(tmp_path: Path) -> None:
    settings = offline_settings(tmp_path, hf_endpoint=HUB, http_max_retry_after=120)
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async def scenario() -> None:
        a, b = FileLimiter(settings, sleep=record), FileLimiter(settings, sleep=record)  # two processes
        await a.note_response(f"{HUB}/api/models?author=x", {"RateLimit": '"api";r=0;t=30'})
        await b.acquire(f"{HUB}/api/models?author=y")
        await b.acquire("http://elsewhere.test/feed")  # not the Hub: never waits

    asyncio.run(scenario())
    assert len(waits) == 1 and 29 < waits[0] <= 30


def test_a_block_longer_than_the_retry_cap_fails_the_request(tmp_path: Path) -> None:
    settings = offline_settings(tmp_path, hf_endpoint=HUB, http_max_retry_after=10)

    async def scenario() -> None:
        limiter = FileLimiter(settings)
        await limiter.note_response(f"{HUB}/api/models", {"RateLimit": '"api";r=0;t=300'})
        await limiter.acquire(f"{HUB}/api/models")

    with pytest.raises(RateLimitedError) as info:
        asyncio.run(scenario())
    assert info.value.retry_after is not None and 290 < info.value.retry_after <= 300


def test_an_explicit_budget_is_counted_across_limiters(tmp_path: Path) -> None:
    settings = offline_settings(tmp_path, hf_endpoint=HUB, hub_requests_per_window=2, http_max_retry_after=0)

    async def scenario() -> None:
        a, b = FileLimiter(settings), FileLimiter(settings)
        await a.acquire(f"{HUB}/api/models?author=1")
        await b.acquire(f"{HUB}/api/models?author=2")
        await a.acquire(f"{HUB}/api/models?author=3")

    with pytest.raises(RateLimitedError, match="budget of 2 requests"):
        asyncio.run(scenario())
