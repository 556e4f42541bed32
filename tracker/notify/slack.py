"""Slack notifier, first version: one plain mrkdwn message per alert through slack-sdk.

Bot token mode posts with ``chat.postMessage`` (Web API at ``TRACKER_SLACK_API_URL``); webhook
mode posts to ``TRACKER_SLACK_WEBHOOK_URL``. Every external string is escaped for mrkdwn
(``&``, ``<``, ``>``) so a repo name can never ping ``<!channel>`` or forge a link.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from tracker.config import Settings
from tracker.errors import DeliveryError
from tracker.notify.messages import Message

#: Slack API errors that retrying cannot fix.
PERMANENT_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "channel_not_found",
     "not_in_channel", "is_archived", "invalid_blocks", "msg_too_long", "no_permission"}
)


def escape_mrkdwn(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` as Slack requires for text from outside."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def format_text(message: Message) -> str:
    """Return the plain mrkdwn text of an alert (escaped; the URL is a safe link)."""
    facts = f" ({escape_mrkdwn(', '.join(message.facts))})" if message.facts else ""
    url = message.url.replace(">", "%3E").replace("|", "%7C")
    return f"{escape_mrkdwn(message.headline)}{facts}\n<{escape_mrkdwn(url)}|{escape_mrkdwn(message.artifact)}>"


class SlackNotifier:
    """Posts alerts to one Slack channel (bot token) or one incoming webhook.

    Args:
        client (WebClient, optional): Web API client (bot token mode).
        channel (str, optional): channel id or ``#name`` for bot token mode.
        webhook (WebhookClient, optional): incoming-webhook client (no threads).
    """

    def __init__(self, *, client: WebClient | None = None, channel: str | None = None,
                 webhook: WebhookClient | None = None):
        self.client, self.channel, self.webhook = client, channel, webhook
        self.name = f"slack:{channel}" if client else "slack:webhook"

    @classmethod
    def from_settings(cls, settings: Settings, *, channel: str | None) -> SlackNotifier:
        """Build from ``TRACKER_SLACK_*`` settings (bot token preferred over webhook)."""
        handlers = [RateLimitErrorRetryHandler(max_retry_count=2), ConnectionErrorRetryHandler()]
        if settings.slack_bot_token:
            client = WebClient(
                token=settings.slack_bot_token.get_secret_value(),
                base_url=settings.slack_api_url.rstrip("/") + "/",
                timeout=int(settings.http_timeout),
                retry_handlers=handlers,
            )
            return cls(client=client, channel=channel)
        assert settings.slack_webhook_url is not None
        webhook = WebhookClient(settings.slack_webhook_url.get_secret_value(),
                                timeout=int(settings.http_timeout), retry_handlers=handlers)
        return cls(webhook=webhook)

    def send(self, message: Message) -> None:
        """Post one alert.

        Raises:
            DeliveryError: Slack refused it (``permanent`` for auth/channel errors) or is unreachable.
        """
        text = format_text(message)
        try:
            if self.client is not None:
                self.client.chat_postMessage(channel=self.channel, text=text, unfurl_links=False)
                return
            assert self.webhook is not None
            resp = self.webhook.send(text=text, unfurl_links=False)
        except SlackApiError as exc:
            error = exc.response.get("error", "unknown_error") if exc.response else "unknown_error"
            raise DeliveryError(f"Slack refused the message: {error}",
                                permanent=error in PERMANENT_ERRORS) from exc
        except (SlackClientError, OSError) as exc:
            raise DeliveryError(f"Slack is unreachable: {exc}") from exc
        if resp.status_code != 200:
            raise DeliveryError(f"Slack webhook answered {resp.status_code}: {resp.body}",
                                permanent=resp.status_code in (403, 404, 410))
