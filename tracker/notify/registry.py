"""Which notifier serves a channel, and whether the settings let it.

``build_notifier(settings, channel)`` picks the class by the channel's scheme (``NOTIFIERS``);
``channel_problem`` says why a channel cannot be served (for example ``slack:default`` without a
Slack token), so no delivery is created for it; ``resolve_channel`` turns ``slack:default`` into
the configured channel.
"""

from __future__ import annotations

import importlib

from tracker.config import Settings
from tracker.errors import DeliveryError
from tracker.notify.base import Notifier

#: Notifier classes by channel scheme, as dotted paths imported on first use. Lazy on purpose: the
#: transports' libraries cost about 0.1 s (slack-sdk) and 0.15-0.2 s (httpx for the JSON webhook)
#: to import (python -X importtime), and most processes that check channels (dispatch, digests,
#: the pulse schedule, the CLI) build no notifier, or only one kind.
NOTIFIERS: dict[str, str] = {
    "slack": "tracker.notify.slack.notifier:SlackNotifier",
    "webhook": "tracker.notify.webhook:WebhookNotifier",
    "console": "tracker.notify.console:ConsoleNotifier",
    "email": "tracker.notify.email.notifier:EmailNotifier",
    "apprise": "tracker.notify.apprise_notifier:AppriseNotifier",
}


def resolve_channel(channel: str, settings: Settings) -> str:
    """Return the concrete target of ``channel``: ``slack:default`` -> ``slack:<TRACKER_SLACK_CHANNEL>``.

    Other channels are returned unchanged; ``slack:default`` without ``TRACKER_SLACK_CHANNEL``
    stays ``slack:default`` (the Slack notifier then uses its incoming webhook, if any).
    """
    if channel == "slack:default" and settings.slack.channel:
        return f"slack:{settings.slack.channel}"
    return channel


def channel_problem(settings: Settings, channel: str) -> str | None:
    """Return why ``channel`` cannot be served with ``settings``, or None when it can.

    ``slack:`` needs ``TRACKER_SLACK_BOT_TOKEN`` and a channel (``slack:#chan``, or
    ``slack:default`` with ``TRACKER_SLACK_CHANNEL``), or ``TRACKER_SLACK_WEBHOOK_URL``.
    ``webhook:`` needs an http(s) URL. ``console:`` always works. ``email:addr`` needs
    ``TRACKER_SMTP_URL`` and ``TRACKER_EMAIL_FROM`` (``tracker.notify.email.smtp.email_problem``).
    ``apprise:URL`` needs the apprise library and a URL it understands. The dispatcher creates no
    delivery for a channel with a problem.
    """
    scheme, _, target = resolve_channel(channel, settings).partition(":")
    if scheme == "slack":
        if settings.slack.bot_token is not None:
            if target == "default":
                return "TRACKER_SLACK_CHANNEL is not set (needed by slack:default with a bot token)"
            return None
        if settings.slack.webhook_url is not None:
            return None
        return (
            "Slack is not configured (set TRACKER_SLACK_BOT_TOKEN and TRACKER_SLACK_CHANNEL, "
            "or TRACKER_SLACK_WEBHOOK_URL)"
        )
    if scheme == "webhook":
        return None if target.startswith(("http://", "https://")) else f"not an http(s) URL: {target!r}"
    if scheme == "console":
        return None
    if scheme == "email":
        # Imported here: smtplib, ssl and the email package cost 30-60 ms (python -X importtime),
        # needed only by processes that serve an email channel.
        from tracker.notify.email.smtp import email_problem

        return email_problem(settings, target)
    if scheme == "apprise":
        from tracker.notify.apprise_notifier import apprise_problem  # no apprise import unless used

        return apprise_problem(target)
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
    problem = channel_problem(settings, channel)
    if problem is not None:
        raise DeliveryError(f"{channel}: {problem}", permanent=True)
    scheme, _, target = resolve_channel(channel, settings).partition(":")
    module, _, name = NOTIFIERS[scheme].partition(":")
    cls = getattr(importlib.import_module(module), name)
    if scheme == "slack":
        return cls.from_settings(settings, channel=None if target == "default" else target)
    return cls.from_settings(settings, target=target)
