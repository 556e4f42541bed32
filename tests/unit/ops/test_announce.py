"""``first_in_window``: the first caller of a key in a window announces, the others stay quiet."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.factories import make_settings
from tracker.ops.announce import first_in_window


def test_file_marks_announce_once_per_window_and_again_after_it(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)

    assert first_in_window(settings, "unreachable:huggingface.co", 60)
    assert not first_in_window(settings, "unreachable:huggingface.co", 60)
    assert first_in_window(settings, "unreachable:arxiv.org", 60), "keys are independent"

    for path in (tmp_path / "announce").iterdir():  # age every mark past the window
        old = time.time() - 120
        os.utime(path, (old, old))
    assert first_in_window(settings, "unreachable:huggingface.co", 60)
    assert not first_in_window(settings, "unreachable:huggingface.co", 60)


def test_redis_marks_are_shared_and_expire(tmp_path: Path, redis_url: str) -> None:
    settings = make_settings(tmp_path, broker_url=redis_url)

    assert first_in_window(settings, "cycle", 1)
    assert not first_in_window(settings, "cycle", 1)
    time.sleep(1.1)
    assert first_in_window(settings, "cycle", 1)


def test_an_unusable_mark_directory_announces_rather_than_stays_silent(tmp_path: Path) -> None:
    (tmp_path / "announce").write_text("a file where the directory should be")
    settings = make_settings(tmp_path)

    assert first_in_window(settings, "k", 60)
    assert first_in_window(settings, "k", 60)
