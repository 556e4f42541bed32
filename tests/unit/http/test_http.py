"""Tests for tracker.http: the one HTTP funnel (retries, Retry-After, caps, redirects, throttle)."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import tracemalloc
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from tests.factories import offline_settings
from tracker.config import Settings
from tracker.errors import ParseError, RateLimitedError, SourceHTTPError
from tracker.http import HttpClient, make_client, paginate, parse_retry_after

HUB = "http://hub.test"
ARXIV = "http://arxiv.test/api/query"


class FakeTime:
    """A monotonic clock that only moves when something sleeps; records every sleep (seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def settings(tmp_path):
    return offline_settings(
        tmp_path, hf_endpoint=HUB, arxiv_endpoint=ARXIV, http_max_retries=3, http_max_retry_after=120
    )


@pytest.fixture
def fake_time():
    return FakeTime()


def client_for(settings: Settings, handler, fake_time: FakeTime) -> HttpClient:
    client = make_client(settings, transport=httpx.MockTransport(handler), sleep=fake_time.sleep, clock=fake_time.clock)
    client.backoff_base_s = 0
    return client


def run(coro):
    return asyncio.run(coro)


async def get(settings, handler, fake_time, url=f"{HUB}/api/models", **kwargs):
    async with client_for(settings, handler, fake_time) as client:
        try:
            return await client.get(url, **kwargs), client
        except Exception as exc:
            exc.client = client  # let the test inspect the counters
            raise


# --- parse_retry_after ---------------------------------------------------------------------------


def test_parse_retry_after_seconds():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 0 ") == 0.0


def test_parse_retry_after_http_date():
    now = datetime(2025, 10, 15, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 15 Oct 2025 12:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("Wed, 15 Oct 2025 11:00:00 GMT", now=now) == 0.0  # past -> 0


@pytest.mark.parametrize("value", [None, "", "-5", "soon", "1e9999", "Wed, 99 Foo 2025", "NaN"])
def test_parse_retry_after_ignores_absent_negative_and_garbage(value):
    assert parse_retry_after(value) is None


# --- success paths ---------------------------------------------------------------------------------


def test_get_returns_body_headers_and_sends_user_agent(settings, fake_time):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json=[1, 2], headers={"ETag": '"abc"'})

    response, client = run(get(settings, handler, fake_time, params={"author": "Qwen"}))
    assert response.status_code == 200
    assert response.content == b"[1,2]"
    assert response.headers["etag"] == '"abc"'
    assert response.url == f"{HUB}/api/models?author=Qwen"
    assert seen[0].headers["User-Agent"] == settings.http.user_agent
    assert client.requests == 1


def test_get_decompresses_gzip_bodies(settings, fake_time):
    body = b'{"ok": true}' * 100

    def handler(request):
        assert "gzip" in request.headers["Accept-Encoding"]
        return httpx.Response(200, stream=httpx.ByteStream(gzip.compress(body)), headers={"Content-Encoding": "gzip"})

    response, _ = run(get(settings, handler, fake_time))
    assert response.content == body


def test_304_is_returned_and_counted(settings, fake_time):
    def handler(request):
        assert request.headers["If-None-Match"] == '"abc"'
        return httpx.Response(304)

    response, client = run(get(settings, handler, fake_time, headers={"If-None-Match": '"abc"'}))
    assert response.status_code == 304
    assert response.content == b""
    assert client.not_modified == 1


def test_redirect_301_is_followed(settings, fake_time):
    def handler(request):
        if request.url.path == "/old-feed":
            return httpx.Response(301, headers={"Location": f"{HUB}/new-feed"})
        return httpx.Response(200, content=b"moved content")

    response, client = run(get(settings, handler, fake_time, url=f"{HUB}/old-feed"))
    assert response.content == b"moved content"
    assert response.url == f"{HUB}/new-feed"
    assert client.requests == 2  # both hops count


def test_redirect_loop_fails_permanently(settings, fake_time):
    def handler(request):
        return httpx.Response(302, headers={"Location": str(request.url)})

    with pytest.raises(SourceHTTPError) as info:
        run(get(settings, handler, fake_time))
    assert info.value.permanent
    assert "redirects" in str(info.value)


# --- pagination ------------------------------------------------------------------------------------


def test_paginate_follows_link_next_over_three_pages(settings, fake_time):
    requested = []

    def handler(request):
        requested.append(str(request.url))
        cursor = request.url.params.get("cursor")
        page = {None: 1, "p2": 2, "p3": 3}[cursor]
        headers = {}
        if page < 3:
            headers["Link"] = f'<{HUB}/api/models?author=Qwen&cursor=p{page + 1}>; rel="next"'
        return httpx.Response(200, json=[page], headers=headers)

    async def main():
        async with client_for(settings, handler, fake_time) as client:
            pages = [r.content async for r in paginate(client, f"{HUB}/api/models", params={"author": "Qwen"})]
            return pages, client.requests

    pages, requests = run(main())
    assert pages == [b"[1]", b"[2]", b"[3]"]
    assert requests == 3
    assert requested[0] == f"{HUB}/api/models?author=Qwen"
    assert requested[2] == f"{HUB}/api/models?author=Qwen&cursor=p3"


def test_paginate_refuses_a_next_link_that_loops(settings, fake_time):
    def handler(request):
        cursor = request.url.params.get("cursor")
        nxt = "b" if cursor is None else "a" if cursor == "b" else "b"
        return httpx.Response(200, json=[], headers={"Link": f'</api/models?cursor={nxt}>; rel="next"'})

    async def main():
        async with client_for(settings, handler, fake_time) as client:
            return [r async for r in paginate(client, f"{HUB}/api/models?cursor=a")]

    with pytest.raises(ParseError, match=r"pagination loop"):
        run(main())


# --- retries ---------------------------------------------------------------------------------------


def sequence(*responses):
    """A handler answering with each response (or raising each exception) in turn."""
    items = list(responses)
    calls = []

    def handler(request):
        calls.append(request)
        item = items[min(len(calls), len(items)) - 1]
        if isinstance(item, Exception):
            raise item
        return item

    handler.calls = calls
    return handler


def test_429_with_retry_after_seconds_then_success(settings, fake_time):
    handler = sequence(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, content=b"ok"))
    response, client = run(get(settings, handler, fake_time))
    assert response.content == b"ok"
    assert fake_time.sleeps == [7.0]
    assert client.requests == 2


def test_429_with_retry_after_http_date(settings, fake_time):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    handler = sequence(httpx.Response(429, headers={"Retry-After": when}), httpx.Response(200, content=b"ok"))
    response, _ = run(get(settings, handler, fake_time))
    assert response.content == b"ok"
    assert len(fake_time.sleeps) == 1
    assert 25 <= fake_time.sleeps[0] <= 30


def test_absurd_retry_after_raises_rate_limited_without_sleeping(settings, fake_time):
    handler = sequence(httpx.Response(429, headers={"Retry-After": "86400"}), httpx.Response(200))
    with pytest.raises(RateLimitedError) as info:
        run(get(settings, handler, fake_time))
    assert info.value.retry_after == 86400
    assert info.value.status_code == 429
    assert not info.value.permanent
    assert fake_time.sleeps == []
    assert len(handler.calls) == 1


def test_garbage_retry_after_falls_back_to_backoff(settings, fake_time):
    handler = sequence(httpx.Response(503, headers={"Retry-After": "-3"}), httpx.Response(200, content=b"ok"))
    response, _ = run(get(settings, handler, fake_time))
    assert response.content == b"ok"
    assert fake_time.sleeps == [0]  # backoff base is zero in tests


def test_503_then_success(settings, fake_time):
    handler = sequence(httpx.Response(503), httpx.Response(200, content=b"ok"))
    response, client = run(get(settings, handler, fake_time))
    assert response.content == b"ok"
    assert client.requests == 2


def test_500_forever_fails_after_max_attempts(settings, fake_time):
    handler = sequence(httpx.Response(500))
    with pytest.raises(SourceHTTPError) as info:
        run(get(settings, handler, fake_time))
    err = info.value
    assert not isinstance(err, RateLimitedError)
    assert err.status_code == 500
    assert err.url == f"{HUB}/api/models"
    assert not err.permanent
    assert "3 attempts" in str(err)
    assert len(handler.calls) == settings.http.max_retries == 3
    assert err.client.requests == 3


def test_429_forever_raises_rate_limited_after_max_attempts(settings, fake_time):
    handler = sequence(httpx.Response(429, headers={"Retry-After": "2"}))
    with pytest.raises(RateLimitedError) as info:
        run(get(settings, handler, fake_time))
    assert info.value.retry_after == 2
    assert fake_time.sleeps == [2.0, 2.0]
    assert len(handler.calls) == 3


def test_backoff_grows_exponentially_with_jitter(settings, fake_time):
    handler = sequence(httpx.Response(502))

    async def main():
        async with client_for(settings, handler, fake_time) as client:
            client.backoff_base_s = 1.0
            with pytest.raises(SourceHTTPError):
                await client.get(f"{HUB}/x")

    run(main())
    assert len(fake_time.sleeps) == 2
    assert 0 <= fake_time.sleeps[0] <= 2 and 0 <= fake_time.sleeps[1] <= 4


def test_timeout_is_retried_then_fails(settings, fake_time):
    handler = sequence(httpx.ReadTimeout("slow"))
    with pytest.raises(SourceHTTPError) as info:
        run(get(settings, handler, fake_time))
    assert "timed out" in str(info.value)
    assert not info.value.permanent
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert len(handler.calls) == 3


def test_network_error_then_success(settings, fake_time):
    handler = sequence(httpx.ConnectError("refused"), httpx.Response(200, content=b"ok"))
    response, client = run(get(settings, handler, fake_time))
    assert response.content == b"ok"
    assert client.requests == 2


def test_404_is_permanent_and_not_retried(settings, fake_time):
    handler = sequence(httpx.Response(404))
    with pytest.raises(SourceHTTPError) as info:
        run(get(settings, handler, fake_time))
    assert info.value.permanent
    assert info.value.status_code == 404
    assert len(handler.calls) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_401_403_are_permanent_and_mention_hf_token(settings, fake_time, status):
    handler = sequence(httpx.Response(status))
    with pytest.raises(SourceHTTPError) as info:
        run(get(settings, handler, fake_time))
    assert info.value.permanent
    assert "HF_TOKEN" in str(info.value) and "gated" in str(info.value)
    assert len(handler.calls) == 1


# --- body cap --------------------------------------------------------------------------------------


def test_gzip_bomb_is_capped_without_inflating_it(tmp_path, fake_time):
    settings = Settings(
        data_dir=tmp_path, hf_endpoint=HUB, arxiv_endpoint=ARXIV, arxiv_min_interval=0, http_max_body_bytes=64 * 1024
    )
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)  # 64 MiB -> ~64 KiB
    assert len(bomb) < 100 * 1024

    def handler(request):
        return httpx.Response(200, stream=httpx.ByteStream(bomb), headers={"Content-Encoding": "gzip"})

    tracemalloc.start()
    try:
        with pytest.raises(SourceHTTPError) as info:
            run(get(settings, handler, fake_time))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not info.value.permanent
    assert "65536-byte cap" in str(info.value)
    assert peak < 8 * 1024 * 1024  # never anywhere near the 64 MiB the bomb expands to


def test_plain_body_over_the_cap_fails(tmp_path, fake_time):
    settings = Settings(
        data_dir=tmp_path, hf_endpoint=HUB, arxiv_endpoint=ARXIV, arxiv_min_interval=0, http_max_body_bytes=2048
    )

    def handler(request):
        return httpx.Response(200, stream=httpx.ByteStream(b"x" * 5000))

    with pytest.raises(SourceHTTPError, match=r"2048-byte cap"):
        run(get(settings, handler, fake_time))


def test_corrupt_gzip_is_a_transient_error(settings, fake_time):
    def handler(request):
        return httpx.Response(200, stream=httpx.ByteStream(b"not gzip at all"), headers={"Content-Encoding": "gzip"})

    with pytest.raises(SourceHTTPError, match=r"corrupt compressed body") as info:
        run(get(settings, handler, fake_time))
    assert not info.value.permanent


# --- HF token --------------------------------------------------------------------------------------


def test_hf_token_is_sent_only_to_the_hub_host(tmp_path, fake_time):
    settings = Settings(
        data_dir=tmp_path, hf_endpoint=HUB, arxiv_endpoint=ARXIV, arxiv_min_interval=0, hf_token="hf_secret"
    )
    auth_by_url = {}

    def handler(request):
        auth_by_url[str(request.url)] = request.headers.get("Authorization")
        if request.url.path == "/to-cdn":
            return httpx.Response(302, headers={"Location": "http://cdn.test/file"})
        return httpx.Response(200)

    async def main():
        async with client_for(settings, handler, fake_time) as client:
            await client.get(f"{HUB}/api/models")
            await client.get(ARXIV)
            await client.get("http://other.test/x")
            await client.get(f"{HUB}/to-cdn")

    run(main())
    assert auth_by_url[f"{HUB}/api/models"] == "Bearer hf_secret"
    assert auth_by_url[f"{HUB}/to-cdn"] == "Bearer hf_secret"
    assert auth_by_url[ARXIV] is None
    assert auth_by_url["http://other.test/x"] is None
    assert auth_by_url["http://cdn.test/file"] is None  # not carried across a redirect


def test_no_authorization_header_without_token(settings, fake_time):
    handler = sequence(httpx.Response(200))
    run(get(settings, handler, fake_time))
    assert "Authorization" not in handler.calls[0].headers


# --- throttle --------------------------------------------------------------------------------------


def test_arxiv_requests_are_spaced_across_concurrent_coroutines(tmp_path, fake_time):
    settings = Settings(data_dir=tmp_path, hf_endpoint=HUB, arxiv_endpoint=ARXIV, arxiv_min_interval=3)
    sent_at = {"arxiv.test": [], "hub.test": []}

    def handler(request):
        sent_at[request.url.host].append(fake_time.now)
        return httpx.Response(200)

    async def main():
        async with client_for(settings, handler, fake_time) as client:
            await asyncio.gather(
                *(client.get(ARXIV, params={"start": i}) for i in range(3)),
                *(client.get(f"{HUB}/api/models") for _ in range(3)),
            )

    run(main())
    assert sent_at["arxiv.test"] == [1000.0, 1003.0, 1006.0]
    # Other hosts are not throttled: only the two later arXiv requests slept. (The Hub requests'
    # fake timestamps may read after an arXiv sleep: the shared Hub budget is read in a thread.)
    assert len(sent_at["hub.test"]) == 3
    assert fake_time.sleeps == [3.0, 3.0]


def test_throttle_only_waits_for_what_remains_of_the_interval(tmp_path, fake_time):
    settings = Settings(data_dir=tmp_path, hf_endpoint=HUB, arxiv_endpoint=ARXIV, arxiv_min_interval=3)

    async def main():
        async with client_for(settings, sequence(httpx.Response(200)), fake_time) as client:
            await client.get(ARXIV)
            fake_time.now += 2  # time passes doing other work
            await client.get(ARXIV)

    run(main())
    assert fake_time.sleeps == [pytest.approx(1.0)]


def test_zero_interval_means_no_throttle(settings, fake_time):
    async def main():
        async with client_for(settings, sequence(httpx.Response(200)), fake_time) as client:
            await asyncio.gather(*(client.get(ARXIV) for _ in range(3)))

    run(main())
    assert fake_time.sleeps == []


# --- per-caller request counts (HttpClient.counting) ---------------------------------------------


def test_counting_counts_only_the_current_context_and_its_tasks(settings, fake_time):
    """Concurrent callers on one client each get their own count, retries and 304s included."""
    attempts: dict[str, int] = {}

    async def handler(request):
        await asyncio.sleep(0)  # interleave the callers
        path = request.url.path
        attempts[path] = attempts.get(path, 0) + 1
        if path == "/flaky" and attempts[path] == 1:
            return httpx.Response(503)
        if path == "/cached":
            return httpx.Response(304)
        return httpx.Response(200, content=b"ok")

    async def caller(client, paths):
        with client.counting() as count:
            # tasks created inside the block inherit its context and count into it
            await asyncio.gather(*(client.get(f"{HUB}{p}") for p in paths))
        return count

    async def main():
        async with client_for(settings, handler, fake_time) as client:
            with client.counting() as outer:
                first, second = await asyncio.gather(
                    caller(client, ["/a", "/flaky", "/cached"]), caller(client, ["/b"])
                )
            await client.get(f"{HUB}/after")  # outside every block: totals only
            return client, outer, first, second

    client, outer, first, second = run(main())
    assert (first.requests, first.not_modified) == (4, 1)  # /a, /flaky twice, /cached
    assert (second.requests, second.not_modified) == (1, 0)
    assert (outer.requests, outer.not_modified) == (5, 1)  # nested blocks count in the outer one
    assert (client.requests, client.not_modified) == (6, 1)


def test_counting_ignores_requests_of_another_client(settings, fake_time):
    def handler(request):
        return httpx.Response(200, content=b"ok")

    async def main():
        async with client_for(settings, handler, fake_time) as one, client_for(settings, handler, fake_time) as two:
            with one.counting() as count:
                await one.get(f"{HUB}/x")
                await two.get(f"{HUB}/y")
                await two.get(f"{HUB}/z")
            return count, one, two

    count, one, two = run(main())
    assert count.requests == 1
    assert (one.requests, two.requests) == (1, 2)


# --- unreachable hosts (a poll cycle gives a host up after one request's retries) ---------------


@pytest.fixture
def refused_url():
    """A URL on 127.0.0.1 whose port refuses connections (bound for a free port, then closed)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class CountingTransport(httpx.AsyncHTTPTransport):
    """The real network transport, counting the requests handed to it (= connection attempts)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []

    async def handle_async_request(self, request):
        self.sent.append(str(request.url))
        return await super().handle_async_request(request)


def real_client(settings, transport, fake_time) -> HttpClient:
    client = make_client(settings, transport=transport, sleep=fake_time.sleep, clock=fake_time.clock)
    client.backoff_base_s = 0
    return client


def test_refused_port_marks_the_host_and_the_next_request_sends_nothing(settings, fake_time, refused_url):
    transport = CountingTransport()

    async def main():
        async with real_client(settings, transport, fake_time) as client:
            with client.counting() as count:
                with pytest.raises(SourceHTTPError) as first:
                    await client.get(f"{refused_url}/api/models?author=Qwen")
                sleeps_after_first = len(fake_time.sleeps)
                with pytest.raises(SourceHTTPError) as second:
                    await client.get(f"{refused_url}/api/models?author=deepseek-ai")
            return client, count, first.value, second.value, sleeps_after_first

    client, count, first, second, sleeps_after_first = run(main())
    assert isinstance(first.__cause__, httpx.ConnectError)  # what a refused port maps to in httpx
    assert "Connection refused" in str(first) and "gave up after 3 attempts" in str(first)
    assert len(transport.sent) == 3  # the first request's attempts; the second sent nothing
    assert all("author=Qwen" in url for url in transport.sent)
    assert len(fake_time.sleeps) == sleeps_after_first  # and did not wait either
    host = refused_url.removeprefix("http://")
    assert client.unreachable == {host: "network error: Connection refused"}
    assert "author=deepseek-ai" in str(second) and "not sent" in str(second)
    assert f"{host} was unreachable earlier in this poll cycle (network error: Connection refused)" in str(second)
    assert not second.permanent and second.status_code is None
    # counted like a failed attempt, so health and metrics see a failure rather than zero requests
    assert (client.requests, count.requests) == (4, 4)
    assert count.unreachable == client.unreachable


def test_a_new_client_tries_an_unreachable_host_again(settings, fake_time, refused_url):
    transport = CountingTransport()

    async def cycle():
        async with real_client(settings, transport, fake_time) as client:
            for path in ("/a", "/b"):
                with pytest.raises(SourceHTTPError):
                    await client.get(f"{refused_url}{path}")

    run(cycle())
    assert len(transport.sent) == 3
    run(cycle())
    assert len(transport.sent) == 6  # the next cycle's client sends its first request again


def test_another_host_is_unaffected_by_an_unreachable_one(settings, fake_time):
    calls: list[str] = []

    def handler(request):
        calls.append(request.url.host)
        if request.url.host == "down.test" and request.url.port is None:
            raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)
        return httpx.Response(200, content=b"ok")

    async def main():
        async with client_for(settings, handler, fake_time) as client:
            with pytest.raises(SourceHTTPError):
                await client.get("http://down.test/a")
            with pytest.raises(SourceHTTPError, match=r"unreachable earlier"):
                await client.get("http://down.test/b")
            response = await client.get(f"{HUB}/api/models")
            other_port = await client.get("http://down.test:8080/c")  # another port is another host
            return client, response, other_port

    client, response, other_port = run(main())
    assert response.content == b"ok"
    assert client.unreachable == {"down.test": "network error: [Errno -2] Name or service not known"}
    assert calls.count("down.test") == 3 + 0 + 1
    assert other_port.content == b"ok"


def test_http_503_does_not_mark_the_host(settings, fake_time):
    handler = sequence(httpx.Response(503))

    async def main():
        async with client_for(settings, handler, fake_time) as client:
            for path in ("/a", "/b"):
                with pytest.raises(SourceHTTPError, match=r"503"):
                    await client.get(f"{HUB}{path}")
            return client

    client = run(main())
    assert client.unreachable == {}
    assert len(handler.calls) == 6  # both requests were sent, with all their retries


@pytest.mark.parametrize(
    "errors, marked",
    [
        ([httpx.ConnectTimeout("connect timed out")], True),  # nothing answered within the timeout
        ([httpx.ReadTimeout("slow")], False),  # connected: the host answered, slowly
        ([httpx.RemoteProtocolError("Server disconnected without sending a response")], False),
        ([httpx.Response(503), httpx.ConnectError("refused"), httpx.ConnectError("refused")], False),
    ],
)
def test_only_requests_that_never_connected_mark_the_host(settings, fake_time, errors, marked):
    handler = sequence(*errors)

    async def main():
        async with client_for(settings, handler, fake_time) as client:
            with pytest.raises(SourceHTTPError):
                await client.get(f"{HUB}/a")
            marked_after_first = bool(client.unreachable)
            with pytest.raises(SourceHTTPError):
                await client.get(f"{HUB}/b")
            return marked_after_first

    assert run(main()) is marked
    sent_b = [r for r in handler.calls if r.url.path == "/b"]
    assert len(sent_b) == (0 if marked else 3)


def test_a_redirect_to_an_unreachable_host_is_not_sent(settings, fake_time):
    calls: list[str] = []

    def handler(request):
        calls.append(str(request.url))
        if request.url.host == "down.test":
            raise httpx.ConnectError("refused")
        return httpx.Response(302, headers={"Location": "http://down.test/moved"})

    async def main():
        async with client_for(settings, handler, fake_time) as client:
            with pytest.raises(SourceHTTPError):
                await client.get("http://down.test/first")
            with pytest.raises(SourceHTTPError, match=r"not sent: down.test was unreachable"):
                await client.get(f"{HUB}/redirects-to-down")
            return client

    client = run(main())
    assert calls == ["http://down.test/first"] * 3 + [f"{HUB}/redirects-to-down"]
    assert list(client.unreachable) == ["down.test"]


def test_a_request_retrying_for_a_host_stops_once_the_host_is_marked(settings, fake_time):
    """B's first attempt fails after A marked the host: B gives up instead of retrying."""
    a_done, b_sent = asyncio.Event(), asyncio.Event()
    calls: list[str] = []

    async def handler(request):
        calls.append(request.url.path)
        if request.url.path == "/b":  # B's attempt is in flight while A fails and marks the host
            b_sent.set()
            await a_done.wait()
        else:  # the order does not rest on how the event loop schedules the two (throttles, threads)
            await b_sent.wait()
        raise httpx.ConnectError("refused")

    async def main():
        async with client_for(settings, handler, fake_time) as client:

            async def a():
                try:
                    await client.get(f"{HUB}/a")
                finally:
                    a_done.set()

            results = await asyncio.gather(a(), client.get(f"{HUB}/b"), return_exceptions=True)
            return results

    _a_error, b_error = run(main())
    assert calls.count("/a") == 3
    assert calls.count("/b") == 1
    assert "gave up after 1 attempts" in str(b_error)


def test_arxiv_attempts_that_cannot_connect_give_their_throttle_slot_back(tmp_path, fake_time):
    """Concurrent arXiv queries against a dead host do not queue 3 s apart behind each other,
    while an attempt that reached the server (a 503) keeps its slot."""
    settings = Settings(
        data_dir=tmp_path, hf_endpoint=HUB, arxiv_endpoint=ARXIV, arxiv_min_interval=3, http_max_retries=3
    )
    sent_at: list[float] = []

    def handler(request):
        sent_at.append(fake_time.now)
        if request.url.params.get("q") == "up":
            return httpx.Response(503)
        raise httpx.ConnectError("refused")

    async def main():
        async with client_for(settings, handler, fake_time) as client:
            results = await asyncio.gather(
                *(client.get(ARXIV, params={"q": i}) for i in range(4)), return_exceptions=True
            )
            marked = dict(client.unreachable)
            client.unreachable.clear()  # the host answers again: real answers are spaced
            await asyncio.gather(*(client.get(ARXIV, params={"q": "up"}) for _ in range(2)), return_exceptions=True)
            return results, marked

    results, marked = run(main())
    assert all(isinstance(r, SourceHTTPError) for r in results)
    assert list(marked) == ["arxiv.test"]
    dead, up = sent_at[:-6], sent_at[-6:]
    assert len(dead) <= 4 * 3 and set(dead) == {1000.0}  # no 3 s waits between refused attempts
    assert up[0] == 1000.0 and all(b - a >= 3 for a, b in itertools.pairwise(up))


def test_a_request_queued_behind_the_arxiv_throttle_is_woken_and_refused_when_the_host_is_marked(tmp_path):
    """B waits its 3 s turn behind A; A cannot connect: B wakes at once and sends nothing."""
    settings = Settings(
        data_dir=tmp_path, hf_endpoint=HUB, arxiv_endpoint=ARXIV, arxiv_min_interval=3, http_max_retries=1
    )
    sleeps: list[float] = []
    b_waiting = asyncio.Event()
    calls: list[str] = []

    async def never_wakes(seconds):  # only an early wake-up lets a sleeper go on
        sleeps.append(seconds)
        b_waiting.set()
        await asyncio.Event().wait()

    async def handler(request):
        calls.append(request.url.params["q"])
        await b_waiting.wait()  # fail only once B is queued for the next slot
        raise httpx.ConnectError("refused")

    async def main():
        client = make_client(settings, transport=httpx.MockTransport(handler), sleep=never_wakes)
        async with client:
            a, b = await asyncio.wait_for(
                asyncio.gather(
                    client.get(ARXIV, params={"q": "a"}), client.get(ARXIV, params={"q": "b"}), return_exceptions=True
                ),
                timeout=10,
            )  # a hang guard, not a timing assertion
            return a, b

    a, b = run(main())
    assert calls == ["a"]
    assert sleeps == [pytest.approx(3, abs=0.5)]  # B started waiting for its turn ...
    assert "gave up after 1 attempts" in str(a)
    assert "not sent: arxiv.test was unreachable earlier" in str(b)  # ... and was refused, not sent
