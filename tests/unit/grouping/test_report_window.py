"""The launch window of a report, and the names a title is about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tracker.grouping.papers import title_subjects
from tracker.grouping.reports import LaunchWindow

LAUNCH = datetime(2025, 4, 28, 21, tzinfo=UTC)
WINDOW = LaunchWindow(before_days=14, after_days=60)


@pytest.mark.parametrize(
    ("offset_days", "inside"),
    [(-14, True), (-14.01, False), (0, True), (16, True), (60, True), (60.01, False)],
)
def test_a_report_is_one_from_two_weeks_before_to_two_months_after(offset_days: float, inside: bool) -> None:
    assert WINDOW.holds(LAUNCH + timedelta(days=offset_days), LAUNCH) is inside


def test_naive_times_are_taken_as_utc() -> None:
    assert WINDOW.holds(datetime(2025, 5, 14), LAUNCH)


@pytest.mark.parametrize(
    ("title", "subjects"),
    [
        ("Qwen3 Technical Report", ["Qwen3"]),
        ("Phi-4-Mini Technical Report: Compact yet Powerful", ["Phi-4-Mini"]),
        ("gpt-oss-120b & gpt-oss-20b Model Card", ["gpt-oss-120b", "gpt-oss-20b"]),
        ("Kimi K2: Open Agentic Intelligence", ["Kimi K2"]),
        ("MedTune: A Medical Assistant Built on Qwen3", ["MedTune"]),
        ("Fine-tuning Qwen3 for Legal Question Answering", []),
        ("Insights into DeepSeek-V3: Scaling Challenges", []),
    ],
)
def test_title_subjects(title: str, subjects: list[str]) -> None:
    assert title_subjects(title) == subjects
