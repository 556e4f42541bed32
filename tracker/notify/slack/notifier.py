"""Slack notifier: one message per release, later variants in its thread, through slack-sdk.

Modes (chosen by ``SlackNotifier.from_settings``):

* **Bot token** (``TRACKER_SLACK_BOT_TOKEN`` + a channel; Web API at ``TRACKER_SLACK_API_URL``):
  the first alert of a release posts the parent message (``chat.postMessage``) and returns its
  ``ThreadRef``; a later variant (``Outgoing.thread`` set) is a thread reply (``thread_ts``) and
  the parent is edited (``chat.update``) to show the new variant count: never a second
  top-level message. Every message carries ``metadata`` (``event_type`` ``tracker_delivery``,
  payload ``{"delivery_id": N}``) so ``find_sent`` can find it with ``conversations.history``
  (``conversations.replies`` for thread replies) after a crash between send and record.
* **Incoming webhook** (``TRACKER_SLACK_WEBHOOK_URL``): no threads, no edits, no history. A
  release is one message; variants found in a later poll become one follow-up message per poll
  (the batch is built from the store by ``build_alert``).

Variants first seen in the same poll as their release are already listed in the parent message
(it is built after that poll committed), so their deliveries send nothing (``folded``). Variants
of one later poll are one reply: the first of them delivered to a channel posts it (listing the
whole batch, tagged with the batch key in its metadata); the others are folded. Bot mode finds an
earlier reply of the batch in the thread (``conversations.replies``), so this holds across
workers and restarts; webhook mode remembers batches per process only. Subscription filters may
drop some deliveries of a batch (quantized repos by default): whichever is delivered first posts.

Rate limits: slack-sdk retry handlers wait out 429 ``Retry-After`` (up to
``slack_max_retry_after_s``; longer waits become a transient ``DeliveryError`` with
``retry_after``) and retry connection errors. New messages to one channel are spaced at least
``slack_min_interval_s`` apart (Slack allows about one message per second per channel); the
spacing is per process (each worker process keeps its own pace).

Errors: ``SlackDeliveryError`` (a ``DeliveryError``) with the Slack error ``code``; permanent
for auth/channel/payload errors (``PERMANENT_ERRORS``), transient otherwise.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.webhook import WebhookClient

from tracker.config import Settings
from tracker.errors import DeliveryError
from tracker.notify import Outgoing, SendResult, ThreadRef
from tracker.notify.slack.blocks import SlackContent, alert_content, escape, release_content, test_content, variant_content
from tracker.notify.content import Message

log = logging.getLogger(__name__)

#: ``metadata.event_type`` of every message tracker posts (``find_sent`` looks for it).
METADATA_EVENT_TYPE = "tracker_delivery"

#: Slack API errors that retrying cannot fix (the delivery is recorded as failed).
PERMANENT_ERRORS = frozenset({
    "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
    "no_permission", "missing_scope", "not_allowed_token_type", "ekm_access_denied",
    "channel_not_found", "not_in_channel", "is_archived", "restricted_action",
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "too_many_attachments",
    "invalid_metadata_format", "invalid_metadata_schema", "metadata_too_large",
    "cant_update_message", "edit_window_closed", "message_not_found",
    # incoming webhooks answer with these bodies
    "invalid_token", "no_service", "no_service_id", "no_team", "team_disabled", "channel_is_archived",
    "action_prohibited", "posting_to_general_channel_denied", "invalid_payload", "user_not_found",
})

#: What to do about an error, in words (used by ``tracker slack test`` and delivery errors).
ERROR_HINTS = {
    "invalid_auth": "the token is invalid: check TRACKER_SLACK_BOT_TOKEN (a bot token starts with xoxb-)",
    "not_authed": "no token was sent: set TRACKER_SLACK_BOT_TOKEN",
    "token_revoked": "the token was revoked: reinstall the Slack app and update TRACKER_SLACK_BOT_TOKEN",
    "account_inactive": "the token's user or app is deactivated",
    "missing_scope": "the bot lacks a scope: add chat:write (and channels:history for find_sent) and reinstall",
    "channel_not_found": "channel not found: check TRACKER_SLACK_CHANNEL (use the channel ID, e.g. C0123, "
                         "for private channels) and that the bot can see it",
    "not_in_channel": "the bot is not a member of the channel: type /invite @<bot name> in it",
    "is_archived": "the channel is archived: unarchive it or choose another channel",
    "invalid_blocks": "Slack rejected the message blocks (a bug in tracker: please report it)",
    "no_service": "the incoming webhook was removed: create a new one and update TRACKER_SLACK_WEBHOOK_URL",
    "invalid_token": "the incoming webhook URL is invalid: check TRACKER_SLACK_WEBHOOK_URL",
    "channel_is_archived": "the webhook's channel is archived",
}

_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


class SlackDeliveryError(DeliveryError):
    """Slack refused a call or could not be reached.

    Attributes:
        code (str): Slack's ``error`` (``channel_not_found``...), ``ratelimited``, ``http_<status>``
            for webhook statuses without a known body, or ``unreachable``.
    """

    def __init__(self, message: str, *, code: str, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message, permanent=permanent, retry_after=retry_after)
        self.code = code


# --------------------------------------------------------------------------- pacing and retries


class ChannelPacer:
    """Keeps new messages to one channel at least ``min_interval_s`` seconds apart (thread-safe).

    Each call to ``wait`` reserves the next free slot for its key and sleeps until it, so a
    burst of N messages to one channel takes about (N-1) x ``min_interval_s``, while other
    channels are not held up. Process-local.

    Args:
        min_interval_s (float): seconds between two messages to one channel.
        clock (Callable[[], float]): monotonic seconds (injectable for tests).
        sleep (Callable[[float], None]): how to wait (injectable for tests).
    """

    def __init__(self, min_interval_s: float = 1.0, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.min_interval_s, self.clock, self.sleep = min_interval_s, clock, sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """Sleep until ``key`` may send again; return the seconds waited."""
        with self._lock:
            now = self.clock()
            slot = max(now, self._next.get(key, now))
            self._next[key] = slot + self.min_interval_s
        delay = slot - now
        if delay > 0:
            self.sleep(delay)
        return delay


_PACERS: dict[float, ChannelPacer] = {}
_PACERS_LOCK = threading.Lock()


def shared_pacer(min_interval_s: float) -> ChannelPacer:
    """The process-wide pacer for ``min_interval_s`` (shared by every notifier of the process)."""
    with _PACERS_LOCK:
        return _PACERS.setdefault(min_interval_s, ChannelPacer(min_interval_s))


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, (list, tuple)) else str(value)
    return None


def _retry_after_s(headers: Mapping[str, Any] | None) -> float | None:
    value = _header(headers, "Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class RetryAfterHandler(RateLimitErrorRetryHandler):
    """slack-sdk 429 handler that sleeps exactly ``Retry-After`` seconds, up to ``max_wait_s``.

    A longer ``Retry-After`` is not waited for in-process: the call then fails with a transient
    ``SlackDeliveryError`` carrying ``retry_after`` and the delivery is retried later.

    Args:
        max_retry_count (int): 429 retries per call.
        max_wait_s (float): longest ``Retry-After`` (seconds) waited in-process.
        sleep (Callable[[float], None]): injectable for tests.
    """

    def __init__(self, max_retry_count: int = 2, *, max_wait_s: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep):
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait_s, self.sleep = max_wait_s, sleep

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:  # type: ignore[no-untyped-def]
        if response is None or response.status_code != 429:
            return False
        wait = _retry_after_s(response.headers)
        return wait is None or wait <= self.max_wait_s

    def prepare_for_next_attempt(self, *, state, request, response=None, error=None) -> None:  # type: ignore[no-untyped-def]
        if response is None:
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        wait = _retry_after_s(response.headers)
        self.sleep(1.0 if wait is None else wait)
        state.increment_current_attempt()


def retry_handlers(settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> list[RetryHandler]:
    """The retry handlers every Slack client gets: 429 ``Retry-After`` and connection errors."""
    return [RetryAfterHandler(max_retry_count=2, max_wait_s=settings.slack_max_retry_after_s, sleep=sleep),
            ConnectionErrorRetryHandler(max_retry_count=2)]


# --------------------------------------------------------------------------- the notifier


def _api_error(exc: SlackApiError, what: str) -> SlackDeliveryError:
    resp = exc.response
    code = (resp.get("error") if resp is not None else None) or "unknown_error"
    status = getattr(resp, "status_code", None)
    if status == 429 or code == "ratelimited":
        retry_after = _retry_after_s(getattr(resp, "headers", None))
        return SlackDeliveryError(f"Slack rate-limited {what} (retry after {retry_after or '?'} s)",
                                  code="ratelimited", retry_after=retry_after)
    hint = ERROR_HINTS.get(code)
    return SlackDeliveryError(f"Slack refused {what}: {code}" + (f" ({hint})" if hint else ""),
                              code=code, permanent=code in PERMANENT_ERRORS)


def _unreachable(exc: Exception, where: str) -> SlackDeliveryError:
    return SlackDeliveryError(f"Slack is unreachable at {where}: {exc} (check the network and TRACKER_SLACK_API_URL)",
                              code="unreachable")


class SlackNotifier:
    """Posts alerts to one Slack channel (bot token) or one incoming webhook.

    Args:
        client (WebClient, optional): Web API client (bot token mode).
        channel (str, optional): channel id (``C0123``) or ``#name`` for bot token mode.
        webhook (WebhookClient, optional): incoming-webhook client (no threads).
        pacer (ChannelPacer, optional): spacing of new messages per channel; default: the
            process-wide pacer for 1 s.
        history_limit (int): messages ``find_sent`` inspects (newest first).
    """

    def __init__(self, *, client: WebClient | None = None, channel: str | None = None,
                 webhook: WebhookClient | None = None, pacer: ChannelPacer | None = None,
                 history_limit: int = 200):
        if client is None and webhook is None:
            raise ValueError("SlackNotifier needs a WebClient or a WebhookClient")
        self.client, self.channel, self.webhook = client, channel, webhook
        self.pacer = pacer or shared_pacer(1.0)
        self.history_limit = history_limit
        self.name = f"slack:{channel}" if client else "slack:webhook"
        self._channel_id: str | None = channel if channel and _CHANNEL_ID.match(channel) else None
        self._batches: set[str] = set()  # batch keys this notifier posted (process-local)

    @classmethod
    def from_settings(cls, settings: Settings, *, channel: str | None,
                      sleep: Callable[[float], None] = time.sleep) -> SlackNotifier:
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
        pacer = shared_pacer(settings.slack_min_interval_s) if sleep is time.sleep else ChannelPacer(
            settings.slack_min_interval_s, sleep=sleep)
        timeout = int(settings.http_timeout)
        if settings.slack_bot_token:
            client = WebClient(token=settings.slack_bot_token.get_secret_value(),
                               base_url=settings.slack_api_url.rstrip("/") + "/",
                               timeout=timeout, retry_handlers=handlers)
            return cls(client=client, channel=channel or settings.slack_channel, pacer=pacer)
        if settings.slack_webhook_url is None:
            raise ValueError("Slack is not configured: set TRACKER_SLACK_BOT_TOKEN or TRACKER_SLACK_WEBHOOK_URL")
        webhook = WebhookClient(settings.slack_webhook_url.get_secret_value(), timeout=timeout,
                                retry_handlers=handlers)
        return cls(webhook=webhook, pacer=pacer)

    # ------------------------------------------------------------------ Web API funnel

    def _call(self, method: str, what: str, **kwargs: Any) -> dict[str, Any]:
        """The one Web API funnel: call ``method``, map failures to ``SlackDeliveryError``."""
        assert self.client is not None
        try:  # the SDK's typed method: chat.postMessage -> chat_postMessage (its own verb and encoding)
            resp = getattr(self.client, method.replace(".", "_"))(**kwargs)
        except SlackApiError as exc:
            raise _api_error(exc, what) from exc
        except (SlackClientError, OSError) as exc:
            raise _unreachable(exc, self.client.base_url) from exc
        return dict(resp.data) if isinstance(resp.data, dict) else {}

    @staticmethod
    def _metadata(out: Outgoing) -> dict[str, Any]:
        payload: dict[str, Any] = {"delivery_id": out.delivery_id}
        if out.message is not None and out.message.batch_key and not out.message.is_release:
            payload["batch"] = out.message.batch_key
        return {"event_type": METADATA_EVENT_TYPE, "event_payload": payload}

    def _post(self, content: SlackContent, *, out: Outgoing | None, what: str, thread_ts: str | None = None) -> dict[str, Any]:
        self.pacer.wait(f"{self.client.base_url if self.client else ''}|{self.channel or ''}")  # stable key per channel
        args: dict[str, Any] = {"channel": self._channel_id or self.channel, "text": content.text,
                                "blocks": content.blocks or None, "unfurl_links": False, "unfurl_media": False,
                                "parse": "none", "link_names": False}
        if out is not None:
            args["metadata"] = self._metadata(out)
        if thread_ts:
            args["thread_ts"] = thread_ts
        data = self._call("chat.postMessage", what, **args)
        if data.get("channel"):
            self._channel_id = data["channel"]
        return data

    def _update(self, thread: ThreadRef, content: SlackContent) -> None:
        self._call("chat.update", "the release message update", channel=thread.channel_id, ts=thread.ts,
                   text=content.text, blocks=content.blocks, parse="none", link_names=False)

    # ------------------------------------------------------------------ webhook funnel

    def _webhook_post(self, content: SlackContent, what: str) -> None:
        """Post to the incoming webhook; its errors come back as statuses, not exceptions."""
        assert self.webhook is not None
        self.pacer.wait("webhook:" + self.webhook.url)
        try:
            resp = self.webhook.send(text=content.text, blocks=content.blocks or None, unfurl_links=False,
                                     unfurl_media=False)
        except (SlackClientError, OSError) as exc:
            raise _unreachable(exc, "the incoming webhook") from exc
        if resp.status_code == 200:
            return
        body = (resp.body or "").strip()
        code = body if re.fullmatch(r"[a-z_]+", body) else f"http_{resp.status_code}"
        if resp.status_code == 429:
            retry_after = _retry_after_s(resp.headers)
            raise SlackDeliveryError(f"Slack webhook rate-limited {what} (retry after {retry_after or '?'} s)",
                                     code="ratelimited", retry_after=retry_after)
        hint = ERROR_HINTS.get(code)
        permanent = code in PERMANENT_ERRORS or resp.status_code in (400, 403, 404, 410)
        raise SlackDeliveryError(f"Slack webhook refused {what}: {resp.status_code} {code}"
                                 + (f" ({hint})" if hint else ""), code=code, permanent=permanent)

    # ------------------------------------------------------------------ Notifier protocol

    def send(self, out: Outgoing | Message) -> SendResult:
        """Deliver one alert (or a ``test``/other kind with ``payload`` ``{"text", "blocks"}``).

        Bot token: no ``out.thread`` -> post the release message (the parent) and return its
        ``ThreadRef``; ``out.thread`` set -> a variant posts one thread reply for its batch and
        edits the parent's variant count (a release alert just edits the parent); variants
        already shown in the parent send nothing. Webhook: a release message, or one follow-up
        per later poll's batch of variants.

        Args:
            out (Outgoing | Message): the delivery. A bare ``Message`` (the first notifier API)
                is sent as a delivery without id or thread.

        Returns:
            SendResult: ``external_ref`` ``{"channel", "ts"}`` of the message posted (plus
            ``thread_ts`` for replies, ``folded`` when nothing was posted) and the thread to
            remember (None in webhook mode).

        Raises:
            SlackDeliveryError: ``permanent`` for auth/channel/payload errors, transient for
                rate limits (with ``retry_after``), server errors and network failures.
        """
        if isinstance(out, Message):
            out = Outgoing(delivery_id=0, idempotency_key=out.idempotency_key, kind="alert",
                           channel=self.name, message=out)
        message = out.message
        if out.kind == "pulse" or (message is not None and message.event in ("lab_quiet", "lab_burst")):
            return self._send_cadence(out)  # issue 9: the weekly pulse and quiet/burst alerts
        if out.kind != "alert" or message is None:
            return self._send_payload(out)
        if self.webhook is not None:
            return self._send_webhook(message)
        return self._send_bot(out, message)

    def _send_payload(self, out: Outgoing) -> SendResult:
        """Non-alert kinds: ``payload["blocks"]`` (trusted: build them with ``tracker.notify.slack.blocks``)
        with ``payload["text"]``, or a plain ``text``/``title`` that is escaped here."""
        blocks = list(out.payload.get("blocks") or [])
        if out.kind == "test" and not blocks:
            content = test_content(channel=self.channel or "this webhook's channel", now=datetime.now(UTC))
        elif blocks:
            content = SlackContent(blocks, str(out.payload.get("text") or out.kind))
        else:
            content = SlackContent([], escape(out.payload.get("text") or out.payload.get("title") or out.kind))
        if self.webhook is not None:
            self._webhook_post(content, f"the {out.kind} message")
            return SendResult(external_ref={"webhook": True})
        data = self._post(content, out=out, what=f"the {out.kind} message")
        return SendResult(external_ref={"channel": data.get("channel"), "ts": data.get("ts")})

    def _send_cadence(self, out: Outgoing) -> SendResult:
        """Issue 9: post a quiet/burst alert, or the pulse (``payload["blocks"]`` + ``text``) and, with
        a bot token, upload its chart (``payload["chart_png_b64"]``) into the pulse's thread with
        ``files_upload_v2`` (needs ``files:write``). A failed upload is logged and recorded in
        ``external_ref["chart_error"]``, never retried: the message is out (it links the dashboard
        when ``TRACKER_DASHBOARD_URL`` is set). Webhook mode cannot upload files."""
        from tracker.notify.slack.pulse_blocks import cadence_alert_content

        if out.kind == "pulse":
            content = SlackContent(list(out.payload.get("blocks") or []), str(out.payload.get("text") or "Weekly pulse"))
        else:
            assert out.message is not None
            content = cadence_alert_content(out.message)
        if self.webhook is not None:
            self._webhook_post(content, f"the {out.kind} message")
            return SendResult(external_ref={"webhook": True})
        data = self._post(content, out=out, what=f"the {out.kind} message")
        ref: dict[str, Any] = {"channel": data.get("channel"), "ts": data.get("ts")}
        chart = out.payload.get("chart_png_b64") if out.kind == "pulse" else None
        if chart and data.get("channel") and data.get("ts"):
            import base64

            try:
                up = self._call("files_upload_v2", "the pulse chart upload", channel=data["channel"],
                                thread_ts=data["ts"], file=base64.b64decode(chart),
                                filename=out.payload.get("chart_filename") or "pulse.png",
                                title=out.payload.get("chart_title") or "Releases per ISO week")
                ref["chart_file"] = (up.get("file") or {}).get("id")
            except SlackDeliveryError as exc:
                log.warning("pulse chart not uploaded to %s: %s", data["channel"], exc)
                ref["chart_error"] = str(exc)
        return SendResult(external_ref=ref)

    def _batch_seen(self, message: Message) -> bool:
        return bool(message.batch_key) and message.batch_key in self._batches

    def _remember_batch(self, message: Message) -> None:
        if message.batch_key:
            if len(self._batches) > 10_000:  # bounded; forgetting only costs a Slack read (bot mode)
                self._batches.clear()
            self._batches.add(message.batch_key)

    def _batch_posted_in_thread(self, thread: ThreadRef, message: Message) -> bool:
        """True when the thread already has the reply for this batch (another delivery, worker or run).

        Reads ``conversations.replies`` with metadata; if that fails (for example the token lacks
        ``channels:history``), answers False: a duplicate reply is better than a lost one.
        """
        if not message.batch_key:
            return False
        try:
            data = self._call("conversations.replies", "reading the thread", channel=thread.channel_id,
                              ts=thread.ts, include_all_metadata=True, limit=self.history_limit)
        except SlackDeliveryError as exc:
            log.warning("cannot read Slack thread %s/%s to batch variants: %s", thread.channel_id, thread.ts, exc)
            return False
        for msg in data.get("messages") or []:
            meta = msg.get("metadata") or {}
            if meta.get("event_type") == METADATA_EVENT_TYPE and \
                    (meta.get("event_payload") or {}).get("batch") == message.batch_key:
                return True
        return False

    def _send_webhook(self, message: Message) -> SendResult:
        if message.is_release:
            self._webhook_post(alert_content(message), "the release message")
            return SendResult(external_ref={"webhook": True})
        if message.in_parent or self._batch_seen(message):
            return SendResult(external_ref={"webhook": True, "folded": True})
        self._webhook_post(variant_content(message, follow_up=True), "the variants follow-up")
        self._remember_batch(message)
        return SendResult(external_ref={"webhook": True, "follow_up": True})

    def _send_bot(self, out: Outgoing, message: Message) -> SendResult:
        thread = out.thread
        if thread is None:  # first message of this release in this channel: the parent
            data = self._post(alert_content(message), out=out, what="the release message")
            channel_id, ts = data.get("channel") or self._channel_id or "", str(data.get("ts", ""))
            self._remember_batch(message)
            return SendResult(external_ref={"channel": channel_id, "ts": ts},
                              thread=ThreadRef(channel_id, ts, max(message.variant_count, 1)))
        known = message.variant_count
        folded = message.is_release or message.in_parent or self._batch_seen(message)
        if not folded and self._batch_posted_in_thread(thread, message):
            self._remember_batch(message)
            folded = True
        if folded:
            # Nothing new to post: the parent shows it, or this poll's reply is already there.
            count = max(thread.variant_count, known)
            if count > thread.variant_count or message.is_release:
                self._update(thread, release_content(message, variant_count=count))
            return SendResult(external_ref={"channel": thread.channel_id, "ts": thread.ts, "folded": True},
                              thread=ThreadRef(thread.channel_id, thread.ts, count))
        data = self._post(variant_content(message), out=out, what="the variant reply", thread_ts=thread.ts)
        self._remember_batch(message)
        count = max(thread.variant_count, known) if known else thread.variant_count + max(len(message.batch), 1)
        ref = {"channel": data.get("channel") or thread.channel_id, "ts": str(data.get("ts", "")),
               "thread_ts": thread.ts}
        try:
            self._update(thread, release_content(message, variant_count=count))
        except SlackDeliveryError as exc:  # the reply is out: do not resend it; the next update fixes the count
            log.warning("Slack parent %s/%s not updated: %s", thread.channel_id, thread.ts, exc)
            ref["update_error"] = str(exc)
        return SendResult(external_ref=ref, thread=ThreadRef(thread.channel_id, thread.ts, count))

    def find_sent(self, out: Outgoing) -> SendResult | None:
        """Return the earlier post of this delivery if Slack shows one (bot token mode), else None.

        Looks at the newest ``history_limit`` messages of the channel (``conversations.history``,
        or ``conversations.replies`` of the release thread for a variant) with
        ``include_all_metadata`` and matches ``metadata.event_payload.delivery_id``. Webhook mode
        cannot read the channel and returns None. A parent edit is not looked for: redoing it
        is harmless.

        Raises:
            SlackDeliveryError: the history could not be read (``missing_scope`` needs
                ``channels:history``/``groups:history``).
        """
        if self.client is None:
            return None
        message = out.message
        if out.thread is not None:
            channel_id = out.thread.channel_id
            data = self._call("conversations.replies", "reading the thread", channel=channel_id,
                              ts=out.thread.ts, include_all_metadata=True, limit=self.history_limit)
        else:
            channel_id = self._resolve_channel_id()
            data = self._call("conversations.history", "reading the channel history", channel=channel_id,
                              include_all_metadata=True, limit=self.history_limit)
        for msg in data.get("messages") or []:
            meta = msg.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == METADATA_EVENT_TYPE and str(payload.get("delivery_id")) == str(out.delivery_id):
                ts = str(msg.get("ts"))
                count = max(message.variant_count, 1) if message else 1
                if out.thread is not None:
                    return SendResult(external_ref={"channel": channel_id, "ts": ts, "thread_ts": out.thread.ts},
                                      thread=ThreadRef(channel_id, out.thread.ts, max(out.thread.variant_count, count)))
                return SendResult(external_ref={"channel": channel_id, "ts": ts},
                                  thread=ThreadRef(channel_id, ts, count))
        return None

    def _resolve_channel_id(self) -> str:
        """The channel's id: cached, given as an id, or looked up by name (``conversations.list``)."""
        if self._channel_id:
            return self._channel_id
        name = (self.channel or "").lstrip("#")
        cursor: str | None = None
        while True:
            args: dict[str, Any] = {"types": "public_channel,private_channel", "exclude_archived": True,
                                    "limit": 1000}
            if cursor:
                args["cursor"] = cursor
            data = self._call("conversations.list", "listing channels", **args)
            for ch in data.get("channels") or []:
                if ch.get("name") == name:
                    self._channel_id = ch["id"]
                    return ch["id"]
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise SlackDeliveryError(f"Slack channel #{name} not found ({ERROR_HINTS['channel_not_found']})",
                                         code="channel_not_found", permanent=True)

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
        if self.webhook is not None:
            self._webhook_post(test_content(channel="this webhook's channel", now=now), "the test message")
            return {"mode": "webhook"}
        auth = self._call("auth.test", "the token")
        data = self._post(test_content(channel=self.channel or "?", now=now), out=None, what="the test message")
        return {"mode": "bot", "channel": data.get("channel"), "ts": data.get("ts"),
                "team": auth.get("team"), "user": auth.get("user")}
