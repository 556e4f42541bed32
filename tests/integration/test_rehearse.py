"""``tracker rehearse``: the Qwen3 launch replayed through the real pipeline, fan-out and delivery
path; each subscription's channel renders what it would have received, and nothing is sent (the
Discord and SMTP targets below do not exist)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.factories import qwen, subscription, write_watchlist
from tracker.cli.app import app

pytest.importorskip("apprise")


def test_rehearse_shows_what_each_subscription_would_have_received(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    monkeypatch.chdir(tmp_path)
    watchlist = write_watchlist(
        tmp_path / "watchlist.toml",
        qwen(),
        subscriptions=[
            subscription("slack:#models"),
            subscription("email:reader@example.test"),
            subscription("apprise:discord://1234/abcd", kinds=["quantized", "model"]),
            subscription("console:", kinds=["paper"]),
        ],
    )
    env = {"TRACKER_WATCHLIST": str(watchlist), "TRACKER_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}

    result = CliRunner().invoke(
        app, ["rehearse", "--start", "2025-04-27", "--end", "2025-04-29T12:00:00Z", "--step-hours", "36"], env=env
    )

    assert result.exit_code == 0, result.output
    sections = {}
    for block in result.stdout.split("\n\n")[1:]:
        head, *lines = block.strip().splitlines()
        sections[head.split(": ")[0]] = (head, lines)
    # Slack: one parent for the launch; the variants first seen in the same poll are folded into it.
    head, lines = sections["slack:#models"]
    assert head == "slack:#models: 1 message(s)"
    assert lines[0].startswith("  [thread 1.000000] Qwen released Qwen3: 22 repos")
    # Email cannot be edited: ONE email per release, sent after the fold window (replay time), so
    # the variants found meanwhile are in it, even when the release was found in the last step.
    head, lines = sections["email:reader@example.test"]
    assert head == "email:reader@example.test: 1 message(s)"
    assert lines[0].startswith("  Subject: New release") and "Qwen3" in lines[0]
    # Apprise asked for quantized models only: one message per FP8 repo, nothing else.
    head, lines = sections["apprise:discord://1234/abcd"]
    assert int(head.split(": ")[1].split()[0]) == len(lines) >= 5
    assert all("FP8" in line for line in lines)
    # Papers only: the Qwen lab here has no arXiv query, so nothing.
    assert sections["console:"][0] == "console:: 0 message(s)"
    assert not (tmp_path / "data").exists(), "the rehearsal keeps nothing"


def _sections(output: str) -> dict[str, list[str]]:
    sections = {}
    for block in output.split("\n\n")[1:]:
        head, *lines = block.strip().splitlines()
        sections[head.split(": ")[0]] = [head, *lines]
    return sections


def test_rehearse_honours_the_mutes_in_force_as_live_delivery_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    monkeypatch.chdir(tmp_path)
    watchlist = write_watchlist(
        tmp_path / "watchlist.toml",
        qwen(),
        subscriptions=[subscription("slack:#models"), subscription("console:", kinds=["quantized"])],
    )
    env = {"TRACKER_WATCHLIST": str(watchlist), "TRACKER_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}
    week = ["rehearse", "--start", "2025-04-27", "--end", "2025-04-29T12:00:00Z", "--step-hours", "36"]
    runner = CliRunner()
    # A repo mute holds back that repo's alert only; a family mute (with an end) its whole launch.
    assert runner.invoke(app, ["mute", "Qwen/Qwen3-8B-FP8"], env=env).exit_code == 0
    assert runner.invoke(app, ["mute", "QWEN3", "--for", "2d"], env=env).exit_code == 0

    muted = runner.invoke(app, week, env=env)
    ignored = runner.invoke(app, [*week, "--ignore-mutes"], env=env)

    assert muted.exit_code == 0, muted.output
    assert ignored.exit_code == 0, ignored.output
    plain = _sections(ignored.stdout)
    assert plain["slack:#models"][0] == "slack:#models: 1 message(s)"
    fp8 = [line for line in plain["console:"][1:] if "FP8" in line]
    assert len(fp8) >= 2 and any("Qwen3-8B-FP8" in line for line in fp8)
    assert "mutes ignored (--ignore-mutes)" in ignored.stdout
    held = _sections(muted.stdout)
    assert held["slack:#models"][0] == "slack:#models: 0 message(s)"
    assert held["console:"][0] == "console:: 0 message(s)"
    note = next(line for line in muted.stdout.splitlines() if line.startswith("muted now"))
    assert note.startswith("muted now (tracker mute): qwen/qwen3-8b-fp8, qwen3; ")
    assert int(note.split("; ")[1].split()[0]) >= 1 + len(fp8)
    assert "alert event(s) (releases, variants, follow-ups) held back on every channel" in note


def test_rehearse_with_only_a_repo_muted_holds_back_that_repo_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    monkeypatch.chdir(tmp_path)
    watchlist = write_watchlist(
        tmp_path / "watchlist.toml", qwen(), subscriptions=[subscription("console:", kinds=["quantized"])]
    )
    env = {
        "TRACKER_WATCHLIST": str(watchlist),
        "TRACKER_DATA_DIR": str(tmp_path / "data"),
        "COLUMNS": "200",
        "TRACKER_SLAK_CHANNEL": "#typo",
    }
    week = ["rehearse", "--start", "2025-04-27", "--end", "2025-04-29T12:00:00Z", "--step-hours", "36"]
    runner = CliRunner()
    first = runner.invoke(app, week, env=env)
    assert first.stderr.count("unknown setting TRACKER_SLAK_CHANNEL") == 1, "warned once, not per context"
    before = _sections(runner.invoke(app, week, env=env).stdout)["console:"][1:]
    assert not (tmp_path / "data").exists(), "no database is created to look for mutes"
    assert runner.invoke(app, ["mute", "Qwen/Qwen3-8B-FP8"], env=env).exit_code == 0

    after = _sections(runner.invoke(app, week, env=env).stdout)["console:"][1:]

    assert any("Qwen3-8B-FP8" in line for line in before)
    assert [line for line in before if "Qwen3-8B-FP8" not in line] == after


def test_rehearse_says_when_it_cannot_read_the_mutes_and_how_to_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    monkeypatch.chdir(tmp_path)
    watchlist = write_watchlist(tmp_path / "watchlist.toml", qwen(), subscriptions=[subscription("console:")])
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "TRACKER_WATCHLIST": str(watchlist),
        "TRACKER_DATA_DIR": str(tmp_path / "data"),
        "TRACKER_DATABASE_URL": f"postgresql+psycopg://me:hunter2-pw@127.0.0.1:{port}/tracker",
        "COLUMNS": "300",
    }
    week = ["rehearse", "--start", "2025-04-27", "--end", "2025-04-27T12:00:00Z"]

    refused = CliRunner().invoke(app, week, env=env)
    ignored = CliRunner().invoke(app, [*week, "--ignore-mutes"], env=env)

    assert refused.exit_code == 1, refused.output
    assert "hunter2-pw" not in refused.output
    assert refused.stderr.startswith("error: cannot open the database postgresql+psycopg://me:***@")
    assert refused.stderr.rstrip().endswith("--ignore-mutes rehearses without them)")
    assert ignored.exit_code == 0, ignored.output
    assert "mutes ignored (--ignore-mutes)" in ignored.stdout
