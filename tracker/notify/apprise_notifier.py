"""Apprise channels (``apprise:<apprise URL>``): Discord, Telegram, Teams, Matrix, ntfy and the ~100
services the Apprise library speaks (https://github.com/caronc/apprise/wiki).

The channel target is an Apprise URL (``apprise:discord://webhook_id/token``,
``apprise:ntfy://ntfy.sh/topic``, ``apprise:json://host/path``). Deliveries go through the same
outbox as Slack and email: keyed rows, a compare-and-set claim, retries with backoff. Apprise
reports only success or failure (its own log says why), so a failed send is transient: the
outbox retries it up to ``TRACKER_DELIVERY_MAX_ATTEMPTS`` times, then marks it failed. No Apprise
service can be asked what it received, so ``find_sent`` returns None (at-least-once after a crash
between send and record); for the JSON/form/XML endpoints the delivery's identity travels in
``Idempotency-Key`` and ``X-Tracker-Delivery`` headers so a receiver can drop a repeat.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from tracker.config import Settings
from tracker.errors import DeliveryError, redact
from tracker.notify.base import Outgoing, SendResult

#: Apprise schemes that post to a URL of the user's choosing and accept ``+Header=value`` params.
HEADER_SCHEMES = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
#: Longest body sent (characters); chat services cap messages around 2,000-4,000.
MAX_BODY = 3500


def apprise_problem(url: str) -> str | None:
    """Why ``url`` cannot be served by Apprise (library missing, unknown scheme), or None."""
    try:
        import apprise
    except ImportError:
        return "the apprise library is not installed (pip install apprise)"
    if apprise.Apprise.instantiate(url) is None:
        return f"not an Apprise URL Apprise understands: {redact(url)!r}"
    return None


def render(out: Outgoing) -> tuple[str, str]:
    """``(title, body)`` in Markdown for one delivery; external text is clamped, never interpreted.

    Alerts: the headline, then the facts, the variant summary and the link. Other kinds (a test
    message, a pulse): the payload's ``title``/``text`` when present, else the kind.
    """
    if out.message is not None:
        m = out.message
        lines = [m.headline]
        if m.facts:
            lines.append(" · ".join(m.facts))
        if m.variant_summary:
            lines.append("variants: " + ", ".join(m.variant_summary))
        lines.append(m.url or m.release_url)
        return f"{m.lab_name or m.lab}: {m.title}"[:250], "\n".join(x for x in lines if x)[:MAX_BODY]
    title = str(out.payload.get("title") or f"tracker {out.kind}")
    body = str(out.payload.get("text") or out.payload.get("headline") or title)
    return title[:250], body[:MAX_BODY]


def with_identity(url: str, out: Outgoing) -> str:
    """``url`` plus the delivery's identity headers when its scheme posts to a user endpoint."""
    scheme = url.partition("://")[0].lower()
    if scheme not in HEADER_SCHEMES:
        return url
    params = urlencode({"+Idempotency-Key": out.idempotency_key, "+X-Tracker-Delivery": str(out.delivery_id)})
    return f"{url}{'&' if '?' in url else '?'}{params}"


class AppriseNotifier:
    """Sends deliveries to one Apprise URL.

    Args:
        url (str): the Apprise URL (``json://127.0.0.1:8080/hook``, ``tgram://bot/chat``...).
    """

    def __init__(self, url: str):
        self.url = url
        scheme, _, rest = url.partition("://")
        # Service URLs carry tokens in their paths (discord://id/token): name the service and host only.
        self.name = f"apprise:{scheme}://{rest.split('/', 1)[0].rpartition('@')[2]}"

    @classmethod
    def from_settings(cls, settings: Settings, *, target: str) -> AppriseNotifier:
        """Build from the channel target (the Apprise URL); no setting applies."""
        return cls(target)

    def send(self, out: Outgoing) -> SendResult:
        """Notify the service once.

        Returns:
            SendResult: ``external_ref`` = ``{"apprise": <scheme>}``.

        Raises:
            DeliveryError: permanent when the URL is not one Apprise understands; transient when
                Apprise reports a failed notification (its log lines are the message).
        """
        import apprise  # ~0.3 s of plugin discovery: only processes that serve an Apprise channel pay

        target = apprise.Apprise()
        if not target.add(with_identity(self.url, out)):
            raise DeliveryError(f"{self.name}: not an Apprise URL Apprise understands", permanent=True)
        title, body = render(out)
        with apprise.LogCapture(level=logging.WARNING) as captured:
            ok = target.notify(title=title, body=body, body_format=apprise.NotifyFormat.MARKDOWN)
        if not ok:
            why = " ".join(captured.getvalue().split())[:300] or "the service refused or did not answer"
            raise DeliveryError(f"{self.name}: {redact(why)}")
        return SendResult(external_ref={"apprise": self.url.partition("://")[0]})

    def find_sent(self, out: Outgoing) -> SendResult | None:
        """Apprise services cannot be asked what they received: None (at-least-once)."""
        return None
