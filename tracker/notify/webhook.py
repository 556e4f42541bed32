"""Outbound JSON webhook: one ``POST`` per delivery to the subscription's URL (``webhook:https://...``).

The body is ``build_payload(out)``; the headers carry the delivery's identity so the receiver can
drop repeats: ``Idempotency-Key: <idempotency key>`` (``event:<event_id>:<subscription_id>``) and
``X-Tracker-Delivery: <delivery id>``. tracker may send a delivery twice only when a worker died
between the send and recording it (the receiver cannot be asked, so ``find_sent`` returns None):
receivers that de-duplicate on ``Idempotency-Key`` see every delivery exactly once.

Errors: 2xx is success; 408, 425, 429 and 5xx, network errors and timeouts are transient
(``retry_after`` from ``Retry-After``); any other status is permanent.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from typing import Any

import httpx

from tracker.config import Settings
from tracker.errors import DeliveryError
from tracker.http import parse_retry_after
from tracker.notify.base import Outgoing, SendResult

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT_SUFFIX = " webhook"


def _json_default(value: Any) -> Any:
    """JSON for the non-JSON values a message may hold: datetimes as ISO-8601, sets as lists."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def encode_payload(out: Outgoing) -> bytes:
    """Return ``build_payload(out)`` as UTF-8 JSON (datetimes as ISO-8601 UTC strings)."""
    return json.dumps(build_payload(out), default=_json_default, ensure_ascii=False).encode("utf-8")


def build_payload(out: Outgoing) -> dict[str, Any]:
    """Return the JSON body of one delivery.

    Returns:
        dict: ``{"delivery_id", "idempotency_key", "kind", "channel", "message" (the alert's
        fields, or None), "payload", "thread" (or None)}``.
    """
    return {
        "delivery_id": out.delivery_id,
        "idempotency_key": out.idempotency_key,
        "kind": out.kind,
        "channel": out.channel,
        "message": dataclasses.asdict(out.message) if out.message is not None else None,
        "headline": out.message.headline if out.message is not None else None,
        "payload": out.payload,
        "thread": dataclasses.asdict(out.thread) if out.thread is not None else None,
    }


class WebhookNotifier:
    """Posts deliveries as JSON to one URL.

    Args:
        url (str): the receiver's http(s) URL.
        timeout_s (float): connect/read timeout in seconds.
        user_agent (str): the User-Agent header.
        transport (httpx.BaseTransport, optional): e.g. ``httpx.MockTransport`` in tests.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 30.0,
        user_agent: str = "tracker",
        transport: httpx.BaseTransport | None = None,
    ):
        self.url = url
        self.name = f"webhook:{url}"
        self._timeout_s = timeout_s
        self._user_agent = user_agent
        self._transport = transport

    @classmethod
    def from_settings(cls, settings: Settings, *, target: str) -> WebhookNotifier:
        """Build from the channel target (the URL) and ``settings.http.timeout`` / ``user_agent``."""
        return cls(target, timeout_s=settings.http.timeout, user_agent=settings.http.user_agent + USER_AGENT_SUFFIX)

    def send(self, out: Outgoing) -> SendResult:
        """POST one delivery.

        Returns:
            SendResult: ``external_ref`` = ``{"status": <HTTP status>}``.

        Raises:
            DeliveryError: transient (with ``retry_after`` seconds when the receiver sent
                ``Retry-After``) for 408/425/429/5xx and network errors; permanent for other statuses.
        """
        headers = {
            "Idempotency-Key": out.idempotency_key,
            "X-Tracker-Delivery": str(out.delivery_id),
            "User-Agent": self._user_agent,
            "Content-Type": "application/json",
        }
        try:
            with httpx.Client(timeout=self._timeout_s, transport=self._transport) as client:
                resp = client.post(self.url, content=encode_payload(out), headers=headers)
        except httpx.TimeoutException as exc:
            raise DeliveryError(f"webhook {self.url}: timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise DeliveryError(f"webhook {self.url}: network error: {exc or type(exc).__name__}") from exc
        except httpx.HTTPError as exc:  # bad URL and the like: retrying cannot help
            raise DeliveryError(f"webhook {self.url}: {exc}", permanent=True) from exc
        if 200 <= resp.status_code < 300:
            return SendResult(external_ref={"status": resp.status_code})
        reason = f"HTTP {resp.status_code} {resp.reason_phrase}".rstrip()
        if resp.status_code in TRANSIENT_STATUSES:
            raise DeliveryError(
                f"webhook {self.url}: {reason}", retry_after=parse_retry_after(resp.headers.get("Retry-After"))
            )
        raise DeliveryError(f"webhook {self.url}: {reason}", permanent=True)

    def find_sent(self, out: Outgoing) -> SendResult | None:
        """A plain webhook cannot be asked what it received: always None (at-least-once)."""
        return None
