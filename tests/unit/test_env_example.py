"""``.env.example`` lists every ``TRACKER_*`` setting of ``tracker.config.Settings``, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from tracker.config import Settings

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def test_env_example_lists_every_setting() -> None:
    names = set(re.findall(r"^#? ?(TRACKER_[A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))
    expected = {f"TRACKER_{name.upper()}" for name in Settings.model_fields}
    assert names == expected, f"missing: {sorted(expected - names)}; unknown: {sorted(names - expected)}"
