"""The radar alert end to end (SQLite and PostgreSQL): ``emit_radar_crossings`` -> dispatch -> the
local Slack server and the text channels, once per org, to the subscriptions that follow no lab."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import select

from tests.factories import T0, add_radar_candidate, packaged
from tests.slack_server import SlackServer
from tests.smtp_server import SmtpServer
from tracker.config import Settings
from tracker.notify.base import Outgoing
from tracker.notify.console import ConsoleNotifier
from tracker.notify.slack.blocks import render_text
from tracker.outbox.deliver import deliver_due
from tracker.outbox.dispatch import dispatch_pending
from tracker.outbox.mutes import set_mute
from tracker.outbox.radar_content import build_radar_message
from tracker.pipeline.radar_events import emit_radar_crossings
from tracker.store import Store
from tracker.store.models import Delivery, Event
from tracker.store.queries import get_radar_candidate
from tracker.watchlist import Subscription

HOSTILE = "Evil<!channel>&<https://x.test|click>"
NOW = T0 + timedelta(hours=1)


def _settings(settings: Settings, slack: SlackServer, **more: object) -> Settings:
    return settings.model_copy(
        update={
            "slack_bot_token": SecretStr("xoxb-test-token"),
            "slack_api_url": slack.api_url,
            "slack_channel": "C0MODELS",
            "slack_min_interval_s": 0.0,
            "hf_web_url": "https://huggingface.co",
            "radar_alerts": True,
            **more,
        }
    )


WATCHLIST = packaged(
    "qwen",
    subscriptions=[
        Subscription(channel="slack:default", kinds=("model", "paper")),  # every lab: gets radar alerts
        Subscription(channel="slack:#qwen", labs=("qwen",)),  # one lab: an org on no lab is not for it
        Subscription(channel="slack:#big", min_params_b=100),  # a threshold nothing unknown passes
    ],
)


def _run(store: Store, settings: Settings, at=NOW) -> tuple[int, list]:  # type: ignore[no-untyped-def]
    with store.transaction() as session:
        written = emit_radar_crossings(session, settings, at)
    dispatch_pending(store, settings=settings, watchlist=WATCHLIST, clock=lambda: at)
    return written, deliver_due(store, settings=settings, clock=lambda: at)


def test_a_crossing_is_alerted_once_per_org_to_subscriptions_without_a_lab_filter(
    store: Store, backend_settings: Settings
) -> None:
    with SlackServer(channels={"C0MODELS": "models", "C0QWEN": "qwen", "C0BIG": "big"}) as slack:
        settings = _settings(backend_settings, slack)
        with store.transaction() as session:
            add_radar_candidate(session, "NewLab", score=72)
            add_radar_candidate(session, "NotYet", score=40, crossed_at=None)
            add_radar_candidate(session, "Noise", score=95, status="excluded")
            add_radar_candidate(
                session,
                HOSTILE,
                score=66,
                best_repo_id=f"{HOSTILE}/m",
                reasons=[{"code": "trending", "points": 66, "text": "*bold* <@U123> & <!here>"}],
            )
        written, outcomes = _run(store, settings)
        assert written == 2
        assert all(o.sent for o in outcomes) and len(outcomes) == 2
        assert slack.top_level("C0QWEN") == [] and slack.top_level("C0BIG") == []
        posts = slack.top_level("C0MODELS")
        assert len(posts) == 2
        shown = [render_text(p["blocks"]) for p in posts]
        new_lab = next(s for s in shown if "NewLab" in s)
        assert "Radar · NewLab" in new_lab and "score 72/100" in new_lab
        assert "NewLab (https://huggingface.co/NewLab)" in new_lab
        assert "NewLab/Model-7B (https://huggingface.co/NewLab/Model-7B)" in new_lab
        assert "country unknown" in new_lab
        raw = " ".join(str(p["blocks"]) + p["text"] for p in posts)
        assert "<!channel>" not in raw and "<!here>" not in raw and "<@U123>" not in raw
        assert "<https://x.test|click>" not in raw, "a hostile org name never becomes a link"
        assert "&lt;!channel&gt;" in raw

        # Re-runs, a dip and a second crossing, a recomputed crossed_at: never a second alert.
        with store.transaction() as session:
            row = session.scalars(select(Event).where(Event.dedupe_key == "radar:newlab")).one()
            assert row.type == "radar_crossed" and row.release_id is None
            cand = get_radar_candidate(session=session, org="newlab")
            assert cand is not None
            cand.score, cand.crossed_at = 61.0, NOW + timedelta(days=1)
        for later in (NOW, NOW + timedelta(days=2)):
            written, outcomes = _run(store, settings, later)
            assert written == 0 and outcomes == []
        assert len(slack.top_level("C0MODELS")) == 2
        with store.transaction() as session:
            assert len(session.scalars(select(Delivery).where(Delivery.kind == "alert")).all()) == 2


def test_alerts_off_by_default_and_a_mute_of_the_org_holds_it_back(store: Store, backend_settings: Settings) -> None:
    with SlackServer(channels={"C0MODELS": "models"}) as slack:
        off = _settings(backend_settings, slack, radar_alerts=False)
        assert Settings(_env_file=None).radar.alerts is False
        with store.transaction() as session:
            add_radar_candidate(session, "MutedOrg", score=80)
            add_radar_candidate(session, "LoudOrg", score=70)
        assert _run(store, off) == (0, [])
        settings = _settings(backend_settings, slack)
        with store.transaction() as session:
            set_mute(session=session, target="mutedorg", until=None, now=NOW)
        written, outcomes = _run(store, settings)
        assert written == 2 and len(outcomes) == 1
        (post,) = slack.top_level("C0MODELS")
        assert "LoudOrg" in render_text(post["blocks"])


def test_only_fresh_crossings_are_alerted_when_the_alert_is_switched_on(
    store: Store, backend_settings: Settings
) -> None:
    with SlackServer(channels={"C0MODELS": "models"}) as slack:
        settings = _settings(backend_settings, slack)
        with store.transaction() as session:
            add_radar_candidate(session, "OldNews", score=90, crossed_at=NOW - timedelta(days=40))
            add_radar_candidate(session, "Yesterday", score=65, crossed_at=NOW - timedelta(hours=20))
        written, outcomes = _run(store, settings)
        assert written == 1 and len(outcomes) == 1
        (post,) = slack.top_level("C0MODELS")
        assert "Yesterday" in render_text(post["blocks"]) and "OldNews" not in render_text(post["blocks"])
        assert _run(store, settings, at=NOW + timedelta(days=3)) == (0, [])


def test_console_line_is_printable() -> None:
    message = build_radar_message(
        1, {"org": "Org\x1b[31mRed", "score": 70, "first_seen_at": "2025-04-28T00:00:00Z", "reasons": []}
    )
    stream = io.StringIO()
    out = Outgoing(delivery_id=1, idempotency_key="k", kind="alert", channel="console:", message=message)
    ConsoleNotifier(stream=stream).send(out)
    line = stream.getvalue()
    assert "\x1b" not in line and "Radar · Org\\x1b[31mRed" in line


def test_an_email_subscription_gets_one_escaped_email_per_crossing(
    store: Store, backend_settings: Settings, tmp_path: Path
) -> None:
    watchlist = packaged("qwen", subscriptions=[Subscription(channel="email:analyst@example.org")])
    with SmtpServer(tmp_path, mode="plain") as smtp:
        settings = backend_settings.model_copy(
            update={
                "smtp_url": SecretStr(smtp.url()),
                "email_from": "tracker <t@example.org>",
                "smtp_timeout_s": 5.0,
                "hf_web_url": "https://huggingface.co",
                "radar_alerts": True,
            }
        )
        with store.transaction() as session:
            add_radar_candidate(session, HOSTILE, score=66, best_repo_id="EvilOrg/m")
        for at in (NOW, NOW + timedelta(seconds=settings.delivery.email_fold_s), NOW + timedelta(days=1)):
            with store.transaction() as session:
                emit_radar_crossings(session, settings, at)
            dispatch_pending(store, settings=settings, watchlist=watchlist, clock=lambda at=at: at)
            deliver_due(store, settings=settings, clock=lambda at=at: at)
        assert len(smtp.messages) == 1
        message = smtp.messages[0].parsed()
        assert message["To"] == "analyst@example.org" and "Evil" in str(message["Subject"])
        html = message.get_body(preferencelist=("html",)).get_content()
        assert "<!channel>" not in html and "&lt;!channel&gt;" in html
        assert '<a href="https://x.test' not in html, "a hostile org name never becomes a link"
