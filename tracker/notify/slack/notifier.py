"""Slack notifier: one message per release, later variants in its thread, through slack-sdk.

Modes (chosen by ``SlackNotifier.from_settings``):

* **Bot token** (``TRACKER_SLACK_BOT_TOKEN`` + a channel; Web API at ``TRACKER_SLACK_API_URL``):
  release alerts keep one thread per release (``tracker.notify.slack.threads``); every message
  carries ``metadata`` with its delivery id so ``find_sent`` can find it after a crash between
  send and record (``tracker.notify.slack.api``).
* **Incoming webhook** (``TRACKER_SLACK_WEBHOOK_URL``): no threads, no edits, no history: a
  release is one message, a later poll's variants one follow-up.

Each delivery is rendered by a pure function chosen by its kind (``tracker.notify.slack.render``):
release alerts are placed in their release's thread; every other kind (cadence alerts, the
weekly pulse, the test message) is one top-level message, with its chart uploaded into the
message's thread when it has one (bot token only).

Rate limits: new messages to one channel are spaced ``slack_min_interval_s`` apart and 429
``Retry-After`` is waited out up to ``slack_max_retry_after_s`` (``tracker.notify.slack.pacing``).

Errors: ``SlackDeliveryError`` (a ``DeliveryError``) with the Slack error ``code``; permanent
for auth/channel/payload errors, transient otherwise (``tracker.notify.slack.errors``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from tracker.config import Settings
from tracker.notify.base import Outgoing, SendResult
from tracker.notify.slack.api import SlackApi, SlackWebhook, delivery_metadata
from tracker.notify.slack.blocks import test_content
from tracker.notify.slack.deadline import DeadlineWebClient, DeadlineWebhookClient
from tracker.notify.slack.errors import SlackDeliveryError
from tracker.notify.slack.mrkdwn import SlackContent
from tracker.notify.slack.pacing import ChannelPacer, retry_handlers, shared_pacer
from tracker.notify.slack.render import RENDERERS, Where, slack_kind
from tracker.notify.slack.threads import ReleaseThreads

log = logging.getLogger(__name__)

#: The phrase a webhook-mode message uses for its channel (an incoming webhook does not say which).
WEBHOOK_CHANNEL = "this webhook's channel"


class SlackNotifier:
    """Posts deliveries to one Slack channel (bot token) or one incoming webhook.

    Args:
        client (WebClient, optional): Web API client (bot token mode).
        channel (str, optional): channel id (``C0123``) or ``#name`` for bot token mode.
        webhook (WebhookClient, optional): incoming-webhook client (no threads); sends go
            through it when both are given.
        pacer (ChannelPacer, optional): spacing of new messages per channel; default: the
            process-wide pacer for 1 s.
        history_limit (int): messages ``find_sent`` inspects (newest first).

    Raises:
        ValueError: neither a client nor a webhook.
    """

    def __init__(
        self,
        *,
        client: WebClient | None = None,
        channel: str | None = None,
        webhook: WebhookClient | None = None,
        pacer: ChannelPacer | None = None,
        history_limit: int = 200,
    ):
        if client is None and webhook is None:
            raise ValueError("SlackNotifier needs a WebClient or a WebhookClient")
        self.client, self.channel, self.webhook = client, channel, webhook
        self.name = f"slack:{channel}" if client else "slack:webhook"
        pacer = pacer or shared_pacer(1.0)
        self._api = SlackApi(client, channel=channel, pacer=pacer, history_limit=history_limit) if client else None
        self._incoming = SlackWebhook(webhook, pacer=pacer) if webhook else None
        self._threads = ReleaseThreads(api=self._api, webhook=self._incoming)
        self._pacer = pacer

    @property
    def pacer(self) -> ChannelPacer:
        """The spacing of new messages (shared by the Web API and the webhook of this notifier)."""
        return self._pacer

    @pacer.setter
    def pacer(self, pacer: ChannelPacer) -> None:
        self._pacer = pacer
        for funnel in (self._api, self._incoming):
            if funnel is not None:
                funnel.pacer = pacer

    @classmethod
    def from_settings(
        cls, settings: Settings, *, channel: str | None, sleep: Callable[[float], None] = time.sleep
    ) -> SlackNotifier:
        """Build from ``TRACKER_SLACK_*`` settings (bot token preferred over webhook).

        Args:
            settings (Settings): token or webhook URL, ``slack_api_url``, pacing and retry limits.
            channel (str, optional): channel id or ``#name``; None means ``TRACKER_SLACK_CHANNEL``.
            sleep (Callable[[float], None]): how retries and pacing wait (tests record it);
                with the default, the process-wide pacer is shared by every notifier.

        Raises:
            ValueError: neither a bot token nor a webhook URL is configured.
        """
        handlers = retry_handlers(settings, sleep=sleep)
        pacer = (
            shared_pacer(settings.slack.min_interval_s)
            if sleep is time.sleep
            else ChannelPacer(settings.slack.min_interval_s, sleep=sleep)
        )
        timeout = int(settings.http.timeout)
        if settings.slack.bot_token:
            client = DeadlineWebClient(
                deadline_s=settings.http.deadline,
                token=settings.slack.bot_token.get_secret_value(),
                base_url=settings.slack.api_url.rstrip("/") + "/",
                timeout=timeout,
                retry_handlers=handlers,
            )
            return cls(client=client, channel=channel or settings.slack.channel, pacer=pacer)
        if settings.slack.webhook_url is None:
            raise ValueError("Slack is not configured: set TRACKER_SLACK_BOT_TOKEN or TRACKER_SLACK_WEBHOOK_URL")
        webhook = DeadlineWebhookClient(
            settings.slack.webhook_url.get_secret_value(),
            deadline_s=settings.http.deadline,
            timeout=timeout,
            retry_handlers=handlers,
        )
        return cls(webhook=webhook, pacer=pacer)

    # ------------------------------------------------------------------ Notifier protocol

    def send(self, out: Outgoing) -> SendResult:
        """Deliver one delivery: a release alert in its release's thread, any other kind as one message.

        Returns:
            SendResult: ``external_ref`` ``{"channel", "ts"}`` of the message posted (plus
            ``thread_ts`` for replies, ``folded`` when nothing was posted, ``chart_file`` or
            ``chart_error`` for a chart upload; ``{"webhook": True, ...}`` in webhook mode) and
            the release's thread to remember (None in webhook mode).

        Raises:
            SlackDeliveryError: ``permanent`` for auth/channel/payload errors, transient for
                rate limits (with ``retry_after``), server errors and network failures.
        """
        kind = slack_kind(out)
        where = Where(channel=self.channel or WEBHOOK_CHANNEL, now=datetime.now(UTC))
        if kind == "alert":
            return self._threads.send(out, where)
        return self._post_standalone(out, RENDERERS[kind](out, where))

    def _post_standalone(self, out: Outgoing, content: SlackContent) -> SendResult:
        """Post a top-level message; with a bot token, upload its chart into the message's thread.

        A failed upload is logged and recorded in ``external_ref["chart_error"]``, never retried:
        the message is out (the pulse links the dashboard when ``TRACKER_DASHBOARD_URL`` is set).
        """
        what = f"the {out.kind} message"
        if self._incoming is not None:
            self._incoming.post(content, what)
            return SendResult(external_ref={"webhook": True})
        assert self._api is not None  # __init__ requires a client or a webhook
        data = self._api.post(content, what=what, metadata=delivery_metadata(out))
        ref: dict[str, Any] = {"channel": data.get("channel"), "ts": data.get("ts")}
        if content.chart is not None and data.get("channel") and data.get("ts"):
            try:
                ref["chart_file"] = self._api.upload(content.chart, channel_id=data["channel"], thread_ts=data["ts"])
            except SlackDeliveryError as exc:
                log.warning("chart not uploaded to %s: %s", data["channel"], exc)
                ref["chart_error"] = str(exc)
        return SendResult(external_ref=ref)

    def find_sent(self, out: Outgoing) -> SendResult | None:
        """Return the earlier post of this delivery if Slack shows one (bot token mode), else None.

        Looks at the newest ``history_limit`` messages of the channel (``conversations.history``,
        or ``conversations.replies`` of the release thread for a variant) with
        ``include_all_metadata`` and matches ``metadata.event_payload.delivery_id``. Webhook mode
        cannot read the channel and returns None.

        Raises:
            SlackDeliveryError: the history could not be read (``missing_scope`` needs
                ``channels:history``/``groups:history``).
        """
        return self._threads.find_sent(out)

    # ------------------------------------------------------------------ configuration check

    def check(self, *, now: datetime | None = None) -> dict[str, Any]:
        """Check the configuration by sending a sample message (``tracker slack test``).

        Returns:
            dict: ``{"mode", "channel", "ts", "team", "user"}`` (Web API) or ``{"mode": "webhook"}``.

        Raises:
            SlackDeliveryError: with ``code`` (``invalid_auth``, ``channel_not_found``,
                ``not_in_channel``, ``unreachable``...) and a hint in the message.
        """
        now = now or datetime.now(UTC)
        if self._incoming is not None:
            self._incoming.post(test_content(channel=WEBHOOK_CHANNEL, now=now), "the test message")
            return {"mode": "webhook"}
        assert self._api is not None  # __init__ requires a client or a webhook
        auth = self._api.call("auth.test", "the token")
        data = self._api.post(test_content(channel=self.channel or "?", now=now), what="the test message")
        return {
            "mode": "bot",
            "channel": data.get("channel"),
            "ts": data.get("ts"),
            "team": auth.get("team"),
            "user": auth.get("user"),
        }
