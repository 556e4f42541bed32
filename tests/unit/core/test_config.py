"""tracker.config: grouped Settings read from the flat TRACKER_* variables, and the flat-name table."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from tracker.config import HttpSettings, Settings, flat_settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    import os

    for name in [k for k in os.environ if k.upper().startswith(("TRACKER_", "HF_", "GITHUB_"))]:
        monkeypatch.delenv(name)
    return monkeypatch


def test_flat_variables_fill_their_groups(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("TRACKER_HTTP_TIMEOUT", "7")
    clean_env.setenv("tracker_slack_channel", "#releases")  # names are case-insensitive, as before
    clean_env.setenv("TRACKER_EMAIL_FROM", "tracker@example.org")
    clean_env.setenv("TRACKER_POLL_INTERVAL", "60")
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert settings.http.timeout == 7.0 and settings.http.max_retries == 4
    assert settings.slack.channel == "#releases"
    assert settings.email.from_address == "tracker@example.org"
    assert settings.polling.interval == 60.0


def test_aliases_and_their_priority(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("HF_ENDPOINT", "http://mirror.test")
    clean_env.setenv("HF_TOKEN", "hf_alias")
    clean_env.setenv("TRACKER_HF_TOKEN", "hf_tracker")
    clean_env.setenv("GITHUB_TOKEN", "gh")
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert settings.hub.endpoint == "http://mirror.test"
    assert settings.hub.token == SecretStr("hf_tracker")  # TRACKER_HF_TOKEN wins over HF_TOKEN
    assert settings.github.token == SecretStr("gh")


def test_dotenv_file_is_read_and_the_environment_wins(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env_file = tmp_path / "tracker.env"
    env_file.write_text("TRACKER_HTTP_TIMEOUT=9\nTRACKER_HTTP_CONCURRENCY=3\nHF_TOKEN=hf_file\n")
    clean_env.setenv("TRACKER_HTTP_CONCURRENCY", "5")
    settings = Settings(_env_file=env_file, data_dir=tmp_path)
    assert (settings.http.timeout, settings.http.concurrency) == (9.0, 5)
    assert settings.hub.token == SecretStr("hf_file")
    assert Settings(_env_file=None, data_dir=tmp_path).http.timeout == 30.0


def test_flat_keywords_and_groups_given_whole(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("TRACKER_HTTP_TIMEOUT", "7")
    settings = Settings(_env_file=None, data_dir=tmp_path, http_timeout=3, arxiv_min_interval=0)
    assert settings.http.timeout == 3.0 and settings.arxiv.min_interval == 0  # keywords win over variables
    whole = Settings(_env_file=None, data_dir=tmp_path, http=HttpSettings(max_retries=2), http_concurrency=4)
    assert (whole.http.max_retries, whole.http.concurrency, whole.http.timeout) == (2, 4, 7.0)


def test_model_copy_takes_flat_names_and_leaves_the_original(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    copy = settings.model_copy(
        update={"slack_min_interval_s": 0.0, "database_url": "sqlite://", "hf_endpoint": "http://x"}
    )
    assert (copy.slack.min_interval_s, copy.database_url, copy.hub.endpoint) == (0.0, "sqlite://", "http://x")
    assert (settings.slack.min_interval_s, settings.database_url) == (1.0, None)
    assert copy.hub.page_limit == settings.hub.page_limit


def test_errors_name_the_flat_setting(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("HF_ENDPOINT", "ftp://mirror")
    clean_env.setenv("TRACKER_DIGEST_HOUR", "25")
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None, data_dir=tmp_path, log_level="loud")
    errors = {e["loc"]: e["msg"] for e in info.value.errors()}
    assert errors[("hf_endpoint",)] == "Value error, must be an http(s) URL, got 'ftp://mirror'"
    assert errors[("digest_hour",)] == "Input should be less than or equal to 23"
    assert errors[("log_level",)] == "Value error, must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"


def test_lookup_by_flat_name(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, github_api_url="http://gh.test")
    assert settings.lookup("github_api_url") == "http://gh.test"
    assert settings.lookup("data_dir") == tmp_path
    with pytest.raises(AttributeError, match="TRACKER_NOPE"):
        settings.lookup("nope")


def test_the_flat_table_is_complete_and_unambiguous() -> None:
    rows = flat_settings(Settings)
    assert len({row.flat for row in rows}) == len(rows)
    groups = {row.group for row in rows if row.group}
    assert not groups & {row.flat for row in rows}, "a group named like a flat setting would be ambiguous"
    by_flat = {row.flat: row.path for row in rows}
    assert by_flat["hf_endpoint"] == "hub.endpoint" and by_flat["email_from"] == "email.from_address"
    assert by_flat["sources"] == "polling.sources" and by_flat["data_dir"] == "data_dir"
    assert [row.env_names for row in rows if len(row.env_names) > 1] == [
        ("TRACKER_HF_ENDPOINT", "HF_ENDPOINT"),
        ("TRACKER_HF_TOKEN", "HF_TOKEN"),
        ("TRACKER_GITHUB_TOKEN", "GITHUB_TOKEN"),
    ]
