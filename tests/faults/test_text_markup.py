"""Hostile text is data: rich markup in repo names and upstream error bodies never stops a poll.

A real ``tracker poll`` against a local Hub whose repos are named ``Model-[/]-7B`` and
``[/INST]-Chat-8B`` and whose third org answers a maintenance page ``[/] maintenance`` instead of JSON; alerts go
to a local Slack incoming webhook. Before, rich raised ``MarkupError`` while printing the summary,
before any alert was processed, and another lab's new release was stored but never alerted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.factories import lab, subscription, write_watchlist
from tests.faults.conftest import run_tracker
from tests.faults.servers_text import SourceServer, assert_clean, hub_repo, poll_env
from tests.slack_server import SlackServer
from tracker.config import Settings
from tracker.store import Store
from tracker.store.models import Delivery, Release

pytestmark = pytest.mark.slow  # real tracker processes


def test_markup_in_names_and_error_bodies_is_printed_as_data_and_every_alert_arrives(
    store: Store, backend_settings: Settings, tmp_path: Path
) -> None:
    watchlist = write_watchlist(
        tmp_path / "watchlist.toml",
        lab("hostile", name="Hostile [bold]Lab[/]", hf_orgs=["Hostile"]),
        lab("calm", name="Calm Lab", hf_orgs=["Calm"]),
        lab("down", name="Down Lab", hf_orgs=["Down"]),
        subscriptions=[subscription("slack:default")],
    )
    with SourceServer() as hub, SlackServer() as slack:
        hub.hub = {"Hostile": [hub_repo("Hostile", "Old-1B", number=1)], "Calm": [hub_repo("Calm", "Old-1B", number=1)]}
        # a maintenance page served with 200 instead of JSON: the error quotes its body
        hub.hub_errors = {"Down": (200, "[/] maintenance [bold red]until[/] later")}
        env = poll_env(
            backend_settings,
            watchlist,
            "hf",
            TRACKER_HF_ENDPOINT=hub.url,
            TRACKER_SLACK_WEBHOOK_URL=slack.webhook_url,
        )
        baseline = run_tracker(env, "poll")
        assert_clean(baseline)
        assert baseline.returncode == 0, baseline.stdout + baseline.stderr

        hub.hub["Hostile"] += [
            hub_repo("Hostile", "Model-[/]-7B", number=2),
            hub_repo("Hostile", "[/INST]-Chat-8B", number=3),
        ]
        hub.hub["Calm"] += [hub_repo("Calm", "Tranquil-7B", number=2)]
        second = run_tracker(env, "poll")

    assert_clean(second)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Hostile/Model-[/]-7B" in second.stdout and "Hostile/[/INST]-Chat-8B" in second.stdout
    assert "Calm/Tranquil-7B" in second.stdout
    # the upstream error body is shown verbatim in the summary (a clear line, not a crash)
    assert "[/] maintenance [bold red]until[/] later" in second.stdout, second.stdout
    with store.transaction() as session:
        releases = [r.lab.slug for r in session.scalars(select(Release).where(Release.baseline.is_(False)))]
        deliveries = [(d.status, d.last_error) for d in session.scalars(select(Delivery))]
    assert set(releases) == {"hostile", "calm"}
    assert deliveries and {status for status, _ in deliveries} == {"sent"}, deliveries
    posted = json.dumps(slack.webhook_messages, ensure_ascii=False)
    assert "Calm/Tranquil-7B" in posted  # the unaffected lab's alert arrived
    assert "Hostile/Model-[/]-7B" in posted and "Hostile/[/INST]-Chat-8B" in posted  # shown as data
    # nothing doubled: one message per release (the same-poll repo is folded into its release)
    assert len(slack.webhook_messages) == len(releases)
