"""The Slack transport funnels: every call tracker makes to Slack, paced, with errors mapped.

``SlackApi`` is a bot token's Web API for one channel: it posts (``chat.postMessage``), edits
(``chat.update``), uploads into a thread (``files_upload_v2``) and reads the channel back
(``conversations.history`` / ``conversations.replies`` / ``conversations.list``). Every message it
posts carries ``metadata`` (``event_type`` ``tracker_delivery``, payload ``{"delivery_id": N}``
plus ``"batch"`` for a variant reply), which is how ``find_delivery`` finds a message whose send
was never recorded and ``batch_posted`` finds a poll's reply that another worker posted.
``SlackWebhook`` is an incoming webhook: it can only post.

New messages to one channel go through the pacer (``tracker.notify.slack.pacing``); slack-sdk's
retry handlers wait out short 429s; every failure becomes a ``SlackDeliveryError``
(``tracker.notify.slack.errors``).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from tracker.notify.base import Outgoing, ThreadRef
from tracker.notify.slack.deadline import SlackDeadlineExceeded
from tracker.notify.slack.errors import (
    ERROR_HINTS,
    SlackDeliveryError,
    api_error,
    too_slow,
    unreachable,
    webhook_error,
)
from tracker.notify.slack.mrkdwn import SlackChart, SlackContent
from tracker.notify.slack.pacing import ChannelPacer

log = logging.getLogger(__name__)

#: ``metadata.event_type`` of every message tracker posts (what the channel is searched for).
METADATA_EVENT_TYPE = "tracker_delivery"

_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


def delivery_metadata(out: Outgoing) -> dict[str, Any]:
    """The ``metadata`` a delivery's message carries: its delivery id, and its batch key for a variant reply."""
    payload: dict[str, Any] = {"delivery_id": out.delivery_id}
    if out.message is not None and out.message.batch_key and not out.message.is_release:
        payload["batch"] = out.message.batch_key
    return {"event_type": METADATA_EVENT_TYPE, "event_payload": payload}


def _tracker_payloads(data: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``(message, metadata payload)`` of every message tracker posted in a history/replies answer."""
    found = []
    for msg in data.get("messages") or []:
        meta = msg.get("metadata") or {}
        if meta.get("event_type") == METADATA_EVENT_TYPE:
            found.append((msg, meta.get("event_payload") or {}))
    return found


class SlackApi:
    """A bot token's Web API for one channel.

    Args:
        client (WebClient): slack-sdk client (token, base URL, timeout, retry handlers).
        channel (str, optional): channel id (``C0123``) or ``#name``.
        pacer (ChannelPacer): spacing of new messages per channel (seconds).
        history_limit (int): messages a channel or thread read inspects (newest first).
    """

    def __init__(self, client: WebClient, *, channel: str | None, pacer: ChannelPacer, history_limit: int = 200):
        self.client, self.channel, self.pacer, self.history_limit = client, channel, pacer, history_limit
        self.channel_id: str | None = channel if channel and _CHANNEL_ID.match(channel) else None

    def call(self, method: str, what: str, **kwargs: Any) -> dict[str, Any]:
        """Call one Web API ``method`` (``chat.postMessage``); ``what`` names it in errors.

        Returns:
            dict: Slack's answer.

        Raises:
            SlackDeliveryError: Slack refused the call, rate-limited it past the in-process wait,
                could not be reached, or gave no complete answer within the client's deadline
                (code ``deadline``; ``outcome_unknown`` for ``chat.postMessage``).
        """
        try:  # the SDK's typed method: chat.postMessage -> chat_postMessage (its own verb and encoding)
            resp = getattr(self.client, method.replace(".", "_"))(**kwargs)
        except SlackApiError as exc:
            raise api_error(exc, what) from exc
        except SlackDeadlineExceeded as exc:
            raise too_slow(exc, method) from exc
        except (SlackClientError, OSError) as exc:
            raise unreachable(exc, self.client.base_url) from exc
        return dict(resp.data) if isinstance(resp.data, dict) else {}

    def post(
        self,
        content: SlackContent,
        *,
        what: str,
        metadata: dict[str, Any] | None = None,
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> dict[str, Any]:
        """Post a new message (a reply when ``thread_ts`` is set, also shown in the channel when
        ``broadcast``: ``reply_broadcast``), after the channel's pacing wait.

        Returns:
            dict: Slack's answer (``channel`` id, ``ts``); the channel id is remembered.

        Raises:
            SlackDeliveryError: see ``call``.
        """
        self.pacer.wait(f"{self.client.base_url}|{self.channel or ''}")  # stable key per channel
        args: dict[str, Any] = {
            "channel": self.channel_id or self.channel,
            "text": content.text,
            "blocks": content.blocks or None,
            "unfurl_links": False,
            "unfurl_media": False,
            "parse": "none",
            "link_names": False,
        }
        if metadata is not None:
            args["metadata"] = metadata
        if thread_ts:
            args["thread_ts"] = thread_ts
            if broadcast:
                args["reply_broadcast"] = True
        data = self.call("chat.postMessage", what, **args)
        if data.get("channel"):
            self.channel_id = data["channel"]
        return data

    def update(self, thread: ThreadRef, content: SlackContent) -> None:
        """Edit the release's parent message (``chat.update``); raises ``SlackDeliveryError``."""
        self.call(
            "chat.update",
            "the release message update",
            channel=thread.channel_id,
            ts=thread.ts,
            text=content.text,
            blocks=content.blocks,
            parse="none",
            link_names=False,
        )

    def upload(self, chart: SlackChart, *, channel_id: str, thread_ts: str) -> str | None:
        """Upload ``chart`` into a message's thread (``files_upload_v2``, needs ``files:write``).

        Returns:
            str | None: the file id Slack returned.

        Raises:
            SlackDeliveryError: see ``call``.
        """
        up = self.call(
            "files_upload_v2",
            "the chart upload",
            channel=channel_id,
            thread_ts=thread_ts,
            file=chart.png,
            filename=chart.filename,
            title=chart.title,
        )
        return (up.get("file") or {}).get("id")

    def find_delivery(self, delivery_id: int, thread: ThreadRef | None) -> tuple[str, str] | None:
        """Find the message of a delivery by its metadata: ``(channel id, ts)``, or None.

        Reads the newest ``history_limit`` messages of the channel (``conversations.history``), or
        of ``thread`` when given (``conversations.replies``), with ``include_all_metadata``.

        Raises:
            SlackDeliveryError: the history could not be read (``missing_scope`` needs
                ``channels:history``/``groups:history``).
        """
        if thread is not None:
            channel_id = thread.channel_id
            data = self.call(
                "conversations.replies",
                "reading the thread",
                channel=channel_id,
                ts=thread.ts,
                include_all_metadata=True,
                limit=self.history_limit,
            )
        else:
            channel_id = self.resolve_channel_id()
            data = self.call(
                "conversations.history",
                "reading the channel history",
                channel=channel_id,
                include_all_metadata=True,
                limit=self.history_limit,
            )
        for msg, payload in _tracker_payloads(data):
            if str(payload.get("delivery_id")) == str(delivery_id):
                return channel_id, str(msg.get("ts"))
        return None

    def batch_posted(self, thread: ThreadRef, batch_key: str) -> bool:
        """True when ``thread`` already has the reply of batch ``batch_key`` (another delivery, worker or run).

        A failed read (for example a token without ``channels:history``) answers False: a
        duplicate reply is better than a lost one.
        """
        try:
            data = self.call(
                "conversations.replies",
                "reading the thread",
                channel=thread.channel_id,
                ts=thread.ts,
                include_all_metadata=True,
                limit=self.history_limit,
            )
        except SlackDeliveryError as exc:
            log.warning("cannot read Slack thread %s/%s to batch variants: %s", thread.channel_id, thread.ts, exc)
            return False
        return any(payload.get("batch") == batch_key for _, payload in _tracker_payloads(data))

    def resolve_channel_id(self) -> str:
        """The channel's id: cached, given as an id, or looked up by name (``conversations.list``).

        Raises:
            SlackDeliveryError: permanent ``channel_not_found`` when no channel has the name.
        """
        if self.channel_id:
            return self.channel_id
        name = (self.channel or "").lstrip("#")
        cursor: str | None = None
        while True:
            args: dict[str, Any] = {"types": "public_channel,private_channel", "exclude_archived": True, "limit": 1000}
            if cursor:
                args["cursor"] = cursor
            data = self.call("conversations.list", "listing channels", **args)
            for ch in data.get("channels") or []:
                if ch.get("name") == name:
                    self.channel_id = ch["id"]
                    return ch["id"]
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise SlackDeliveryError(
                    f"Slack channel #{name} not found ({ERROR_HINTS['channel_not_found']})",
                    code="channel_not_found",
                    permanent=True,
                )


class SlackWebhook:
    """An incoming webhook: posts only (no threads, no edits, no history).

    Args:
        webhook (WebhookClient): slack-sdk client (URL, timeout, retry handlers).
        pacer (ChannelPacer): spacing of new messages (seconds).
    """

    def __init__(self, webhook: WebhookClient, *, pacer: ChannelPacer):
        self.webhook, self.pacer = webhook, pacer

    def post(self, content: SlackContent, what: str) -> None:
        """Post one message; the webhook's errors come back as statuses, mapped to ``SlackDeliveryError``."""
        self.pacer.wait("webhook:" + self.webhook.url)
        try:
            resp = self.webhook.send(
                text=content.text, blocks=content.blocks or None, unfurl_links=False, unfurl_media=False
            )
        except SlackDeadlineExceeded as exc:
            raise too_slow(exc, "webhook") from exc
        except (SlackClientError, OSError) as exc:
            raise unreachable(exc, "the incoming webhook") from exc
        if resp.status_code != 200:
            raise webhook_error(resp, what)
