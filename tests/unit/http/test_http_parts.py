"""The collaborators behind ``HttpClient``, each on its own: retry policy, body cap, validators,
unreachable marks, the per-host throttle and per-caller counting."""

from __future__ import annotations

import asyncio
import gzip

import httpx
import pytest
from tenacity import RetryCallState

from tracker.errors import SourceHTTPError
from tracker.http.body import CappedDecoder
from tracker.http.conditional import ConditionalRequests, ValidatorStore, request_key
from tracker.http.counting import RequestCounter
from tracker.http.failures import status_failure, transport_failure
from tracker.http.retry import RetryPolicy, TransientFailure
from tracker.http.throttle import HostThrottle
from tracker.http.unreachable import UnreachableHosts


def _failure(retry_after: float | None = None, unreachable: str | None = None) -> TransientFailure:
    return TransientFailure(
        SourceHTTPError("GET x: boom", url="x"),
        retry_after,
        unreachable=unreachable,
        reason="network error: Connection refused",
    )


def _state(exc: BaseException, attempt: int = 1) -> RetryCallState:
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = attempt
    state.set_exception((type(exc), exc, None))
    return state


def test_retry_policy_waits_the_servers_retry_after_else_backoff() -> None:
    policy = RetryPolicy(attempts=3, backoff_base_s=1.0, backoff_max_s=30.0)
    assert policy.wait_s(_state(_failure(retry_after=7))) == 7
    assert 0 <= policy.wait_s(_state(_failure(), attempt=3)) <= 4
    assert RetryPolicy(3, 0, 30).wait_s(_state(_failure())) == 0


def test_retry_policy_stops_when_the_caller_gives_up() -> None:
    calls = []

    async def attempt() -> None:
        calls.append(1)
        raise _failure(unreachable="down.test")

    async def main() -> None:
        async def no_sleep(seconds: float) -> None:
            return None

        retrying = RetryPolicy(5, 0, 0).retrying(sleep=no_sleep, give_up=lambda f: len(calls) == 2)
        with pytest.raises(TransientFailure):
            await retrying(attempt)

    asyncio.run(main())
    assert len(calls) == 2


def test_capped_decoder_stops_at_the_cap_while_decompressing() -> None:
    decoder = CappedDecoder("gzip", cap=1000, url="http://x.test/")
    with pytest.raises(SourceHTTPError, match=r"1000-byte cap"):
        decoder.feed(gzip.compress(b"a" * 5000))
    plain = CappedDecoder("identity", cap=10, url="http://x.test/")
    plain.feed(b"12345")
    assert plain.finish() == b"12345"
    with pytest.raises(SourceHTTPError, match=r"unsupported Content-Encoding"):
        CappedDecoder("br", cap=10, url="http://x.test/")


def test_validator_store_sends_stored_validators_and_keeps_the_right_ones() -> None:
    key = request_key("http://hub.test/api", {"author": "Qwen"})
    assert key == "http://hub.test/api?author=Qwen"
    store = ValidatorStore(stored={key: {"etag": '"a"', "last_modified": "Wed, 21 Oct 2015 07:28:00 GMT"}})
    assert store.request_headers(key, {"Accept": "x"}) == {
        "Accept": "x",
        "If-None-Match": '"a"',
        "If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT",
    }
    store.record(key, 304, httpx.Headers())
    assert store.seen[key] == {"etag": '"a"', "last_modified": "Wed, 21 Oct 2015 07:28:00 GMT"}
    store.record("http://hub.test/other", 200, httpx.Headers({"ETag": '"b"'}))
    store.record("http://hub.test/none", 200, httpx.Headers())
    assert store.seen["http://hub.test/other"] == {"etag": '"b"'} and "http://hub.test/none" not in store.seen


def test_conditional_blocks_belong_to_their_client() -> None:
    one, two = ConditionalRequests(), ConditionalRequests()
    with one.block({"u": {"etag": "e"}}) as store:
        assert one.active_store() is store
        assert two.active_store() is None
    assert one.active_store() is None


def test_unreachable_hosts_mark_only_when_every_attempt_failed_to_connect() -> None:
    counter = RequestCounter()
    hosts = UnreachableHosts(counter)
    hosts.settle([_failure(), _failure(unreachable="down.test")])  # one attempt got an answer
    assert hosts.marks == {}
    with counter.counting() as count:
        hosts.settle([_failure(unreachable="down.test")] * 2)
        with pytest.raises(SourceHTTPError, match=r"not sent: down.test was unreachable"):
            hosts.refuse(httpx.URL("http://down.test/x"), "GET")
    assert hosts.marks == {"down.test": "network error: Connection refused"}
    assert (count.requests, count.unreachable) == (1, hosts.marks)
    hosts.refuse(httpx.URL("http://down.test:8080/x"), "GET")  # another port is another host


def test_counter_blocks_nest_and_ignore_other_counters() -> None:
    one, two = RequestCounter(), RequestCounter()
    with one.counting() as outer:
        with one.counting() as inner:
            one.add(requests=2, not_modified=1)
            two.add(requests=5)
    assert (inner.requests, outer.requests, outer.not_modified) == (2, 2, 1)
    assert (one.requests, two.requests) == (2, 5)


def test_throttle_spaces_a_host_and_takes_back_a_slot_given_back() -> None:
    now = [0.0]
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    throttle = HostThrottle({"arxiv.test": 3.0}, sleep=sleep, clock=lambda: now[0])
    url = httpx.URL("http://arxiv.test/api/query")

    async def main() -> None:
        await throttle.wait_turn(url)
        await throttle.wait_turn(url)  # waits 3 s
        throttle.give_back()  # that attempt never connected
        await throttle.wait_turn(url)  # goes at once: the slot is free again
        await throttle.wait_turn(httpx.URL("http://hub.test/"))  # not throttled

    asyncio.run(main())
    assert sleeps == [3.0]


def test_failures_map_statuses_and_transport_errors() -> None:
    request = httpx.Request("GET", "http://hub.test/x")
    retry = status_failure(httpx.Response(503, request=request), "http://hub.test/x", max_retry_after_s=60)
    assert isinstance(retry, TransientFailure) and retry.error.status_code == 503
    gone = status_failure(httpx.Response(404, request=request), "http://hub.test/x", max_retry_after_s=60)
    assert isinstance(gone, SourceHTTPError) and gone.permanent
    refused = transport_failure(httpx.ConnectError("refused", request=request), "http://hub.test/x", timeout_s=30)
    assert isinstance(refused, TransientFailure) and refused.unreachable == "hub.test"
    slow = transport_failure(httpx.ReadTimeout("slow", request=request), "http://hub.test/x", timeout_s=30)
    assert isinstance(slow, TransientFailure) and slow.unreachable is None and "30s" in str(slow.error)
