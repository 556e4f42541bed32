"""Tests for the core size grammar (:mod:`tracker.sizes`), shared by grouping and store serialisation."""

from __future__ import annotations

import pytest

from tracker.grouping import families
from tracker.sizes import looks_like_size, parse_params, scan_sizes


def test_families_exports_the_core_parse_params() -> None:
    assert families.parse_params is parse_params


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        (["Qwen3", "235B", "A22B", "Instruct", "2507"], (235.0, 22.0, "235B-A22B", {1, 2})),
        (["Llama", "4", "Maverick", "17B", "128E", "Instruct"], (None, 17.0, "17B-128E", {3, 4})),
        (["MiniMax", "M1", "80k"], (None, None, None, {2})),
        (["bitnet", "b1.58", "2B", "4T"], (2.0, None, "2B", {2, 3})),
        (["Kimi", "Linear", "48B", "A3B", "1M"], (48.0, 3.0, "48B-A3B", {2, 3, 4})),
        (["8B"], (8.0, None, "8B", {0})),
        (["gemma", "3n", "E4B", "it"], (None, None, "E4B", {2})),
    ],
)
def test_scan_sizes_reads_counts_label_and_consumed_tokens(tokens: list[str], expected: tuple) -> None:
    assert scan_sizes(tokens) == expected


def test_the_first_token_is_a_size_only_when_it_can_only_be_one() -> None:
    assert looks_like_size("8B") and looks_like_size("A3B") and looks_like_size("8x22B") and looks_like_size("E4B")
    assert not looks_like_size("Qwen3") and not looks_like_size("2507") and not looks_like_size("4bit")
    assert parse_params("Ling-1T") == (1000.0, None, "1T")
    assert parse_params("1M") == (None, None, None)
