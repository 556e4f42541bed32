"""Notifiers: one small transport per channel kind, chosen from settings and subscriptions.

A notifier's ``send(message)`` raises ``DeliveryError`` (with ``permanent``) on failure and
returns nothing on success. ``build_notifiers`` maps the watchlist's subscriptions to the
notifiers that are configured; a subscription whose channel is not configured is skipped with a
log line (for example ``slack:default`` without a Slack token).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from tracker.config import Settings
from tracker.notify.messages import Message
from tracker.watchlist import Subscription, Watchlist

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ThreadRef:
    """Where a release's parent message lives in one channel (Slack: channel id + ``ts``).

    Attributes:
        channel_id (str): the channel's id as the service returned it (``C0123``).
        ts (str): the parent message's timestamp, used as ``thread_ts`` for replies.
        variant_count (int): variants the parent currently shows (for ``chat.update``).
    """

    channel_id: str
    ts: str
    variant_count: int = 1


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One delivery handed to a notifier.

    Attributes:
        delivery_id (int): the Delivery row (also the de-duplication tag sent with the message:
            Slack ``metadata``, email ``Message-ID``).
        idempotency_key (str): the delivery's unique key.
        kind (str): ``alert`` | ``digest`` | ``pulse`` | ``cadence`` | ``test``.
        channel (str): the subscription channel (``slack:#models``, ``email:a@b``).
        message (Message, optional): the alert content (kind ``alert``).
        payload (dict): content for other kinds (a rendered digest, a pulse...).
        thread (ThreadRef, optional): the release's parent message in this channel, when one
            exists: a variant alert is then a thread reply (and the parent is updated).
    """

    delivery_id: int
    idempotency_key: str
    kind: str
    channel: str
    message: Message | None = None
    payload: dict = field(default_factory=dict)
    thread: ThreadRef | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    """What a notifier reports after a successful send.

    Attributes:
        external_ref (dict): ids the service returned (Slack ``{"channel", "ts"}``).
        thread (ThreadRef, optional): a new parent message to remember for later variants.
    """

    external_ref: dict = field(default_factory=dict)
    thread: ThreadRef | None = None


class Notifier(Protocol):
    """A channel transport (healthchecks-style): ``send`` raises ``DeliveryError`` on failure."""

    name: str

    def send(self, out: Outgoing) -> SendResult:
        """Deliver one message; raise ``DeliveryError(permanent=...)`` on failure."""

    def find_sent(self, out: Outgoing) -> SendResult | None:
        """Return the earlier send of this delivery if the service shows one, else None.

        Used when a worker died between sending and recording (status ``unknown``): Slack
        searches ``conversations.history`` for a message whose ``metadata`` carries the
        delivery id. Channels that cannot tell return None (at-least-once).
        """


@dataclass(frozen=True, slots=True)
class Route:
    """A subscription and the notifier that serves it."""

    subscription: Subscription
    notifier: Notifier

    def matches(self, message: Message) -> bool:
        """True when the message passes the subscription's filter (labs, countries, kinds)."""
        sub = self.subscription
        if "*" not in sub.labs and message.lab not in sub.labs:
            return False
        if sub.countries and message.country not in sub.countries:
            return False
        if sub.kinds and message.kind not in sub.kinds:
            return False
        if sub.min_params_b is not None and (message.params_total_b or 0) < sub.min_params_b:
            return False
        return True


def build_routes(settings: Settings, watchlist: Watchlist) -> list[Route]:
    """Return a route for every subscription whose channel is configured.

    ``slack:default`` uses ``TRACKER_SLACK_CHANNEL``; ``slack:#chan`` names the channel. Slack is
    configured by ``TRACKER_SLACK_BOT_TOKEN`` (Web API) or ``TRACKER_SLACK_WEBHOOK_URL``.
    """
    from tracker.notify.slack import SlackNotifier

    routes: list[Route] = []
    for sub in watchlist.subscriptions:
        scheme, _, target = sub.channel.partition(":")
        if scheme == "slack":
            channel = settings.slack_channel if target == "default" else target
            if not (settings.slack_bot_token or settings.slack_webhook_url):
                log.info("subscription %s skipped: Slack is not configured", sub.channel)
                continue
            if settings.slack_bot_token and not channel:
                log.warning("subscription %s skipped: TRACKER_SLACK_CHANNEL is not set", sub.channel)
                continue
            routes.append(Route(sub, SlackNotifier.from_settings(settings, channel=channel)))
        else:
            log.info("subscription %s skipped: %s channels arrive in a later version", sub.channel, scheme)
    return routes
