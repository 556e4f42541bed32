"""The Slack notifier against a local Slack-Web-API-compatible server (tests/slack_server.py).

slack-sdk is pointed at the server with ``TRACKER_SLACK_API_URL``; the server checks the token,
channels and Block Kit limits like Slack and records every call, so the tests assert on the
exact payloads. The Qwen3 launch is replayed from the corpus (replay hub) on both database
backends, and deliveries are handed to the notifier the way ``tracker.outbox.deliver`` does: with the
release's stored ``ThreadRef`` once the parent exists.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from tests.factories import packaged
from tests.slack_server import SlackServer
from tracker.config import Settings
from tracker.notify import Outgoing, SendResult, ThreadRef, build_notifier
from tracker.notify.content import Message
from tracker.notify.slack.api import METADATA_EVENT_TYPE
from tracker.notify.slack.blocks import render_text
from tracker.notify.slack.errors import SlackDeliveryError
from tracker.notify.slack.notifier import SlackNotifier
from tracker.notify.slack.pacing import ChannelPacer
from tracker.outbox.content import build_alert
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import Event, Release

TOKEN = "xoxb-test-token"
CHANNEL = "#models"


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with SlackServer(token=TOKEN, channels={"C0MODELS": "models", "C0SECRET": "secret", "C0OLD": "old"}) as server:
        server.channels["C0SECRET"].member = False
        server.channels["C0OLD"].archived = True
        yield server


class Sleeps:
    """Records waits instead of sleeping (retry handlers and the pacer take it)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


#: A wave gap (hours) that keeps repos found days after the launch in its thread.
LATE_VARIANTS_GAP_H = 14 * 24.0


def _settings(base: Settings, slack: SlackServer, **extra: Any) -> Settings:
    """``base`` with the bot token and API URL of ``slack`` (secrets wrapped like Settings does)."""
    update: dict[str, Any] = {
        "slack_bot_token": TOKEN,
        "slack_api_url": slack.api_url,
        "slack_min_interval_s": 0.0,
        **extra,
    }
    for key in ("slack_bot_token", "slack_webhook_url"):
        if isinstance(update.get(key), str):
            update[key] = SecretStr(update[key])
    return base.model_copy(update=update)


def _bot(
    settings: Settings, slack: SlackServer, channel: str = CHANNEL, sleep: Sleeps | None = None, **extra: Any
) -> SlackNotifier:
    return SlackNotifier.from_settings(_settings(settings, slack, **extra), channel=channel, sleep=sleep or Sleeps())


def _release_message(title: str = "Qwen3", artifact: str = "Qwen/Qwen3-8B") -> Message:
    return Message(
        event="release_detected",
        lab="qwen",
        lab_name="Qwen (Alibaba Cloud)",
        country="CN",
        kind="model",
        title=title,
        artifact=artifact,
        url=f"https://huggingface.co/{artifact}",
        release_url=f"https://huggingface.co/{artifact}",
        variant_count=1,
    )


def _out(message: Message, delivery_id: int, thread: ThreadRef | None = None) -> Outgoing:
    return Outgoing(
        delivery_id=delivery_id,
        idempotency_key=f"alert:{delivery_id}",
        kind="alert",
        channel=f"slack:{CHANNEL}",
        message=message,
        thread=thread,
    )


# --------------------------------------------------------------------------- the Qwen3 launch


class Launch:
    """Polls the replay hub (qwen, Hub only) and delivers the Qwen3 alerts like tracker.outbox.deliver."""

    def __init__(self, store: Store, settings: Settings, hub: ReplayServer, notifier: SlackNotifier):
        # Threading of variants a later poll finds: the AWQ repos came 4 days after the launch, a
        # wave by default, so the wave gap is widened to keep them in the launch's thread.
        settings = settings.model_copy(update={"wave_gap_hours": LATE_VARIANTS_GAP_H})
        self.store, self.settings, self.hub, self.notifier = store, settings, hub, notifier
        self.watchlist = packaged("qwen")
        self.threads: dict[int, ThreadRef] = {}
        self.delivered: set[int] = set()
        self.results: dict[int, SendResult] = {}
        self.messages: dict[int, Message] = {}

    def poll(self, now: datetime) -> None:
        self.hub.set_now(now)
        reports = poll_once(self.settings, self.store, self.watchlist, sources=["hf"], clock=self.hub.clock.now)
        assert all(r.status == "ok" for r in reports), [(r.lab, r.error) for r in reports]

    def deliver(self) -> list[Event]:
        """Send every undelivered alert of the Qwen3 release, oldest first; return the events."""
        with self.store.transaction() as session:
            qwen3 = session.scalars(select(Release).where(Release.title == "Qwen3")).one()
            events = list(
                session.scalars(
                    select(Event)
                    .where(
                        Event.release_id == qwen3.id,
                        Event.type.in_(["release_detected", "variant_added"]),
                        Event.id.not_in(self.delivered or {0}),
                    )
                    .order_by(Event.id)
                )
            )
            for event in events:
                message = build_alert(session=session, event=event)
                out = _out(message, event.id, self.threads.get(qwen3.id))
                result = self.notifier.send(out)
                if result.thread is not None:
                    self.threads[qwen3.id] = result.thread
                self.delivered.add(event.id)
                self.results[event.id], self.messages[event.id] = result, message
            session.expunge_all()
        return events


def test_qwen3_launch_is_one_parent_and_later_variants_reply_in_its_thread(
    store: Store, backend_settings: Settings, slack: SlackServer
) -> None:
    with ReplayServer(now=_utc(2025, 4, 27)) as hub:
        settings = backend_settings.model_copy(update={"hf_endpoint": hub.hf_endpoint})
        launch = Launch(store, settings, hub, _bot(settings, slack))
        launch.poll(_utc(2025, 4, 27))  # baseline
        launch.poll(_utc(2025, 4, 29))
        events = launch.deliver()
        assert [e.type for e in events].count("release_detected") == 1 and len(events) == 22

        # one top-level message; the 21 same-poll variants are in it, not 21 more messages
        posts = slack.calls_to("chat.postMessage")
        assert len(posts) == 1 and slack.calls_to("chat.update") == []
        parent = posts[0].args
        assert parent["channel"] == CHANNEL and "thread_ts" not in parent
        assert parent["metadata"] == {"event_type": METADATA_EVENT_TYPE, "event_payload": {"delivery_id": events[0].id}}
        assert parent["unfurl_links"] is False and parent["unfurl_media"] is False
        assert parent["text"] == "Qwen (Alibaba Cloud) released Qwen3: 22 repos, 0.6B–235B, apache-2.0"
        assert parent["blocks"][0] == {
            "type": "header",
            "text": {"type": "plain_text", "text": "Qwen · Qwen3", "emoji": True},
        }
        shown = render_text(parent["blocks"])
        for fact in (
            "22 repos",
            "0.6B · 1.7B · 4B · 8B · 14B · 32B",
            "30B / 3B · 235B / 22B",
            "apache-2.0",
            "new base model",
            "open, not gated",
            "text-generation",
            "arXiv 2505.09388",
            "12 days before going public",
        ):
            assert fact in shown, (fact, shown)
        parent_ts = launch.results[events[0].id].external_ref["ts"]
        thread = launch.threads[events[0].release_id]
        assert thread == ThreadRef("C0MODELS", parent_ts, 22)
        assert all(launch.results[e.id].external_ref.get("folded") for e in events[1:])

        # three AWQ repos go public on 2025-05-02: one thread reply for the poll, parent edited
        launch.poll(_utc(2025, 5, 3))
        awq = launch.deliver()
        assert [launch.messages[e.id].artifact for e in awq] == [
            "Qwen/Qwen3-14B-AWQ",
            "Qwen/Qwen3-32B-AWQ",
            "Qwen/Qwen3-8B-AWQ",
        ]
        posts = slack.calls_to("chat.postMessage")
        assert len(posts) == 2, "a later variant must never be a second top-level message"
        reply = posts[1].args
        assert reply["channel"] == "C0MODELS" and reply["thread_ts"] == parent_ts
        assert reply["metadata"]["event_payload"] == {
            "delivery_id": awq[0].id,
            "batch": f"{awq[0].release_id}@2025-05-03T00:00:00+00:00",
        }
        assert render_text(reply["blocks"]).splitlines()[:4] == [
            "+3 new variants of Qwen3 (now 25 repos)",
            f"• Qwen/Qwen3-14B-AWQ ({hub.hf_endpoint}/Qwen/Qwen3-14B-AWQ) · 14B · AWQ",
            f"• Qwen/Qwen3-32B-AWQ ({hub.hf_endpoint}/Qwen/Qwen3-32B-AWQ) · 32B · AWQ",
            f"• Qwen/Qwen3-8B-AWQ ({hub.hf_endpoint}/Qwen/Qwen3-8B-AWQ) · 8B · AWQ",
        ]
        updates = slack.calls_to("chat.update")
        assert len(updates) == 1
        assert updates[0].args["channel"] == "C0MODELS" and updates[0].args["ts"] == parent_ts
        assert "25 repos" in updates[0].args["text"] and "3 AWQ" in render_text(updates[0].args["blocks"])
        assert launch.threads[awq[0].release_id] == ThreadRef("C0MODELS", parent_ts, 25)

        # three GGUF repos on 2025-05-06: a second reply in the same thread
        launch.poll(_utc(2025, 5, 7))
        launch.deliver()
        assert len(slack.top_level("C0MODELS")) == 1
        replies = slack.replies("C0MODELS", parent_ts)
        assert len(replies) == 2 and "+3 new variants" in replies[1]["text"]
        assert "28 repos" in slack.top_level("C0MODELS")[0]["text"]
        assert launch.threads[awq[0].release_id].variant_count == 28

        # a delivery whose outcome was lost is found by its id, not sent twice
        assert launch.notifier.find_sent(_out(launch.messages[events[0].id], events[0].id)) == SendResult(
            external_ref={"channel": "C0MODELS", "ts": parent_ts}, thread=ThreadRef("C0MODELS", parent_ts, 22)
        )
        found = launch.notifier.find_sent(_out(launch.messages[awq[0].id], awq[0].id, thread))
        assert found is not None and found.external_ref["ts"] == reply_ts(slack, parent_ts, 0)


def test_through_dispatch_and_deliver_a_launch_is_one_thread(
    store: Store, backend_settings: Settings, slack: SlackServer
) -> None:
    """The production path: poll -> outbox -> tracker.outbox.dispatch -> tracker.outbox.deliver -> SlackNotifier."""
    from tracker.outbox.inline import process_outbox
    from tracker.watchlist import Subscription

    watchlist = packaged("qwen", subscriptions=[Subscription(channel="slack:default", kinds=("model", "quantized"))])
    with ReplayServer(now=_utc(2025, 4, 27)) as hub:
        settings = _settings(
            backend_settings,
            slack,
            slack_channel=CHANNEL,
            hf_endpoint=hub.hf_endpoint,
            wave_gap_hours=LATE_VARIANTS_GAP_H,  # the 05-03 AWQ repos stay in the launch's thread
        )
        for day in ((2025, 4, 27), (2025, 4, 29), (2025, 5, 3)):
            hub.set_now(_utc(*day))
            poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
            summary = process_outbox(store, settings=settings, watchlist=watchlist, clock=hub.clock.now)
            assert summary.errors == []
    qwen3 = [m for m in slack.top_level("C0MODELS") if m["text"].startswith("Qwen (Alibaba Cloud) released Qwen3:")]
    assert len(qwen3) == 1
    replies = slack.replies("C0MODELS", qwen3[0]["ts"])
    assert len(replies) == 1 and "+3 new variants" in replies[0]["text"]
    assert "25 repos" in qwen3[0]["text"] and [c.args["ts"] for c in slack.calls_to("chat.update")] == [qwen3[0]["ts"]]
    with store.transaction() as session:
        from tracker.store.models import SlackThread

        thread = session.scalars(select(SlackThread).where(SlackThread.ts == qwen3[0]["ts"])).one()
        assert (thread.channel_id, thread.variant_count) == ("C0MODELS", 25)


def reply_ts(slack: SlackServer, parent_ts: str, index: int) -> str:
    return slack.replies("C0MODELS", parent_ts)[index]["ts"]


def test_webhook_mode_posts_the_release_then_one_follow_up_per_poll(
    store: Store, backend_settings: Settings, slack: SlackServer
) -> None:
    with ReplayServer(now=_utc(2025, 4, 27)) as hub:
        settings = backend_settings.model_copy(
            update={
                "hf_endpoint": hub.hf_endpoint,
                "slack_webhook_url": SecretStr(slack.webhook_url),
                "slack_min_interval_s": 0.0,
            }
        )
        notifier = SlackNotifier.from_settings(settings, channel=None, sleep=Sleeps())
        assert notifier.webhook is not None and notifier.client is None
        launch = Launch(store, settings, hub, notifier)
        launch.poll(_utc(2025, 4, 27))
        launch.poll(_utc(2025, 4, 29))
        launch.deliver()
        assert len(slack.webhook_messages) == 1
        assert slack.webhook_messages[0]["text"].startswith("Qwen (Alibaba Cloud) released Qwen3: 22 repos")
        assert all(r.thread is None for r in launch.results.values())

        launch.poll(_utc(2025, 5, 3))
        launch.deliver()
        assert len(slack.webhook_messages) == 2, "three variants of one poll are one follow-up"
        follow_up = render_text(slack.webhook_messages[1]["blocks"])
        assert follow_up.startswith("🇨🇳 Qwen · Qwen3 (")
        assert "+3 new variants (now 25 repos)" in follow_up.splitlines()[0]
        assert follow_up.count("• Qwen/Qwen3-") == 3
        assert notifier.find_sent(_out(_release_message(), 1)) is None  # a webhook cannot read the channel


# --------------------------------------------------------------------------- safety


def test_hostile_repo_name_reaches_slack_escaped(settings: Settings, slack: SlackServer) -> None:
    hostile = "<!channel> <@U123> & friends <https://evil.test|click>"
    notifier = _bot(settings, slack)
    notifier.send(_out(_release_message(title=hostile, artifact=f"evil/{hostile}"), 1))
    args = slack.calls_to("chat.postMessage")[0].args
    raw = repr(args["blocks"]) + args["text"]
    for special in ("<!", "<@", "<https://evil"):
        assert special not in raw
    assert "&lt;!channel&gt; &lt;@U123&gt; &amp; friends" in args["text"]
    assert hostile in render_text(args["blocks"])
    assert all(
        t.get("verbatim") is True
        for b in args["blocks"]
        for t in ([b["text"]] if b.get("text", {}).get("type") == "mrkdwn" else [])
    )


# --------------------------------------------------------------------------- rate limits and errors


def test_429_retry_after_is_honoured(settings: Settings, slack: SlackServer) -> None:
    sleeps = Sleeps()
    notifier = _bot(settings, slack, sleep=sleeps)
    slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "3"}, error="ratelimited")
    result = notifier.send(_out(_release_message(), 1))
    assert result.external_ref["channel"] == "C0MODELS"
    assert sleeps.waits == [3.0], "slack-sdk must wait exactly Retry-After before the retry"
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert len(slack.top_level("C0MODELS")) == 1


def test_long_retry_after_becomes_a_transient_error_with_retry_after(settings: Settings, slack: SlackServer) -> None:
    sleeps = Sleeps()
    notifier = _bot(settings, slack, sleep=sleeps, slack_max_retry_after_s=30.0)
    slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "120"}, error="ratelimited")
    with pytest.raises(SlackDeliveryError) as info:
        notifier.send(_out(_release_message(), 1))
    assert info.value.permanent is False and info.value.retry_after == 120.0 and info.value.code == "ratelimited"
    assert sleeps.waits == []


@pytest.mark.parametrize(
    ("channel", "token", "inject", "code"),
    [
        (CHANNEL, "xoxb-wrong", None, "invalid_auth"),
        ("#nope", TOKEN, None, "channel_not_found"),
        ("#secret", TOKEN, None, "not_in_channel"),
        ("#old", TOKEN, None, "is_archived"),
        (CHANNEL, TOKEN, "invalid_blocks", "invalid_blocks"),
    ],
)
def test_permanent_errors_are_raised_as_permanent(
    settings: Settings, slack: SlackServer, channel: str, token: str, inject: str | None, code: str
) -> None:
    notifier = _bot(settings, slack, channel=channel, slack_bot_token=token)
    if inject:
        slack.fail_next("chat.postMessage", error=inject)
    with pytest.raises(SlackDeliveryError) as info:
        notifier.send(_out(_release_message(), 1))
    assert info.value.permanent is True and info.value.code == code
    assert code in str(info.value)


def test_server_errors_and_unreachable_slack_are_transient(settings: Settings, slack: SlackServer) -> None:
    notifier = _bot(settings, slack)
    slack.fail_next("chat.postMessage", status=500, error="internal_error")
    with pytest.raises(SlackDeliveryError) as info:
        notifier.send(_out(_release_message(), 1))
    assert info.value.permanent is False and info.value.code == "internal_error"

    gone = _bot(settings, slack, slack_api_url="http://127.0.0.1:9/api/")
    with pytest.raises(SlackDeliveryError) as info:
        gone.send(_out(_release_message(), 2))
    assert info.value.permanent is False and info.value.code == "unreachable"


def test_parent_update_failure_does_not_resend_the_reply(settings: Settings, slack: SlackServer) -> None:
    notifier = _bot(settings, slack)
    parent = notifier.send(_out(_release_message(), 1))
    variant = Message(
        event="variant_added",
        lab="qwen",
        lab_name="Qwen (Alibaba Cloud)",
        country="CN",
        kind="model",
        title="Qwen3",
        artifact="Qwen/Qwen3-8B-AWQ",
        url="https://huggingface.co/Qwen/Qwen3-8B-AWQ",
        release_url="https://huggingface.co/Qwen/Qwen3-8B",
        variant_count=2,
    )
    slack.fail_next("chat.update", error="internal_error")
    result = notifier.send(_out(variant, 2, parent.thread))
    assert "update_error" in result.external_ref and result.thread is not None
    assert result.thread.variant_count == 2 and len(slack.replies("C0MODELS", parent.thread.ts)) == 1


def test_a_variant_delivered_first_posts_the_release_and_the_release_then_edits_it(
    settings: Settings, slack: SlackServer
) -> None:
    notifier = _bot(settings, slack)
    variant = Message(
        event="variant_added",
        lab="qwen",
        lab_name="Qwen (Alibaba Cloud)",
        country="CN",
        kind="model",
        title="Qwen3",
        artifact="Qwen/Qwen3-8B-FP8",
        url="https://huggingface.co/Qwen/Qwen3-8B-FP8",
        release_url="https://huggingface.co/Qwen/Qwen3-8B",
        variant_count=2,
        in_parent=True,
    )
    first = notifier.send(_out(variant, 2))
    assert first.thread is not None and "Qwen · Qwen3" in render_text(slack.top_level("C0MODELS")[0]["blocks"])
    second = notifier.send(_out(_release_message(), 1, first.thread))
    assert second.external_ref["folded"] is True and second.thread == first.thread
    assert len(slack.top_level("C0MODELS")) == 1 and slack.replies("C0MODELS", first.thread.ts) == []
    assert [c.args["ts"] for c in slack.calls_to("chat.update")] == [first.thread.ts]


def _later_variant(artifact: str, delivery_count: int = 25) -> Message:
    return Message(
        event="variant_added",
        lab="qwen",
        lab_name="Qwen (Alibaba Cloud)",
        country="CN",
        kind="model",
        title="Qwen3",
        artifact=artifact,
        url=f"https://huggingface.co/{artifact}",
        release_url="https://huggingface.co/Qwen/Qwen3-8B",
        variant_count=delivery_count,
        batch_key="7@2025-05-03T00:00:00+00:00",
    )


def test_a_batch_is_one_reply_whichever_variant_is_delivered_first(settings: Settings, slack: SlackServer) -> None:
    notifier = _bot(settings, slack)
    parent = notifier.send(_out(_release_message(), 1))
    assert parent.thread is not None
    # the first repo of the poll was filtered out for this channel (quantized): the second posts
    first = notifier.send(_out(_later_variant("Qwen/Qwen3-72B"), 3, parent.thread))
    assert "folded" not in first.external_ref
    reply = slack.replies("C0MODELS", parent.thread.ts)
    assert len(reply) == 1 and reply[0]["metadata"]["event_payload"]["batch"] == "7@2025-05-03T00:00:00+00:00"
    assert notifier.send(_out(_later_variant("Qwen/Qwen3-72B-Base"), 4, first.thread)).external_ref["folded"]
    # another worker (no memory of it) finds the batch's reply in the thread
    other = _bot(settings, slack)
    assert other.send(_out(_later_variant("Qwen/Qwen3-72B-Instruct"), 5, first.thread)).external_ref["folded"]
    assert len(slack.replies("C0MODELS", parent.thread.ts)) == 1 and len(slack.top_level("C0MODELS")) == 1


def test_test_kind_posts_the_sample_message(settings: Settings, slack: SlackServer) -> None:
    notifier = _bot(settings, slack)
    result = notifier.send(Outgoing(delivery_id=5, idempotency_key="test:5", kind="test", channel="slack:#models"))
    assert result.external_ref["channel"] == "C0MODELS"
    args = slack.calls_to("chat.postMessage")[0].args
    assert args["metadata"]["event_payload"] == {"delivery_id": 5}
    assert render_text(args["blocks"]).startswith("tracker · Slack test")


def test_webhook_errors_come_back_as_errors(settings: Settings, slack: SlackServer) -> None:
    s = settings.model_copy(update={"slack_webhook_url": SecretStr(slack.webhook_url), "slack_min_interval_s": 0.0})
    sleeps = Sleeps()
    notifier = SlackNotifier.from_settings(s, channel=None, sleep=sleeps)
    slack.fail_next("webhook", status=404, error="no_service")
    with pytest.raises(SlackDeliveryError) as info:
        notifier.send(_out(_release_message(), 1))
    assert info.value.permanent is True and info.value.code == "no_service"

    slack.fail_next("webhook", status=429, error="rate_limited", headers={"Retry-After": "2"})
    notifier.send(_out(_release_message(), 2))
    assert sleeps.waits == [2.0] and len(slack.webhook_messages) == 1

    slack.fail_next("webhook", status=429, error="rate_limited", headers={"Retry-After": "600"})
    with pytest.raises(SlackDeliveryError) as info:
        notifier.send(_out(_release_message(), 3))
    assert info.value.permanent is False and info.value.retry_after == 600.0


def test_a_burst_of_20_releases_to_one_channel_is_paced(settings: Settings, slack: SlackServer) -> None:
    clock = [0.0]
    sent_at: list[float] = []

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    notifier = _bot(settings, slack)
    notifier.pacer = ChannelPacer(1.0, clock=lambda: clock[0], sleep=sleep)
    for i in range(20):
        notifier.send(_out(_release_message(title=f"Model-{i}", artifact=f"lab/Model-{i}"), i + 1))
        sent_at.append(clock[0])
    assert len(slack.top_level("C0MODELS")) == 20
    gaps = [b - a for a, b in itertools.pairwise(sent_at)]
    assert min(gaps) >= 1.0, "at most one message per second per channel"


def test_find_sent_finds_a_message_by_delivery_id(settings: Settings, slack: SlackServer) -> None:
    sender = _bot(settings, slack)
    sender.send(_out(_release_message(title="Other"), 41))
    sent = sender.send(_out(_release_message(), 42))
    fresh = _bot(settings, slack)  # another worker: knows the channel only by name
    found = fresh.find_sent(_out(_release_message(), 42))
    assert found == SendResult(
        external_ref={"channel": "C0MODELS", "ts": sent.external_ref["ts"]},
        thread=ThreadRef("C0MODELS", sent.external_ref["ts"], 1),
    )
    assert fresh.find_sent(_out(_release_message(), 43)) is None
    history = slack.calls_to("conversations.history")
    assert history and all(str(c.args["include_all_metadata"]) in ("1", "true", "True") for c in history)
    assert len(slack.top_level("C0MODELS")) == 2


def test_build_notifier_registry_still_builds_slack(settings: Settings, slack: SlackServer) -> None:
    s = _settings(settings, slack, slack_channel="#models")
    notifier = build_notifier(s, "slack:default")
    assert isinstance(notifier, SlackNotifier) and notifier.channel == "#models"
    assert SlackNotifier.from_settings(s, channel="#x").channel == "#x"


# --------------------------------------------------------------------------- tracker slack test


def run_slack_test(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "HF_"))}
    base.update({"COLUMNS": "200", **env})
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", "slack", "test", *args],
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _cli_env(tmp_path: Any, slack: SlackServer, **extra: str) -> dict[str, str]:
    return {
        "TRACKER_DATA_DIR": str(tmp_path),
        "TRACKER_SLACK_API_URL": slack.api_url,
        "TRACKER_SLACK_BOT_TOKEN": TOKEN,
        "TRACKER_SLACK_CHANNEL": CHANNEL,
        **extra,
    }


def test_cli_slack_test_succeeds(tmp_path: Any, slack: SlackServer) -> None:
    result = run_slack_test(_cli_env(tmp_path, slack))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Slack OK: posted a sample message to #models (channel id C0MODELS" in result.stdout
    assert len(slack.top_level("C0MODELS")) == 1
    assert [c.method for c in slack.calls] == ["auth.test", "chat.postMessage"]


@pytest.mark.parametrize(
    ("extra", "args", "code", "hint"),
    [
        ({"TRACKER_SLACK_BOT_TOKEN": "xoxb-wrong"}, (), "invalid_auth", "check TRACKER_SLACK_BOT_TOKEN"),
        ({}, ("--channel", "#nope"), "channel_not_found", "check TRACKER_SLACK_CHANNEL"),
        ({}, ("--channel", "#secret"), "not_in_channel", "/invite"),
        ({"TRACKER_SLACK_API_URL": "http://127.0.0.1:9/api/"}, (), "unreachable", "unreachable"),
    ],
)
def test_cli_slack_test_says_what_is_wrong(
    tmp_path: Any, slack: SlackServer, extra: dict[str, str], args: tuple[str, ...], code: str, hint: str
) -> None:
    result = run_slack_test(_cli_env(tmp_path, slack, **extra), *args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"Slack test failed ({code})" in result.stderr and hint in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_cli_slack_test_without_configuration_exits_2(tmp_path: Any) -> None:
    result = run_slack_test({"TRACKER_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "Slack is not configured" in result.stderr
