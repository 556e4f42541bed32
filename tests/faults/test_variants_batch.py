"""A batch of variants found in one later poll is posted once per channel, not once per variant.

Real ``tracker poll`` runs: a release, then twelve new variants of it in one later poll, sent to a
local Slack either through an incoming webhook (which cannot read the channel) or with a bot
token whose history reads fail with ``missing_scope``. Before, the notifier that remembered the
posted batch was rebuilt for every delivery: twelve identical "+12 new variants" messages. Now
the outbox remembers the sent batch in the database and the other deliveries are folded.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.factories import lab, subscription, write_watchlist
from tests.faults.conftest import run_tracker
from tests.faults.servers_text import SourceServer, assert_clean, hub_repo, poll_env
from tests.slack_server import SlackServer
from tracker.config import Settings
from tracker.store import Store
from tracker.store.models import Delivery

CHANNEL = "C0MODELS"
VARIANTS = [f"Nova-{size}B{suffix}" for size in (1, 3, 14, 32, 70, 120) for suffix in ("", "-Instruct")]

pytestmark = pytest.mark.slow  # real tracker processes


def _slack_env(slack: SlackServer, mode: str) -> dict[str, str]:
    if mode == "webhook":
        return {"TRACKER_SLACK_WEBHOOK_URL": slack.webhook_url}
    for method in ("conversations.replies", "conversations.history"):  # a token without history scopes
        slack.fail_next(method, error="missing_scope", times=1000)
    return {
        "TRACKER_SLACK_BOT_TOKEN": "xoxb-test-token",
        "TRACKER_SLACK_CHANNEL": CHANNEL,
        "TRACKER_SLACK_API_URL": slack.api_url,
    }


def _posts(slack: SlackServer, mode: str) -> int:
    return len(slack.webhook_messages) if mode == "webhook" else len(slack.calls_to("chat.postMessage"))


@pytest.mark.parametrize("mode", ["webhook", "bot_without_history"])
def test_twelve_variants_of_one_poll_are_one_follow_up(
    store: Store, backend_settings: Settings, tmp_path: Path, mode: str
) -> None:
    watchlist = write_watchlist(
        tmp_path / "watchlist.toml",
        lab("nova", name="Nova Lab", hf_orgs=["Nova"]),
        subscriptions=[subscription("slack:default")],
    )
    with SourceServer() as hub, SlackServer(channels={CHANNEL: "models"}) as slack:
        hub.hub = {"Nova": [hub_repo("Nova", "Old-1B", number=1, created="2026-01-05T00:00:00.000Z")]}
        env = poll_env(
            backend_settings,
            watchlist,
            "hf",
            TRACKER_HF_ENDPOINT=hub.url,
            TRACKER_SLACK_MIN_INTERVAL_S="0",
            **_slack_env(slack, mode),
        )
        assert run_tracker(env, "poll").returncode == 0  # baseline
        hub.hub["Nova"].append(hub_repo("Nova", "Nova-7B", number=2))
        launch = run_tracker(env, "poll")
        assert_clean(launch)
        assert _posts(slack, mode) == 1, launch.stdout + launch.stderr  # the release message

        hub.hub["Nova"] += [hub_repo("Nova", name, number=10 + i) for i, name in enumerate(VARIANTS)]
        batch = run_tracker(env, "poll")

    assert_clean(batch)
    assert batch.returncode == 0, batch.stdout + batch.stderr
    assert batch.stdout.count("+ variant") == len(VARIANTS), batch.stdout
    with store.transaction() as session:
        statuses = [d.status for d in session.scalars(select(Delivery))]
    assert statuses == ["sent"] * (1 + len(VARIANTS))  # every delivery is accounted for
    assert _posts(slack, mode) == 2, "one follow-up for the whole batch, not one per variant"
    follow_up = slack.webhook_messages[-1] if mode == "webhook" else slack.calls_to("chat.postMessage")[-1].args
    assert f"+{len(VARIANTS)} new variants" in str(follow_up)
    if mode != "webhook":
        assert follow_up.get("thread_ts"), "the follow-up is a reply in the release's thread"
