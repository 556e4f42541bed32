"""Follow-ups of announced releases and notices, end to end: outbox rows inserted directly
(tests/factories.py), dispatched and delivered by ``process_outbox`` to the local Slack server
(tests/slack_server.py) and the local SMTP server, on both database backends.

What a reader must see: a withdrawal edits the release's message in place once its grace period
is over (and nothing at all when the repo came back in time); a technical report joining its
launch edits the launch's message and adds ONE thread reply, never a new top-level post; an
org move is one informational notice; a later wave is its own top-level message; a per-alert
email subscription gets one email for a whole launch.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from tests.factories import (
    T0,
    add_artifact,
    add_event,
    add_lab,
    add_release,
    lab,
    make_watchlist,
    packaged,
    qwen,
    subscription,
)
from tests.fakes import FakeClock
from tests.slack_server import SlackServer
from tests.smtp_server import SmtpServer
from tracker.config import Settings
from tracker.notify.slack.blocks import render_text
from tracker.outbox.inline import process_outbox
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import Delivery, Event, Release
from tracker.watchlist import Subscription, Watchlist

TOKEN = "xoxb-test-token"
GRACE = timedelta(hours=1)
MOVED = ["zai-org/chatglm3-6b", "zai-org/glm-4-9b"]
WATCHLIST = make_watchlist(
    qwen(name="Qwen (Alibaba Cloud)"),
    lab("zhipu", name="Zhipu AI", hf_orgs=["zai-org", "THUDM"]),
    subscriptions=[subscription("slack:#models"), subscription("slack:#qwen", labs=["qwen"])],
)


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with SlackServer(token=TOKEN, channels={"C0MODELS": "models", "C0QWEN": "qwen"}) as server:
        yield server


def _slack_settings(base: Settings, slack: SlackServer, **extra: Any) -> Settings:
    update = {"slack_bot_token": SecretStr(TOKEN), "slack_api_url": slack.api_url, "slack_min_interval_s": 0.0}
    return base.model_copy(update={**update, **extra})


class Outbox:
    """Runs ``process_outbox`` at a fake time and reads back what Slack got."""

    def __init__(self, store: Store, settings: Settings, watchlist: Watchlist = WATCHLIST):
        self.store, self.settings, self.watchlist = store, settings, watchlist
        self.clock = FakeClock(T0)

    def run(self, at: Any = None) -> Any:
        if at is not None:
            self.clock.now = at
        return process_outbox(self.store, settings=self.settings, watchlist=self.watchlist, clock=self.clock)


def _launch(store: Store, *repos: str, title: str = "Qwen3", **fields: Any) -> int:
    """Insert a release of ``repos`` and its ``release_detected`` event; return the release id."""
    with store.transaction() as session:
        qwen_lab = add_lab(session)
        release = add_release(session, qwen_lab, title, repos=repos or ("Qwen/Qwen3-8B",), **fields)
        add_event(session, "release_detected", release)
        return release.id


def _withdraw(store: Store, release_id: int, *, after: timedelta, **event_fields: Any) -> int:
    """Withdraw every repo of the release ``after`` its first sight, as the pipeline would."""
    with store.transaction() as session:
        release = session.get(Release, release_id)
        when = T0 + after
        release.withdrawn_at = when
        for a in release.artifacts:
            a.withdrawn_at = when
        event = add_event(
            session,
            "release_withdrawn",
            release,
            payload={"withdrawn_at": when.isoformat(), "public_for_s": int(after.total_seconds())},
            at=when,
            not_before=when + GRACE,
            **event_fields,
        )
        return event.id


def test_withdrawal_within_the_hour_edits_the_message_after_its_grace(
    store: Store, backend_settings: Settings, slack: SlackServer
) -> None:
    outbox = Outbox(store, _slack_settings(backend_settings, slack))
    release_id = _launch(store, "Qwen/Qwen3-8B", "Qwen/Qwen3-32B")
    outbox.run(T0)
    assert len(slack.top_level("C0MODELS")) == 1 and len(slack.top_level("C0QWEN")) == 1
    parent_ts = slack.top_level("C0MODELS")[0]["ts"]

    _withdraw(store, release_id, after=timedelta(minutes=41))
    early = outbox.run(T0 + timedelta(minutes=50))  # within the grace period: not dispatched yet
    assert early.dispatch.delivery_ids == [] and slack.calls_to("chat.update") == []

    outbox.run(T0 + timedelta(minutes=41) + GRACE)
    updates = slack.calls_to("chat.update")
    assert len(updates) == 2 and len(slack.calls_to("chat.postMessage")) == 2  # edited, nothing posted
    edit = next(u.args for u in updates if u.args["channel"] == "C0MODELS")
    assert edit["ts"] == parent_ts
    assert "withdrawn after 41 min" in edit["text"]
    shown = render_text(edit["blocks"])
    assert "Qwen · Qwen3 (withdrawn)" in shown and "Withdrawn after 41 min" in shown and "2 repos" in shown

    with store.transaction() as session:  # listed again: the message is edited back
        release = session.get(Release, release_id)
        release.withdrawn_at = None
        for a in release.artifacts:
            a.withdrawn_at = None
        add_event(session, "release_restored", release, payload={"restored_at": "2025-04-29T01:00:00+00:00"})
    outbox.run(T0 + timedelta(hours=4))
    restored = [u.args for u in slack.calls_to("chat.update")[2:]]
    assert len(restored) == 2 and all("withdrawn" not in u["text"] for u in restored)
    assert len(slack.calls_to("chat.postMessage")) == 2


def test_withdrawal_cancelled_in_time_sends_nothing(
    store: Store, backend_settings: Settings, slack: SlackServer
) -> None:
    outbox = Outbox(store, _slack_settings(backend_settings, slack))
    release_id = _launch(store)
    outbox.run(T0)
    event_id = _withdraw(store, release_id, after=timedelta(minutes=10), cancelled_at=T0 + timedelta(minutes=30))
    summary = outbox.run(T0 + timedelta(hours=2))
    assert summary.dispatch.delivery_ids == [] and slack.calls_to("chat.update") == []
    with store.transaction() as session:
        event = session.get(Event, event_id)
        assert event is not None and event.dispatched_at is not None  # done with, never sent
        assert session.scalars(select(Delivery).where(Delivery.event_id == event_id)).all() == []


def _link_report(store: Store, release_id: int, *, after: timedelta) -> None:
    with store.transaction() as session:
        launch = session.get(Release, release_id)
        add_event(
            session,
            "paper_linked",
            launch,
            payload={
                "paper_release_id": None,
                "arxiv_id": "2505.09388",
                "title": "Qwen3 Technical Report",
                "url": "https://arxiv.org/abs/2505.09388",
                "published_at": (T0 + after).isoformat(),
                "after_launch_s": int(after.total_seconds()),
            },
            at=T0 + after,
        )


@pytest.mark.parametrize(("after", "broadcast"), [(timedelta(days=16), True), (timedelta(hours=1), False)])
def test_report_after_its_launch_edits_the_launch_and_replies_once(
    store: Store, backend_settings: Settings, slack: SlackServer, after: timedelta, broadcast: bool
) -> None:
    outbox = Outbox(store, _slack_settings(backend_settings, slack))
    release_id = _launch(store, "Qwen/Qwen3-8B", "Qwen/Qwen3-235B-A22B")
    outbox.run(T0)
    posts_before = len(slack.calls_to("chat.postMessage"))
    parent_ts = slack.top_level("C0MODELS")[0]["ts"]

    _link_report(store, release_id, after=after)
    outbox.run(T0 + after)

    assert len(slack.top_level("C0MODELS")) == 1, "no new top-level post"
    replies = slack.replies("C0MODELS", parent_ts)
    assert len(replies) == 1
    assert render_text(replies[0]["blocks"]).startswith(
        "📄 Technical report: Qwen3 Technical Report (arXiv 2505.09388) (https://arxiv.org/abs/2505.09388)"
    )
    reply_call = [c.args for c in slack.calls_to("chat.postMessage")[posts_before:] if c.args["channel"] == "#models"]
    assert len(reply_call) == 1 and reply_call[0].get("reply_broadcast", False) is broadcast
    edits = [u.args for u in slack.calls_to("chat.update") if u.args["channel"] == "C0MODELS"]
    assert len(edits) == 1 and edits[0]["ts"] == parent_ts
    assert "Technical report: Qwen3 Technical Report (https://arxiv.org/abs/2505.09388)" in render_text(
        edits[0]["blocks"]
    )


def test_report_without_an_announced_launch_in_a_channel_sends_nothing_there(
    store: Store, backend_settings: Settings, slack: SlackServer
) -> None:
    outbox = Outbox(store, _slack_settings(backend_settings, slack))
    release_id = _launch(store)  # announced before #qwen existed: only #models has the message
    outbox.run(T0)
    _link_report(store, release_id, after=timedelta(days=3))
    outbox.run(T0 + timedelta(days=3))
    assert len(slack.calls_to("chat.postMessage")) == 4  # 2 parents, 1 reply per channel
    fresh = Outbox(store, _slack_settings(backend_settings, slack), make_watchlist(qwen(), subscriptions=[]))
    assert fresh.run(T0 + timedelta(days=4)).dispatch.delivery_ids == []


def test_weights_after_their_paper_reply_in_the_papers_thread(
    store: Store, backend_settings: Settings, slack: SlackServer
) -> None:
    outbox = Outbox(store, _slack_settings(backend_settings, slack))
    with store.transaction() as session:
        qwen_lab = add_lab(session)
        paper = add_release(session, qwen_lab, "Qwen3-Omni Technical Report", repos=["2509.17765"], kind="paper")
        add_event(session, "release_detected", paper, payload={"lab": "qwen", "country": "CN", "kind": "paper"})
        paper_id = paper.id
    outbox.run(T0)
    paper_ts = slack.top_level("C0MODELS")[0]["ts"]
    with store.transaction() as session:
        paper = session.get(Release, paper_id)
        launch = add_release(session, paper.lab, "Qwen3-Omni", repos=["Qwen/Qwen3-Omni-30B-A3B-Instruct"])
        add_event(session, "release_detected", launch, at=T0 + timedelta(days=5))
        add_event(
            session,
            "launch_linked",
            paper,
            payload={"launch_release_id": launch.id, "title": "Qwen3-Omni", "url": launch.url},
            at=T0 + timedelta(days=5),
        )
    outbox.run(T0 + timedelta(days=5))
    assert len(slack.top_level("C0MODELS")) == 2  # the paper, then the launch
    replies = slack.replies("C0MODELS", paper_ts)
    assert len(replies) == 1 and "Weights released: Qwen3-Omni" in render_text(replies[0]["blocks"])


def test_org_move_is_one_notice_for_the_labs_followers(
    store: Store, backend_settings: Settings, slack: SlackServer
) -> None:
    outbox = Outbox(store, _slack_settings(backend_settings, slack))
    with store.transaction() as session:  # the moved repos are stored as history under the new org
        zhipu = add_lab(session, "zhipu", name="Zhipu AI", country="CN")
        add_release(session, zhipu, "ChatGLM3", repos=["zai-org/chatglm3-6b"], baseline=True)
        add_event(
            session,
            "org_move",
            payload={
                "org": "zai-org",
                "count": 23,
                "repos": ["zai-org/chatglm3-6b", "zai-org/glm-4-9b"],
                "from_orgs": ["THUDM"],
            },
            dedupe_key="org_move:zai-org:2025-04-28",
        )
    summary = outbox.run(T0)
    assert len(summary.dispatch.delivery_ids) == 1  # #models follows every lab; #qwen does not follow Zhipu
    [notice] = slack.top_level("C0MODELS")
    shown = render_text(notice["blocks"])
    assert "Zhipu AI: 23 repos moved into zai-org" in shown and "from THUDM" in shown and "zai-org/chatglm3-6b" in shown
    assert "New open-weight release" not in shown and slack.top_level("C0QWEN") == []


def test_a_later_wave_is_its_own_top_level_message(
    store: Store, backend_settings: Settings, slack: SlackServer
) -> None:
    outbox = Outbox(store, _slack_settings(backend_settings, slack))
    first = _launch(store, "Qwen/Qwen3-VL-235B-A22B-Instruct", title="Qwen3-VL")
    outbox.run(T0)
    with store.transaction() as session:
        family = session.get(Release, first)
        wave = add_release(
            session,
            family.lab,
            "Qwen3-VL",
            repos=["Qwen/Qwen3-VL-30B-A3B-Instruct", "Qwen/Qwen3-VL-8B-Instruct"],
            at=T0 + timedelta(days=11),
            family_release_id=first,
            attrs={"wave": {"family_title": "Qwen3-VL", "new_sizes": "30B-A3B, 8B"}},
        )
        add_event(session, "release_detected", wave, at=T0 + timedelta(days=11))
    outbox.run(T0 + timedelta(days=11))
    tops = slack.top_level("C0MODELS")
    assert len(tops) == 2 and slack.replies("C0MODELS", tops[0]["ts"]) == []
    assert render_text(tops[1]["blocks"]).startswith("Qwen · Qwen3-VL: new sizes 30B-A3B, 8B")


def test_per_alert_email_is_one_email_for_a_fourteen_repo_launch(
    store: Store, backend_settings: Settings, tmp_path: Path
) -> None:
    repos = [f"Qwen/Qwen3-{s}{q}" for s in ("0.6B", "1.7B", "4B", "8B", "14B", "32B", "30B-A3B") for q in ("", "-Base")]
    watchlist = make_watchlist(
        qwen(name="Qwen (Alibaba Cloud)"), subscriptions=[subscription("email:reader@example.org")]
    )
    with store.transaction() as session:
        qwen_lab = add_lab(session)
        release = add_release(session, qwen_lab, "Qwen3", repos=repos[:12])
        add_event(session, "release_detected", release)
        for a in release.artifacts[1:]:
            add_event(session, "variant_added", release, artifact=a)
        release_id = release.id

    def variant_found(name: str, after: timedelta) -> None:
        with store.transaction() as session:
            release = session.get(Release, release_id)
            late = add_artifact(session, release, name, at=T0 + after)
            add_event(session, "variant_added", release, artifact=late, at=T0 + after)

    with SmtpServer(tmp_path, mode="plain") as smtp:
        settings = backend_settings.model_copy(
            update={"smtp_url": SecretStr(smtp.url()), "email_from": "tracker <t@example.org>", "smtp_timeout_s": 5.0}
        )
        outbox = Outbox(store, settings, watchlist)
        outbox.run(T0)
        assert smtp.messages == []  # held for the fold window
        variant_found(repos[12], timedelta(minutes=5))  # within the window: folded into the email
        outbox.run(T0 + timedelta(minutes=5))
        outbox.run(T0 + timedelta(seconds=settings.delivery.email_fold_s))
        assert len(smtp.messages) == 1
        variant_found(repos[13], timedelta(days=2))  # later: listed by the digest, not one more email
        outbox.run(T0 + timedelta(days=2))
        assert len(smtp.messages) == 1
        body = smtp.messages[0].parsed().get_body(preferencelist=("plain",)).get_content()
        assert "13 repos" in body and "14 repos" not in body


def test_report_joining_before_the_launch_message_went_out_makes_no_second_post(
    store: Store, backend_settings: Settings, slack: SlackServer
) -> None:
    outbox = Outbox(store, _slack_settings(backend_settings, slack))
    release_id = _launch(store, "Qwen/Qwen3-8B")
    with store.transaction() as session:  # the report joins in the same hour, before any send
        launch = session.get(Release, release_id)
        report = add_release(session, launch.lab, "Qwen3 Technical Report", repos=["2505.09388"], kind="paper")
        report.merged_into_id = release_id
    _link_report(store, release_id, after=timedelta(minutes=20))
    outbox.run(T0 + timedelta(minutes=30))
    assert len(slack.calls_to("chat.postMessage")) == 2  # one release message per channel, nothing else
    [parent] = slack.top_level("C0MODELS")
    assert "Technical report: Qwen3 Technical Report" in render_text(parent["blocks"])
    assert slack.replies("C0MODELS", parent["ts"]) == []


def test_the_replayed_qwen3_launch_is_one_email(store: Store, backend_settings: Settings, tmp_path: Path) -> None:
    """The corpus' Qwen3 launch (22 repos in one poll, 3 AWQ repos four days later) through the
    real pipeline: one email, sent after the fold window, none for the later variants."""
    watchlist = packaged("qwen", subscriptions=[Subscription(channel="email:reader@example.org", kinds=("model",))])
    start = datetime(2025, 4, 27, tzinfo=UTC)
    with ReplayServer(now=start) as hub, SmtpServer(tmp_path, mode="plain") as smtp:
        settings = backend_settings.model_copy(
            update={
                "hf_endpoint": hub.hf_endpoint,
                "smtp_url": SecretStr(smtp.url()),
                "email_from": "tracker <t@example.org>",
                "smtp_timeout_s": 5.0,
            }
        )
        outbox = Outbox(store, settings, watchlist)

        def poll(at: datetime) -> None:
            hub.set_now(at)
            reports = poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
            assert all(r.status == "ok" for r in reports), [(r.lab, r.error) for r in reports]
            outbox.run(at)

        poll(start)  # baseline
        poll(datetime(2025, 4, 29, tzinfo=UTC))
        assert smtp.messages == []
        outbox.run(datetime(2025, 4, 29, tzinfo=UTC) + timedelta(seconds=settings.delivery.email_fold_s))
        poll(datetime(2025, 5, 3, tzinfo=UTC))
        outbox.run(datetime(2025, 5, 4, tzinfo=UTC))
        subjects = [str(m.parsed()["Subject"]) for m in smtp.messages]
        qwen3 = [m.parsed() for m in smtp.messages if " · Qwen3: " in str(m.parsed()["Subject"])]
        assert len(qwen3) == 1, subjects  # one per release: the 25 repos of Qwen3 are one email
        assert len(subjects) == len(set(subjects)), subjects
        assert "22 repos" in qwen3[0].get_body(preferencelist=("plain",)).get_content()


def test_with_an_incoming_webhook_a_follow_up_is_one_message_naming_the_release(
    store: Store, backend_settings: Settings, slack: SlackServer
) -> None:
    settings = backend_settings.model_copy(update={"slack_webhook_url": SecretStr(slack.webhook_url)})
    outbox = Outbox(store, settings, make_watchlist(qwen(), subscriptions=[subscription("slack:default")]))
    release_id = _launch(store, "Qwen/Qwen3-8B")
    outbox.run(T0)
    _withdraw(store, release_id, after=timedelta(minutes=41))
    outbox.run(T0 + timedelta(hours=2))
    assert len(slack.webhook_messages) == 2  # the release, then the withdrawal (no edits by webhook)
    shown = render_text(slack.webhook_messages[1]["blocks"])
    assert "Qwen · Qwen3" in shown and "was withdrawn after 41 min" in shown
