"""Notifiers: one small transport per channel kind, chosen from settings and subscriptions.

A notifier's ``send(message)`` raises ``DeliveryError`` (with ``permanent``) on failure and
returns nothing on success. ``build_notifiers`` maps the watchlist's subscriptions to the
notifiers that are configured; a subscription whose channel is not configured is skipped with a
log line (for example ``slack:default`` without a Slack token).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from tracker.config import Settings
from tracker.notify.messages import Message
from tracker.watchlist import Subscription, Watchlist

log = logging.getLogger(__name__)


class Notifier(Protocol):
    """A channel transport."""

    name: str

    def send(self, message: Message) -> None:
        """Deliver ``message``; raise ``DeliveryError`` on failure."""


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
