"""A newcomer's configuration mistakes end in ONE readable line naming the file and the key, exit 2,
no traceback, no pydantic wording (Python types, ``Value error,`` prefixes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.factories import qwen, subscription, write_watchlist
from tracker.cli.app import app


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    return {"TRACKER_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "300"}


def _one_error_line(result: object) -> str:
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert result.exception is None or isinstance(result.exception, SystemExit)  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, lines
    assert "\\x0a" not in lines[0] and "Traceback" not in lines[0]
    return lines[0]


def test_several_watchlist_mistakes_are_one_line_in_toml_words(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_watchlist(
        tmp_path / "w.toml", qwen(), subscriptions=[subscription("console:", labs="qwen", min_params_b="big")]
    )

    line = _one_error_line(CliRunner().invoke(app, ["labs"], env={**env, "TRACKER_WATCHLIST": str(path)}))

    assert line.startswith(f"configuration error: {path}: subscription 'console:', key 'labs': should be a list")
    assert "like ['qwen'], got str" in line
    assert "; subscription 'console:', key 'min_params_b': " in line
    assert "tuple" not in line


def test_a_bad_channel_scheme_says_what_is_allowed_without_pydantic_prefix(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_watchlist(tmp_path / "w.toml", qwen(), subscriptions=[subscription("slak:#models")])

    line = _one_error_line(CliRunner().invoke(app, ["labs"], env={**env, "TRACKER_WATCHLIST": str(path)}))

    assert line.endswith(
        "subscription 'slak:#models', key 'channel': must start with one of "
        "slack:, email:, webhook:, apprise:, console:"
    )


def test_invalid_settings_drop_pydantic_prefixes(env: dict[str, str]) -> None:
    line = _one_error_line(CliRunner().invoke(app, ["labs"], env={**env, "TRACKER_LOG_LEVEL": "loud"}))

    assert line == (
        "configuration error: invalid settings: TRACKER_LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
    )


@pytest.mark.parametrize("variable", ["TRACKER_HF_ENDPOINT", "HF_ENDPOINT"])
def test_a_bad_setting_is_named_by_the_variable_the_user_set(env: dict[str, str], variable: str) -> None:
    line = _one_error_line(CliRunner().invoke(app, ["labs"], env={**env, variable: "notaurl"}))

    assert line == f"configuration error: invalid settings: {variable}: must be an http(s) URL, got 'notaurl'"
