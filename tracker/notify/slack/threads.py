"""One Slack message per release, later variants in its thread: where each release alert goes.

**Bot token** (``SlackApi``): the first alert of a release in a channel posts the parent message
and returns its ``ThreadRef``; a later variant (``Outgoing.thread`` set) is a reply in that
thread (``thread_ts``) and the parent is edited (``chat.update``) to show the new variant
count: never a second top-level message.

**Incoming webhook** (``SlackWebhook``): no threads, no edits, no history. A release is one
message; variants found in a later poll become one follow-up message per poll.

Variants first seen in the same poll as their release are already listed in the parent message
(it is built after that poll committed), so their deliveries send nothing (``folded``). Variants
of one later poll are one reply: the first of them delivered to a channel posts it (listing the
whole batch, tagged with the batch key in its metadata); the others are folded. Bot mode finds
an earlier reply of the batch in the thread (``conversations.replies``), so this holds across
workers and restarts; webhook mode remembers batches per process only. Subscription filters may
drop some deliveries of a batch (quantized repos by default): whichever is delivered first posts.
"""

from __future__ import annotations

import logging

from tracker.notify.base import Outgoing, SendResult, ThreadRef
from tracker.notify.content import FOLLOW_UP_EVENTS, Message
from tracker.notify.slack.api import SlackApi, SlackWebhook, delivery_metadata
from tracker.notify.slack.blocks import release_content
from tracker.notify.slack.errors import SlackDeliveryError
from tracker.notify.slack.follow_ups import send_follow_up
from tracker.notify.slack.render import RENDERERS, Where

log = logging.getLogger(__name__)

#: Batch keys remembered per process before the memory is cleared (forgetting costs one thread read).
MAX_REMEMBERED_BATCHES = 10_000


class ReleaseThreads:
    """Places release and variant alerts: through ``webhook`` when given, else ``api`` (bot token).

    Args:
        api (SlackApi, optional): the channel's Web API (threads, edits, history; ``find_sent``).
        webhook (SlackWebhook, optional): an incoming webhook (no threads).
    """

    def __init__(self, *, api: SlackApi | None, webhook: SlackWebhook | None):
        if api is None and webhook is None:
            raise ValueError("ReleaseThreads needs a SlackApi or a SlackWebhook")
        self.api, self.webhook = api, webhook
        self._batches: set[str] = set()  # batch keys posted by this process

    def send(self, out: Outgoing, where: Where) -> SendResult:
        """Post, reply to or fold one alert (``out.message`` set) and return the thread to remember.

        Raises:
            SlackDeliveryError: the post failed (a failed parent edit after a reply is only
                reported in ``external_ref["update_error"]``: the reply is out).
        """
        assert out.message is not None
        if out.message.event in FOLLOW_UP_EVENTS:  # edits or answers the release's message
            return send_follow_up(self.api, self.webhook, out, out.message)
        if self.webhook is not None:
            return self._send_by_webhook(self.webhook, out, out.message, where)
        assert self.api is not None  # __init__ requires one of them
        if out.thread is None:  # first message of this release in this channel: the parent
            return self._post_parent(self.api, out, out.message, where)
        return self._send_in_thread(self.api, out, out.message, out.thread, where)

    def find_sent(self, out: Outgoing) -> SendResult | None:
        """The earlier post of this delivery if the channel shows one (bot token), else None.

        A parent edit is not looked for: redoing it is harmless.

        Raises:
            SlackDeliveryError: the history could not be read.
        """
        if self.api is None:
            return None
        found = self.api.find_delivery(out.delivery_id, out.thread)
        if found is None:
            return None
        channel_id, ts = found
        count = max(out.message.variant_count, 1) if out.message else 1
        if out.thread is not None:
            return SendResult(
                external_ref={"channel": channel_id, "ts": ts, "thread_ts": out.thread.ts},
                thread=ThreadRef(channel_id, out.thread.ts, max(out.thread.variant_count, count)),
            )
        return SendResult(external_ref={"channel": channel_id, "ts": ts}, thread=ThreadRef(channel_id, ts, count))

    # ------------------------------------------------------------------ batches of one poll

    def _batch_seen(self, message: Message) -> bool:
        return message.batch_sent or (bool(message.batch_key) and message.batch_key in self._batches)

    def _remember_batch(self, message: Message) -> None:
        if message.batch_key:
            if len(self._batches) > MAX_REMEMBERED_BATCHES:
                self._batches.clear()
            self._batches.add(message.batch_key)

    # ------------------------------------------------------------------ bot token

    def _post_parent(self, api: SlackApi, out: Outgoing, message: Message, where: Where) -> SendResult:
        data = api.post(RENDERERS["parent"](out, where), what="the release message", metadata=delivery_metadata(out))
        channel_id, ts = data.get("channel") or api.channel_id or "", str(data.get("ts", ""))
        self._remember_batch(message)
        return SendResult(
            external_ref={"channel": channel_id, "ts": ts},
            thread=ThreadRef(channel_id, ts, max(message.variant_count, 1)),
        )

    def _send_in_thread(
        self, api: SlackApi, out: Outgoing, message: Message, thread: ThreadRef, where: Where
    ) -> SendResult:
        known = message.variant_count
        folded = message.is_release or message.in_parent or self._batch_seen(message)
        if not folded and message.batch_key and api.batch_posted(thread, message.batch_key):
            self._remember_batch(message)
            folded = True
        if folded:
            # Nothing new to post: the parent shows it, or this poll's reply is already there.
            count = max(thread.variant_count, known)
            if count > thread.variant_count or message.is_release:
                api.update(thread, release_content(message, variant_count=count))
            return SendResult(
                external_ref={"channel": thread.channel_id, "ts": thread.ts, "folded": True},
                thread=ThreadRef(thread.channel_id, thread.ts, count),
            )
        data = api.post(
            RENDERERS["reply"](out, where),
            what="the variant reply",
            metadata=delivery_metadata(out),
            thread_ts=thread.ts,
        )
        self._remember_batch(message)
        count = max(thread.variant_count, known) if known else thread.variant_count + max(len(message.batch), 1)
        ref = {
            "channel": data.get("channel") or thread.channel_id,
            "ts": str(data.get("ts", "")),
            "thread_ts": thread.ts,
        }
        try:
            api.update(thread, release_content(message, variant_count=count))
        except SlackDeliveryError as exc:  # the reply is out: do not resend it; the next update fixes the count
            log.warning("Slack parent %s/%s not updated: %s", thread.channel_id, thread.ts, exc)
            ref["update_error"] = str(exc)
        return SendResult(external_ref=ref, thread=ThreadRef(thread.channel_id, thread.ts, count))

    # ------------------------------------------------------------------ incoming webhook

    def _send_by_webhook(self, webhook: SlackWebhook, out: Outgoing, message: Message, where: Where) -> SendResult:
        if message.is_release:
            webhook.post(RENDERERS["parent"](out, where), "the release message")
            return SendResult(external_ref={"webhook": True})
        if message.in_parent or self._batch_seen(message):
            return SendResult(external_ref={"webhook": True, "folded": True})
        webhook.post(RENDERERS["follow_up"](out, where), "the variants follow-up")
        self._remember_batch(message)
        return SendResult(external_ref={"webhook": True, "follow_up": True})
