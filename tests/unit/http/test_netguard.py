"""tracker.http.netguard: user-supplied feed URLs never reach private, loopback or reserved addresses."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tracker.config import Settings
from tracker.http import make_client
from tracker.http.netguard import BlockedURLError, check_url, forbidden_reason, make_guard


def fake_resolver(table: dict[str, list[str]]):
    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"Name or service not known: {host}")
        return table[host]

    return resolve


def check(url: str, **kwargs):
    return asyncio.run(check_url(url, **kwargs))


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("10.255.255.254", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "not globally routable"),
        ("240.0.0.1", "private"),
        ("::ffff:10.0.0.1", "private"),
    ],
)
def test_forbidden_reason_names_the_kind_of_address(address: str, reason: str) -> None:
    assert forbidden_reason(address) == reason


@pytest.mark.parametrize("address", ["8.8.8.8", "185.199.108.153", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert forbidden_reason(address) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/feed.xml",
        "http://10.1.2.3/feed",
        "http://[::1]/feed",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_ip_literal_urls_are_refused_with_a_clear_message(url: str) -> None:
    with pytest.raises(BlockedURLError) as info:
        check(url)
    message = str(info.value)
    assert "refused" in message and "TRACKER_ALLOW_PRIVATE_FEEDS" in message
    assert info.value.permanent


def test_a_name_is_refused_when_any_of_its_addresses_is_private() -> None:
    resolve = fake_resolver({"blog.example": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(BlockedURLError, match=r"blog.example resolves to 10\.0\.0\.7 \(private address\)"):
        check("https://blog.example/index.xml", resolve=resolve)


def test_a_public_name_passes_and_an_unresolvable_one_is_refused() -> None:
    resolve = fake_resolver({"blog.example": ["93.184.216.34"]})
    check("https://blog.example/index.xml", resolve=resolve)
    with pytest.raises(BlockedURLError, match=r"does not resolve"):
        check("https://nowhere.example/feed", resolve=resolve)


def test_other_schemes_are_refused_even_when_private_is_allowed() -> None:
    for url in ("file:///etc/passwd", "ftp://example.com/feed", "gopher://127.0.0.1:6379/_INFO"):
        with pytest.raises(BlockedURLError, match=r"only http and https"):
            check(url, allow_private=True)


def test_allow_private_and_allowed_hosts_opt_out() -> None:
    check("http://127.0.0.1:8080/feed.xml", allow_private=True)
    resolve = fake_resolver({"intranet.lab": ["10.0.0.5"]})
    check("http://intranet.lab/feed", allowed_hosts={"intranet.lab"}, resolve=resolve)
    with pytest.raises(BlockedURLError):
        check(
            "http://other.lab/feed", allowed_hosts={"intranet.lab"}, resolve=fake_resolver({"other.lab": ["10.0.0.6"]})
        )


def test_settings_drive_the_guard(tmp_path) -> None:
    strict = Settings(_env_file=None, data_dir=tmp_path)
    with pytest.raises(BlockedURLError):
        asyncio.run(make_guard(strict)(httpx.URL("http://127.0.0.1/feed")))
    relaxed = Settings(_env_file=None, data_dir=tmp_path, allow_private_feeds=True)
    asyncio.run(make_guard(relaxed)(httpx.URL("http://127.0.0.1/feed")))
    listed = Settings(_env_file=None, data_dir=tmp_path, feed_allowed_hosts="localhost, Feeds.Internal")
    assert listed.feeds.allowed_host_set == {"localhost", "feeds.internal"}


def test_guard_checks_every_redirect_hop_before_sending(tmp_path) -> None:
    """A public feed that redirects to 127.0.0.1 is refused before the second request is sent."""
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://127.0.0.1:6379/"})

    settings = Settings(_env_file=None, data_dir=tmp_path, http_max_retries=1)
    guard = make_guard(settings, resolve=fake_resolver({"blog.example": ["93.184.216.34"]}))

    async def run() -> None:
        async with make_client(settings, transport=httpx.MockTransport(handler)) as client:
            with client.guarding(guard):
                await client.get("http://blog.example/feed.xml")

    with pytest.raises(BlockedURLError, match=r"127.0.0.1"):
        asyncio.run(run())
    assert sent == ["http://blog.example/feed.xml"]
