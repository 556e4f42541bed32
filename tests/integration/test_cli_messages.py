"""What the ``tracker`` commands say in the corners a newcomer hits: cut size lists, no channel
for the pulse, every source failing, Ctrl-C, unwritable files, bad settings, a backwards demo
range, unknown delivery ids. Each runs the Typer app in-process (``CliRunner``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.fakes import add_alert_event
from tracker.cli.app import app
from tracker.cli.poll import INTERRUPTED_POLL
from tracker.cli.releases import shorten_list
from tracker.config import Settings
from tracker.store import Store
from tracker.store.serialize import ordered_size_labels

QWEN3_SIZES = ["8B", "14B", "0.6B", "235B-A22B", "30B-A3B", "32B", "1.7B", "4B"]
QWEN3_TOTALS = {
    "0.6B": 0.6,
    "1.7B": 1.7,
    "4B": 4.0,
    "8B": 8.0,
    "14B": 14.0,
    "30B-A3B": 30.0,
    "32B": 32.0,
    "235B-A22B": 235.0,
}


def _store_env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        "TRACKER_DATA_DIR": str(settings.data_dir),
        "TRACKER_DATABASE_URL": settings.resolved_database_url,
        "COLUMNS": "250",
        **extra,
    }


def _variant(label: str, total: float | None = None) -> dict:
    return {"variant": {"size_label": label, "params_total_b": total}}


# --------------------------------------------------------------------------- 1. sizes


def test_size_labels_sort_by_total_parameters_then_unknown_ones_by_name() -> None:
    arts = [_variant(label) for label in [*QWEN3_SIZES, "Air", "17B-16E"]] + [_variant("8B", 8.0), _variant(None)]
    assert ordered_size_labels(arts) == [
        "0.6B",
        "1.7B",
        "4B",
        "8B",
        "14B",
        "30B-A3B",
        "32B",
        "235B-A22B",
        "17B-16E",
        "Air",
    ]
    # the stored total wins over the label (a name-less size read from the model card)
    assert ordered_size_labels([_variant("Large", 100.0), _variant("Small", 7.0)]) == ["Small", "Large"]


def test_shorten_list_cuts_between_items_and_says_how_many_are_left_out() -> None:
    assert shorten_list(["0.6B", "4B"]) == "0.6B, 4B"
    sizes = ["0.6B", "1.7B", "4B", "8B", "14B", "30B-A3B", "32B", "235B-A22B"]
    assert shorten_list(sizes) == "0.6B, 1.7B, 4B, 8B, 14B, 30B-A3B, … +2"
    assert shorten_list(sizes, width=30) == "0.6B, 1.7B, 4B, 8B, 14B, … +3"
    assert shorten_list(["x" * 50, "y"]) == "x" * 50 + ", … +1"  # one item is always shown


def test_releases_table_and_csv_list_sizes_smallest_first(
    store: Store, backend_settings: Settings, clean_env: None
) -> None:
    from tracker.store.models import Artifact, Release

    with store.transaction() as session:
        release = None
        for label in QWEN3_SIZES:
            event = add_alert_event(
                session, name=f"Qwen/Qwen3-{label}", params_total_b=QWEN3_TOTALS[label], release=release
            )
            session.get(Artifact, event.artifact_id).size_label = label
            release = session.get(Release, event.release_id)
    runner = CliRunner()

    table = runner.invoke(app, ["releases"], env=_store_env(backend_settings))
    csv_out = runner.invoke(app, ["releases", "--format", "csv"], env=_store_env(backend_settings))

    assert table.exit_code == 0, table.output
    assert "0.6B, 1.7B, 4B, 8B, 14B, 30B-A3B, … +2" in table.stdout
    assert csv_out.exit_code == 0, csv_out.output
    assert "0.6B 1.7B 4B 8B 14B 30B-A3B 32B 235B-A22B" in csv_out.stdout


# --------------------------------------------------------------------------- 2. pulse


def test_pulse_send_without_a_configured_channel_names_the_settings(
    store: Store, backend_settings: Settings, clean_env: None
) -> None:
    result = CliRunner().invoke(
        app, ["pulse", "--week", "2025-W18", "--send", "--as-of", "2025-05-05"], env=_store_env(backend_settings)
    )

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        "slack:default: not sent: Slack is not configured (set TRACKER_SLACK_BOT_TOKEN and "
        "TRACKER_SLACK_CHANNEL, or TRACKER_SLACK_WEBHOOK_URL)"
    ) in lines
    assert lines[-1].startswith("pulse not sent: no subscription's channel is configured")
    assert "[[subscriptions]]" in lines[-1]  # not eaten as rich markup


# --------------------------------------------------------------------------- 3-4. poll


def test_ctrl_c_during_poll_says_what_is_kept_and_exits_130(
    store: Store, backend_settings: Settings, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracker.pipeline

    def interrupted(*args: object, **kwargs: object) -> list:
        raise KeyboardInterrupt

    monkeypatch.setattr(tracker.pipeline, "poll_once", interrupted)

    result = CliRunner().invoke(app, ["poll"], env=_store_env(backend_settings))

    assert result.exit_code == 130
    assert result.stderr.strip() == INTERRUPTED_POLL
    assert "units already stored are kept" in INTERRUPTED_POLL and "run tracker poll again" in INTERRUPTED_POLL


# --------------------------------------------------------------------------- 5. files and settings


def test_chart_into_a_missing_directory_is_one_line_and_exit_2(tmp_path: Path, clean_env: None) -> None:
    out = tmp_path / "nonexistent" / "dir" / "a.png"

    result = CliRunner().invoke(app, ["chart", "cadence", "--out", str(out)], env={"TRACKER_DATA_DIR": str(tmp_path)})

    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    assert f"usage error: --out {out}: directory {out.parent} does not exist" in result.stderr
    assert not out.exists()


def test_slack_webhook_url_that_is_not_a_url_is_a_configuration_error(tmp_path: Path, clean_env: None) -> None:
    result = CliRunner().invoke(
        app, ["slack", "test"], env={"TRACKER_DATA_DIR": str(tmp_path), "TRACKER_SLACK_WEBHOOK_URL": "not-a-url"}
    )

    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "TRACKER_SLACK_WEBHOOK_URL" in result.stderr and "http(s) URL" in result.stderr
    assert "not-a-url" not in result.stderr  # a webhook URL is a secret: never echoed


# --------------------------------------------------------------------------- 6. demo


def test_demo_refuses_an_end_before_its_start(tmp_path: Path, clean_env: None) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--start", "2025-05-04", "--end", "2025-04-27", "--data-dir", str(tmp_path)]
    )

    assert result.exit_code == 2, result.output
    assert "--end must be after --start" in result.stderr
    assert not (tmp_path / "tracker.db").exists()


@pytest.mark.parametrize(("start", "end"), [("2030-01-01", "2030-01-02"), ("2019-01-01", "2019-02-01")])
def test_demo_outside_the_recordings_says_what_they_cover(
    tmp_path: Path, clean_env: None, start: str, end: str
) -> None:
    result = CliRunner().invoke(app, ["demo", "--start", start, "--end", end, "--data-dir", str(tmp_path)])

    assert result.exit_code == 2, result.output
    assert "the recordings cover 2023-10-25 to 2025-12-28" in result.stderr
    assert not (tmp_path / "tracker.db").exists()


def test_demo_closing_hint_names_the_as_of_date_of_the_history(tmp_path: Path, clean_env: None) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--start", "2025-04-27", "--end", "2025-04-28", "--step-hours", "24", "--data-dir", str(tmp_path)]
    )

    assert result.exit_code == 0, result.output
    assert f"TRACKER_DATA_DIR={tmp_path} tracker cadence --as-of 2025-04-28" in result.stdout
    assert f"TRACKER_DATA_DIR={tmp_path} tracker adoption --as-of 2025-04-28" in result.stdout
    assert "tracker digest --preview d.html --at 2025-04-28" in result.stdout


# --------------------------------------------------------------------------- 7. deliveries


def test_retry_says_not_found_for_unknown_ids_and_not_failed_for_others(
    store: Store, backend_settings: Settings, clean_env: None
) -> None:
    from tracker.outbox.deliveries import create_delivery

    with store.transaction() as session:
        pending = create_delivery(
            session=session,
            idempotency_key="k1",
            kind="alert",
            channel="console:test",
            now=datetime(2025, 4, 28, tzinfo=UTC),
        )
        assert pending is not None
        session.flush()
        pending_id = pending.id

    result = CliRunner().invoke(
        app, ["deliveries", "retry", "99999", str(pending_id)], env=_store_env(backend_settings)
    )

    assert result.exit_code == 1, result.output  # the named work was not done: scripts must see it
    lines = result.stdout.splitlines()
    assert "not found: 99999" in lines
    assert f"not failed (left alone): {pending_id} (pending)" in lines
    assert "re-queued 0 deliveries" in lines


# --------------------------------------------------------------------------- serve


def test_serve_hands_the_installed_enqueue_factory_to_the_api(
    settings: Settings, clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``workers.cli`` installs the Celery enqueuer through ``tracker.cli.serve``; the API gets it."""
    import uvicorn

    from tracker.cli import serve as serve_module

    served: list[tuple[object, str, int]] = []

    def run(self: uvicorn.Server, sockets: list) -> None:  # type: ignore[type-arg]
        served.append((self.config.app, self.config.host, self.config.port))
        for sock in sockets:
            sock.close()

    monkeypatch.setattr(uvicorn.Server, "run", run)

    def factory(settings: Settings) -> None:
        return None

    monkeypatch.setattr(serve_module, "_enqueue_factory", None)
    serve_module.set_enqueue_factory(factory)
    result = CliRunner().invoke(app, ["serve", "--port", "8123"], env=_store_env(settings))

    assert result.exit_code == 0, result.output
    ((api, host, port),) = served
    assert (host, port) == ("127.0.0.1", 8123)
    assert api.state.enqueue_factory is factory
