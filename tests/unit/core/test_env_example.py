"""``.env.example`` lists every ``TRACKER_*`` setting of ``tracker.config.Settings``, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from tracker.config import Settings, flat_settings
from tracker.config.env_example import render

ENV_EXAMPLE = Path(__file__).resolve().parents[3] / ".env.example"


def test_env_example_lists_every_setting() -> None:
    names = set(re.findall(r"^#? ?(TRACKER_[A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))
    expected = {row.env_names[0] for row in flat_settings(Settings)}
    assert names == expected, f"missing: {sorted(expected - names)}; unknown: {sorted(names - expected)}"


def test_env_example_is_rendered_from_the_model() -> None:
    """Defaults and comments come from the model: regenerate with `python -m tracker.config > .env.example`."""
    assert ENV_EXAMPLE.read_text() == render(Settings)


def test_every_setting_has_a_comment_and_a_default_line() -> None:
    text = render(Settings)
    for row in flat_settings(Settings):
        assert row.doc, f"{row.env_names[0]} has no comment"
        assert re.search(rf"^# {row.env_names[0]}=", text, flags=re.MULTILINE)
    assert "# TRACKER_HTTP_TIMEOUT=30\n" in text and "# TRACKER_PULSE_ENABLED=true\n" in text
