"""``tracker subscriptions`` (list) and ``tracker subscriptions test NAME`` (a sample alert through
the channel), with an Apprise ``json://`` channel to a local receiver and a console one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.factories import qwen, subscription, write_watchlist
from tests.fakes import WebhookReceiver
from tracker.cli.app import app

pytest.importorskip("apprise")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in [k for k in os.environ if k.startswith(("TRACKER_", "HF_"))]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return {"TRACKER_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "250"}


def _watchlist(tmp_path: Path, *channels: str, **filters: object) -> str:
    path = write_watchlist(
        tmp_path / "watchlist.toml", qwen(), subscriptions=[subscription(c, **filters) for c in channels]
    )
    return str(path)


def test_list_shows_each_subscription_its_filter_state_and_last_delivery(tmp_path: Path, env: dict[str, str]) -> None:
    env["TRACKER_WATCHLIST"] = _watchlist(tmp_path, "console:", "apprise:json://127.0.0.1:9/hook", "slack:#models")

    result = CliRunner().invoke(app, ["subscriptions"], env=env)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "3 subscriptions" in lines[0]
    (console_line,) = [line for line in lines if "console:" in line]
    assert "active" in console_line and "never" in console_line
    (slack_line,) = [line for line in lines if "slack:#models" in line]
    assert "not served: Slack is not configured" in slack_line
    assert any("apprise:json://127.0.0.1:9/hook" in line and "active" in line for line in lines)


def test_test_sends_a_sample_alert_through_an_apprise_channel(tmp_path: Path, env: dict[str, str]) -> None:
    with WebhookReceiver() as receiver:
        channel = "apprise:" + receiver.url.replace("http://", "json://")
        env["TRACKER_WATCHLIST"] = _watchlist(tmp_path, channel)

        by_name = CliRunner().invoke(app, ["subscriptions", "test", channel], env=env)
        by_id = CliRunner().invoke(app, ["subscriptions", "test", "1"], env=env)

    assert by_name.exit_code == 0, by_name.output
    assert by_id.exit_code == 0, by_id.output
    assert f"sent a sample alert to {channel}" in by_name.stdout
    assert len(receiver.calls) == 2
    assert "Sample-1" in receiver.calls[0]["json"]["title"]
    assert "no release was detected" in receiver.calls[0]["json"]["message"]


def test_test_says_why_a_channel_failed_and_exits_1(tmp_path: Path, env: dict[str, str]) -> None:
    with WebhookReceiver() as receiver:
        receiver.responses = [(500, {})]
        channel = "apprise:" + receiver.url.replace("http://", "json://")
        env["TRACKER_WATCHLIST"] = _watchlist(tmp_path, channel)
        result = CliRunner().invoke(app, ["subscriptions", "test", channel], env=env)

    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("test failed (transient, worth retrying): apprise:json://127.0.0.1:")


def test_test_of_an_unknown_or_unconfigured_subscription_exits_2(tmp_path: Path, env: dict[str, str]) -> None:
    env["TRACKER_WATCHLIST"] = _watchlist(tmp_path, "slack:#models")

    unknown = CliRunner().invoke(app, ["subscriptions", "test", "slack:#other"], env=env)
    unconfigured = CliRunner().invoke(app, ["subscriptions", "test", "slack:#models"], env=env)

    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("usage error: no subscription 'slack:#other'; subscriptions: slack:#models")
    assert unconfigured.exit_code == 2
    assert "slack:#models cannot be served: Slack is not configured" in unconfigured.stderr
