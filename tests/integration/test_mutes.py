"""``tracker mute``: alerts about a muted repo, family or lab get no delivery on any channel;
an expired mute no longer applies; ``tracker mute`` / ``unmute`` / ``subscriptions`` show them."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.factories import make_watchlist, qwen, subscription
from tests.fakes import add_alert_event
from tracker.cli.app import app
from tracker.config import Settings
from tracker.errors import UsageError
from tracker.outbox.dispatch import dispatch_pending
from tracker.outbox.mutes import parse_duration, set_mute
from tracker.store import Store
from tracker.store.models import Delivery, Event

T0 = datetime(2025, 4, 28, 12, tzinfo=UTC)
CHANNELS = ["console:", "webhook:http://127.0.0.1:9/hook"]


def _alerts(session) -> None:  # type: ignore[no-untyped-def]
    add_alert_event(session, lab="qwen", title="Qwen3", name="Qwen/Qwen3-8B", now=T0)
    add_alert_event(session, lab="qwen", title="Qwen2.5-VL", name="Qwen/Qwen2.5-VL-7B", now=T0)
    add_alert_event(session, lab="deepseek", title="DeepSeek-Prover-V2", name="deepseek-ai/DeepSeek-Prover-V2", now=T0)


def _delivered_artifacts(store: Store) -> dict[str, set[str]]:
    with store.transaction() as session:
        rows = session.execute(select(Delivery.channel, Event.payload).join(Event, Event.id == Delivery.event_id))
        out: dict[str, set[str]] = {}
        for channel, payload in rows:
            out.setdefault(channel, set()).add(payload["artifact"]["name"])
        return out


@pytest.mark.parametrize(
    ("target", "left"),
    [
        ("qwen/QWEN3-8b", {"Qwen/Qwen2.5-VL-7B", "deepseek-ai/DeepSeek-Prover-V2"}),  # a repo
        ("qwen3", {"Qwen/Qwen2.5-VL-7B", "deepseek-ai/DeepSeek-Prover-V2"}),  # a family
        ("Qwen", {"deepseek-ai/DeepSeek-Prover-V2"}),  # a lab
    ],
)
def test_a_mute_holds_back_matching_alerts_on_every_channel(
    store: Store, backend_settings: Settings, target: str, left: set[str]
) -> None:
    watchlist = make_watchlist(qwen(), subscriptions=[subscription(c) for c in CHANNELS])
    with store.transaction() as session:
        _alerts(session)
        set_mute(session=session, target=target, until=T0 + timedelta(days=7), now=T0)

    summary = dispatch_pending(store, settings=backend_settings, watchlist=watchlist, clock=lambda: T0)

    assert summary.muted == 3 - len(left)
    assert _delivered_artifacts(store) == dict.fromkeys(CHANNELS, left)
    again = dispatch_pending(
        store, settings=backend_settings, watchlist=watchlist, clock=lambda: T0 + timedelta(days=8)
    )
    assert again.events == 0, "muted alerts are dispatched (held back), never sent after the mute"


def test_an_expired_mute_no_longer_applies(store: Store, backend_settings: Settings) -> None:
    watchlist = make_watchlist(qwen(), subscriptions=[subscription("console:")])
    with store.transaction() as session:
        _alerts(session)
        set_mute(session=session, target="qwen", until=T0 - timedelta(minutes=1), now=T0 - timedelta(days=1))

    summary = dispatch_pending(store, settings=backend_settings, watchlist=watchlist, clock=lambda: T0)

    assert summary.muted == 0 and len(summary.delivery_ids) == 3


def test_parse_duration() -> None:
    assert parse_duration("7d") == timedelta(days=7)
    assert parse_duration("12h") == timedelta(hours=12)
    assert parse_duration("2W") == timedelta(weeks=2)
    for bad in ("", "7", "0d", "3y", "-1d"):
        with pytest.raises(UsageError):
            parse_duration(bad)


def test_mute_commands_set_list_and_lift_mutes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith(("TRACKER_", "HF_"))]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    env = {"TRACKER_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}
    run = CliRunner()

    assert run.invoke(app, ["mute"], env=env).stdout == "no mutes\n"
    muted = run.invoke(app, ["mute", "Qwen3", "--for", "7d"], env=env)
    assert muted.exit_code == 0 and muted.stdout.startswith("muted: qwen3 (until ")
    assert run.invoke(app, ["mute", "deepseek"], env=env).stdout == "muted: deepseek (until `tracker unmute`)\n"
    listed = run.invoke(app, ["subscriptions"], env=env)
    assert "muted: deepseek" in listed.stdout and "muted: qwen3" in listed.stdout
    assert run.invoke(app, ["unmute", "QWEN3"], env=env).stdout == "unmuted: qwen3\n"
    assert run.invoke(app, ["mute"], env=env).stdout == "muted: deepseek (until `tracker unmute`)\n"
    missing = run.invoke(app, ["unmute", "qwen3"], env=env)
    assert missing.exit_code == 1
    bad = run.invoke(app, ["mute", "qwen", "--for", "soon"], env=env)
    assert bad.exit_code == 2 and bad.stderr.startswith("usage error: --for must be a duration")
