"""Launch titles and size summaries: corpus names and names invented for the test."""

from __future__ import annotations

import pytest

from tracker.grouping.titles import display_name, format_params, launch_title, size_summary


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("Qwen/Qwen3-235B-A22B-Instruct-2507-FP8", "Qwen3-2507"),
        ("nvidia/Llama-3_1-Nemotron-Ultra-253B-v1", "Llama-3_1-Nemotron-Ultra-v1"),
        ("microsoft/Phi-4-mini-flash-reasoning", "Phi-4-mini-flash-reasoning"),
        ("mistralai/Magistral-Small-2506", "Magistral-Small-2506"),
        ("google/gemma-3-27b-it-qat-q4_0-gguf", "gemma-3-qat"),
        ("Qwen/Qwen2.5-7B-Instruct-1M", "Qwen2.5-1M"),
        ("baidu/ERNIE-4.5-0.3B-PT", "ERNIE-4.5"),
        ("google/gemma-3-27b-pt", "gemma-3"),
        ("inclusionAI/Ring-1T-preview", "Ring-preview"),
        ("meta-llama/Llama-4-Maverick-17B-128E-Instruct", "Llama-4-Maverick"),
        # invented: every kept word is one the lab wrote
        ("acme/Zeta2-Omni-Flash-12B-Chat-AWQ", "Zeta2-Omni-Flash"),
        ("acme/Zeta2-70B-Thinking-GPTQ-Int4", "Zeta2-Thinking"),
        ("acme/Zeta-3B-Base-128k-bf16", "Zeta-128k"),
        ("acme/9B", "9B"),
        ("google/paligemma2-3b-pt-224", "paligemma2"),
        ("acme/Nova-100-7B-448", "Nova-100"),
    ],
)
def test_display_name_keeps_the_words_that_name_what_shipped(name: str, title: str) -> None:
    assert display_name(name) == title


def test_launch_title_is_the_words_every_repo_of_the_family_shares() -> None:
    assert launch_title("Qwen/Qwen3-VL-235B-A22B-Instruct", ["Qwen/Qwen3-VL-235B-A22B-Thinking"]) == "Qwen3-VL"
    assert (
        launch_title("microsoft/Phi-4-reasoning", ["microsoft/Phi-4-reasoning-plus", "microsoft/Phi-4-mini-reasoning"])
        == "Phi-4-reasoning"
    )
    assert launch_title("acme/Zeta2-Air-8B") == "Zeta2-Air"
    assert launch_title("acme/Zeta2-Air-8B", ["acme/zeta2-air-8b-fp8", "acme/Zeta2-106B"]) == "Zeta2"


@pytest.mark.parametrize(
    ("billions", "label"),
    [(358.338, "358B"), (106.0, "106B"), (0.6, "0.6B"), (0.086, "86M"), (1000.0, "1T"), (7.61, "7.6B")],
)
def test_params_are_rounded_as_people_write_them(billions: float, label: str) -> None:
    assert format_params(billions) == label


def test_size_summary() -> None:
    assert size_summary([("235B-A22B", 235.0), ("235B-A22B", 235.0)]) == "235B-A22B"
    assert size_summary([("0.6B", 0.6), ("8B", 8.0), ("32B", 32.0)]) == "0.6B\u201332B"
    assert size_summary([("Air", 106.2), (None, 358.338)]) == "106B\u2013358B"  # tier words are no size
    assert size_summary([("Air", None), (None, None)]) is None
    assert size_summary([("8x22B", None), ("17B-16E", None)]) == "8x22B, 17B-16E"
