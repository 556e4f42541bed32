"""SSRF guard for user-supplied URLs (watchlist feeds): refuse private, loopback and reserved hosts.

A feed URL comes from a user's watchlist. Fetching it blindly would let tracker be used as a
proxy into the network it runs in (``http://127.0.0.1:6379/``, ``http://169.254.169.254/`` cloud
metadata, ``http://10.0.0.5/admin``). Before every request hop (the first request and each
redirect), the host is resolved and **every** address it resolves to is checked; one forbidden
address refuses the URL.

Forbidden: private (RFC 1918 ``10/8``, ``172.16/12``, ``192.168/16``; ``fc00::/7``), loopback
(``127/8``, ``::1``), link-local (``169.254/16``, ``fe80::/10``), shared/carrier-grade NAT
(``100.64/10``), unspecified (``0.0.0.0``, ``::``), multicast and reserved ranges, as Python's
``ipaddress`` classifies them (``is_global`` false); IPv4-mapped IPv6 (``::ffff:10.0.0.1``) is
checked as its IPv4 address. Only ``http`` and ``https`` are allowed.

Opt-outs (``Settings``): ``allow_private_feeds=True`` (``TRACKER_ALLOW_PRIVATE_FEEDS``) disables
the address check; ``feed_allowed_hosts`` (``TRACKER_FEED_ALLOWED_HOSTS``, comma-separated)
exempts named hosts.

Known limit: the name is resolved here and again by the HTTP client, so a DNS answer that changes
between the two (DNS rebinding with a zero TTL) is not caught.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Collection

import httpx

from tracker.config import Settings
from tracker.errors import SourceHTTPError

__all__ = ["BlockedURLError", "check_url", "forbidden_reason", "make_guard"]

Resolver = Callable[[str, int], Awaitable[list[str]]]

_ALLOWED_SCHEMES = frozenset({"http", "https"})


class BlockedURLError(SourceHTTPError):
    """A URL was refused before any request was sent (scheme, or a forbidden address).

    Permanent: the same URL will be refused on every poll until the watchlist or the settings
    change.
    """

    def __init__(self, message: str, *, url: str):
        super().__init__(message, url=url, permanent=True)


def forbidden_reason(address: str) -> str | None:
    """Return why ``address`` (an IP literal) must not be contacted, or None when it is public.

    Args:
        address (str): an IPv4 or IPv6 address (a zone suffix ``%eth0`` is ignored).

    Returns:
        str | None: ``"loopback"``, ``"private"``, ``"link-local"``, ``"multicast"``,
        ``"unspecified"``, ``"reserved"`` or ``"not globally routable"``; None when allowed.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for reason, flag in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("unspecified", ip.is_unspecified),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if flag:
            return reason
    if not ip.is_global:
        return "not globally routable"
    return None


async def _system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def check_url(
    url: str | httpx.URL,
    *,
    allow_private: bool = False,
    allowed_hosts: Collection[str] = (),
    resolve: Resolver | None = None,
) -> None:
    """Refuse ``url`` unless it is http(s) and its host resolves only to public addresses.

    Args:
        url (str | httpx.URL): the URL about to be requested.
        allow_private (bool, optional): skip the address check (scheme is still checked).
        allowed_hosts (Collection[str], optional): lower-case host names exempt from the check.
        resolve (callable, optional): ``async resolve(host, port) -> [address, ...]``; defaults
            to the system resolver (``getaddrinfo``). Tests inject a fake.

    Raises:
        BlockedURLError: bad scheme or missing host, the host does not resolve, or one of its
            addresses is private/loopback/link-local/reserved; the message names the URL, the
            address, why, and the setting that allows it.
    """
    parsed = httpx.URL(str(url))
    shown = str(parsed)
    if parsed.scheme not in _ALLOWED_SCHEMES:
        raise BlockedURLError(f"feed URL {shown} refused: only http and https are allowed", url=shown)
    host = (parsed.host or "").lower()
    if not host:
        raise BlockedURLError(f"feed URL {shown} refused: no host", url=shown)
    if allow_private or host in allowed_hosts:
        return
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        ipaddress.ip_address(host.strip("[]"))
        addresses = [host.strip("[]")]
    except ValueError:
        try:
            addresses = await (resolve or _system_resolve)(host, port)
        except (OSError, UnicodeError) as exc:
            raise BlockedURLError(
                f"feed URL {shown} refused: host {host!r} does not resolve ({exc})", url=shown
            ) from exc
    if not addresses:
        raise BlockedURLError(f"feed URL {shown} refused: host {host!r} has no address", url=shown)
    for address in addresses:
        reason = forbidden_reason(address)
        if reason is not None:
            raise BlockedURLError(
                f"feed URL {shown} refused: {host} resolves to {address} ({reason} address); "
                "tracker does not fetch feeds from private networks unless "
                "TRACKER_ALLOW_PRIVATE_FEEDS=true or the host is in TRACKER_FEED_ALLOWED_HOSTS",
                url=shown,
            )


def make_guard(settings: Settings, *, resolve: Resolver | None = None) -> Callable[[httpx.URL], Awaitable[None]]:
    """Return an ``HttpClient.guarding`` hook applying ``check_url`` with the feed settings.

    Args:
        settings (Settings): ``allow_private_feeds`` and ``feed_allowed_hosts``.
        resolve (callable, optional): resolver override (tests).

    Returns:
        callable: ``async guard(url)`` raising ``BlockedURLError`` for a refused hop.
    """
    allowed = settings.feeds.allowed_host_set

    async def guard(url: httpx.URL) -> None:
        await check_url(url, allow_private=settings.feeds.allow_private, allowed_hosts=allowed, resolve=resolve)

    return guard
