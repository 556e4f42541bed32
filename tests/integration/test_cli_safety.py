"""Commands that must not do damage or lie: refused unfinished digests and missing directories,
validated ports, masked secrets, warned misspellings, a cadence check that previews, `--version`,
help without type tags and usage errors labelled as such. The Typer app runs in-process
(``CliRunner``); the store tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.integration.test_cadence_alerts import _lab_with_old_silence
from tracker import __version__
from tracker.cli.app import app
from tracker.config import Settings
from tracker.config.unknown import unknown_settings
from tracker.errors import redact
from tracker.store import Store
from tracker.store.models import Delivery, Event


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """No TRACKER_* variable of the developer's shell; an empty data dir; wide output."""
    for name in [k for k in os.environ if k.startswith(("TRACKER_", "HF_"))]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    return {"TRACKER_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}


def _store_env(settings: Settings) -> dict[str, str]:
    return {"TRACKER_DATA_DIR": str(settings.data_dir), "TRACKER_DATABASE_URL": settings.resolved_database_url}


def test_digest_send_of_a_period_that_has_not_ended_is_refused_and_sends_nothing(
    store: Store, backend_settings: Settings, env: dict[str, str]
) -> None:
    result = CliRunner().invoke(
        app, ["digest", "--send", "--at", "2099-01-01"], env={**env, **_store_env(backend_settings)}
    )

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("usage error: --send --at: the weekly period")
    assert "not yet" in result.stderr
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0, "no period may be marked sent"


@pytest.mark.parametrize(
    "argv",
    [
        ["digest", "--preview", "{missing}/digest.html"],
        ["chart", "cadence", "--out", "{missing}/chart.png"],
        ["report", "--month", "2025-04", "--out", "{missing}/reports"],
    ],
)
def test_output_paths_in_a_missing_directory_are_refused_and_no_directory_is_made(
    argv: list[str], tmp_path: Path, env: dict[str, str]
) -> None:
    missing = tmp_path / "no" / "such"
    result = CliRunner().invoke(app, [a.format(missing=missing) for a in argv], env=env)

    assert result.exit_code == 2, result.output
    assert f"directory {missing} does not exist" in result.stderr
    assert result.stderr.startswith("usage error:")
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("port", ["99999", "0", "-1"])
def test_serve_refuses_a_port_outside_1_to_65535(port: str, env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["serve", "--port", port], env=env)

    assert result.exit_code == 2
    assert "Invalid value for '--port': Input should be" in " ".join(result.output.split())


def test_serve_on_a_taken_port_is_one_line_before_anything_starts(env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--port", str(port)], env=env)

    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [
        f"configuration error: cannot listen on 127.0.0.1:{port}: Address already in use; "
        "another process listens there: stop it or pick another --port"
    ]


def test_serve_on_a_host_that_does_not_resolve_names_it(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["serve", "--host", "no-such-host.invalid"], env=env)

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("configuration error: --host 'no-such-host.invalid' is not an address")


def test_a_database_url_error_never_prints_the_password(env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        app, ["releases"], env={**env, "TRACKER_DATABASE_URL": "postgres://alice:s3cret-pw@127.0.0.1:1/x"}
    )

    assert result.exit_code == 2
    assert "s3cret-pw" not in result.output
    assert "postgres://alice:***@127.0.0.1:1/x" in result.stderr
    assert "postgresql+psycopg://" in result.stderr  # how to write it


def test_redact_masks_url_passwords_and_known_secrets_and_leaves_the_rest() -> None:
    text = "smtp://bob:hunter22@mail:25 refused; token xoxb-123-abc rejected by https://slack.com/api"
    assert redact(text, ["xoxb-123-abc", "a"]) == (
        "smtp://bob:***@mail:25 refused; token *** rejected by https://slack.com/api"
    )


def test_an_error_line_masks_the_configured_tokens(env: dict[str, str]) -> None:
    token = "xoxb-0000-secret-token"
    cli_app = importlib.import_module("tracker.cli.app")  # the module (tracker.cli.app is also the Typer app's name)

    cli_app._secrets.add(token)
    assert cli_app.esc(f"Slack refused {token}") == "Slack refused ***"


def test_unknown_tracker_variables_are_warned_about_with_the_closest_name(env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        app, ["releases"], env={**env, "TRACKER_SLAK_CHANNEL": "#x", "TRACKER_QQQ": "1", "TRACKER_TEST_X": "1"}
    )

    assert result.exit_code == 0, result.output
    assert "warning: unknown setting TRACKER_SLAK_CHANNEL is ignored (did you mean TRACKER_SLACK_CHANNEL?)" in (
        result.stderr
    )
    assert "warning: unknown setting TRACKER_QQQ is ignored\n" in result.stderr
    assert "TRACKER_TEST_X" not in result.stderr  # read by the test tooling, not a setting


def test_unknown_settings_reads_dotenv_names_and_knows_aliases() -> None:
    assert unknown_settings(["HF_TOKEN", "TRACKER_HF_TOKEN", "tracker_poll_intervall", "PATH"]) == [
        ("tracker_poll_intervall", "TRACKER_POLL_INTERVAL")
    ]


def test_cadence_check_without_send_previews_and_writes_nothing(
    store: Store, backend_settings: Settings, env: dict[str, str]
) -> None:
    with store.transaction() as session:
        _lab_with_old_silence(session, baseline_at=datetime(2025, 1, 1, tzinfo=UTC))
    run = {**env, **_store_env(backend_settings)}

    preview = CliRunner().invoke(app, ["cadence-check", "--as-of", "2025-09-01"], env=run)

    assert preview.exit_code == 0, preview.output
    assert "preview: 1 new alert(s) due: quiet:silentlab:" in preview.stdout
    assert "nothing written" in preview.stdout
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(Event.type == "lab_quiet")) == 0
    # The preview used nothing up: the real check still writes the alert, once.
    sent = CliRunner().invoke(app, ["cadence-check", "--as-of", "2025-09-01", "--send"], env=run)
    assert sent.exit_code == 0, sent.output
    assert "1 new alert(s): quiet:silentlab:" in sent.stdout
    with store.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(Event.type == "lab_quiet")) == 1


def test_version(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["--version"], env=env)
    assert result.exit_code == 0
    assert result.stdout == f"tracker {__version__}\n"


@pytest.mark.parametrize(
    "argv", [["--help"], ["digest", "--help"], ["serve", "--help"], ["deliveries", "retry", "--help"]]
)
def test_help_has_no_type_tags(argv: list[str], env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, argv, env=env)
    assert result.exit_code == 0
    for tag in ("<bool>", "<str>", "<int>", "<path>", "<list"):
        assert tag not in result.stdout, f"{tag} in `tracker {' '.join(argv)}`"
    if argv == ["digest", "--help"]:
        assert "[daily|weekly]" in result.stdout and "PATH" in result.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["releases", "--since", "yesterday"], "usage error: --since must be a date"),
        (["deliveries", "retry"], "usage error: name delivery ids, or pass --all-failed"),
        (["digest"], "usage error: nothing to do"),
        (["report", "--month", "2025-04"], "usage error: nothing to do"),
        (["papers", "--lab", "nosuchlab"], "usage error: unknown lab 'nosuchlab'; known labs: "),
        (["adoption", "--lab", "nosuchlab"], "usage error: unknown lab 'nosuchlab'; known labs: "),
        (["releases", "--lab", "nosuchlab"], "usage error: unknown lab 'nosuchlab'; known labs: "),
        (["papers", "--since", "2025-05-01", "--until", "2025-04-01"], "usage error: --since must be before"),
        (["report", "--month", "2025-4", "--out", "."], "usage error: --month: month must be YYYY-MM"),
    ],
)
def test_usage_mistakes_are_labelled_usage_errors(argv: list[str], message: str, env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, argv, env=env)
    assert result.exit_code == 2
    assert result.stderr.startswith(message), result.stderr


def test_report_creates_its_out_directory_and_prints_no_chart_library_noise(
    tmp_path: Path, env: dict[str, str]
) -> None:
    # A real process: logging and warnings reach its stderr as a user's terminal would show them.
    argv = [sys.executable, "-m", "workers.cli", "report", "--month", "2025-04", "--out", str(tmp_path / "reports")]
    result = subprocess.run(
        argv,
        env={**os.environ, **env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "reports" / "report-2025-04.html").is_file()
    assert "matplotlib" not in result.stderr and "Warning" not in result.stderr, result.stderr


@pytest.mark.parametrize("command", ["releases", "papers", "status"])
def test_an_empty_answer_before_any_poll_says_to_poll_first(
    command: str, store: Store, backend_settings: Settings, env: dict[str, str]
) -> None:
    from tests.factories import add_lab
    from tracker.store.models import SourceState

    store_env = {**env, **_store_env(backend_settings)}
    before = CliRunner().invoke(app, [command], env=store_env)
    with store.transaction() as session:
        add_lab(session, "somelab")
        session.add(SourceState(source="hf", lab_slug="somelab", consecutive_failures=0, cursor={}))
    after = CliRunner().invoke(app, [command], env=store_env)

    assert before.exit_code == 0, before.output
    assert before.stderr.startswith("note: nothing has been polled into ")
    assert "run `tracker poll`" in before.stderr and "tracker demo" in before.stderr
    assert after.exit_code == 0, after.output
    assert "nothing has been polled" not in after.stderr


def test_a_poll_whose_due_alerts_all_failed_exits_1(
    store: Store, backend_settings: Settings, env: dict[str, str], tmp_path: Path
) -> None:
    from tests.factories import qwen, subscription, write_watchlist
    from tests.fakes import WebhookReceiver, add_alert_event
    from tracker.replay.server import ReplayServer

    with store.transaction() as session:
        add_alert_event(session)  # an alert due before this poll (e.g. left by an earlier run)
    with ReplayServer(now=datetime(2025, 4, 27, tzinfo=UTC)) as hub, WebhookReceiver() as receiver:
        receiver.responses = [(500, {})] * 5
        watchlist = write_watchlist(
            tmp_path / "w.toml", qwen(), subscriptions=[subscription(f"webhook:{receiver.url}")]
        )
        run = {
            **env,
            **_store_env(backend_settings),
            "TRACKER_WATCHLIST": str(watchlist),
            "TRACKER_HF_ENDPOINT": hub.hf_endpoint,
        }
        result = CliRunner().invoke(app, ["poll", "--source", "hf"], env=run)

    assert result.exit_code == 1, result.output
    assert "alert not delivered: delivery 1:" in result.stderr
    assert "error: no alert was delivered" in result.stderr
