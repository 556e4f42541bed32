"""Notifiers: one small transport per channel kind, chosen from settings and subscriptions.

A notifier's ``send(out)`` raises ``DeliveryError`` (with ``permanent`` and ``retry_after``) on
failure and returns a ``SendResult`` on success; ``find_sent(out)`` tells whether an earlier,
unrecorded send of the same delivery reached the channel. ``build_notifier(settings, channel)``
picks the class by the channel's scheme (``NOTIFIERS``); ``channel_problem`` says why a channel
cannot be served (for example ``slack:default`` without a Slack token), so the dispatcher creates
no delivery for it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from tracker.config import Settings
from tracker.notify.content import Message

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


#: Notifier classes by channel scheme, as lazy dotted paths (importing one must not import the others).
NOTIFIERS: dict[str, str] = {
    "slack": "tracker.notify.slack.notifier:SlackNotifier",
    "webhook": "tracker.notify.webhook:WebhookNotifier",
    "console": "tracker.notify.console:ConsoleNotifier",
    "email": "tracker.notify.email.notifier:EmailNotifier",  # issue 5: digests (and alerts) over SMTP
}


def resolve_channel(channel: str, settings: Settings) -> str:
    """Return the concrete target of ``channel``: ``slack:default`` -> ``slack:<TRACKER_SLACK_CHANNEL>``.

    Other channels are returned unchanged; ``slack:default`` without ``TRACKER_SLACK_CHANNEL``
    stays ``slack:default`` (the Slack notifier then uses its incoming webhook, if any).
    """
    if channel == "slack:default" and settings.slack_channel:
        return f"slack:{settings.slack_channel}"
    return channel



def channel_problem(settings: Settings, channel: str) -> str | None:
    """Return why ``channel`` cannot be served with ``settings``, or None when it can.

    ``slack:`` needs ``TRACKER_SLACK_BOT_TOKEN`` and a channel (``slack:#chan``, or
    ``slack:default`` with ``TRACKER_SLACK_CHANNEL``), or ``TRACKER_SLACK_WEBHOOK_URL``.
    ``webhook:`` needs an http(s) URL. ``console:`` always works. ``email:addr`` needs
    ``TRACKER_SMTP_URL`` and ``TRACKER_EMAIL_FROM`` (``tracker.notify.email.smtp.email_problem``).
    ``apprise:`` is not available yet. The dispatcher creates no delivery for a channel with a problem.
    """
    scheme, _, target = resolve_channel(channel, settings).partition(":")
    if scheme == "slack":
        if settings.slack_bot_token is not None:
            if target == "default":
                return "TRACKER_SLACK_CHANNEL is not set (needed by slack:default with a bot token)"
            return None
        if settings.slack_webhook_url is not None:
            return None
        return ("Slack is not configured (set TRACKER_SLACK_BOT_TOKEN and TRACKER_SLACK_CHANNEL, "
                "or TRACKER_SLACK_WEBHOOK_URL)")
    if scheme == "webhook":
        return None if target.startswith(("http://", "https://")) else f"not an http(s) URL: {target!r}"
    if scheme == "console":
        return None
    if scheme == "email":
        from tracker.notify.email.smtp import email_problem

        return email_problem(settings, target)
    return f"{scheme}: channels are not supported yet"


def build_notifier(settings: Settings, channel: str) -> Notifier:
    """Build the notifier that serves one subscription channel.

    Args:
        settings (Settings): credentials and endpoints (``TRACKER_SLACK_*``, timeouts).
        channel (str): the subscription channel (``slack:default``, ``slack:#models``,
            ``webhook:https://...``, ``console:``); ``slack:default`` is resolved to
            ``TRACKER_SLACK_CHANNEL``.

    Returns:
        Notifier: an object with ``send(out)`` and ``find_sent(out)``.

    Raises:
        DeliveryError: permanent, when the channel is not configured or not supported.
    """
    import importlib

    from tracker.errors import DeliveryError
    problem = channel_problem(settings, channel)
    if problem is not None:
        raise DeliveryError(f"{channel}: {problem}", permanent=True)
    scheme, _, target = resolve_channel(channel, settings).partition(":")
    module, _, name = NOTIFIERS[scheme].partition(":")
    cls = getattr(importlib.import_module(module), name)
    if scheme == "slack":
        return cls.from_settings(settings, channel=None if target == "default" else target)
    return cls.from_settings(settings, target=target)
