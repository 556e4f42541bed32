"""Tests for the documented significance score and the paper-title rules (pure functions)."""

from __future__ import annotations

import pytest

from tracker.grouping.papers import arxiv_base_id, title_family_keys
from tracker.grouping.significance import FLAGSHIP_THRESHOLD, WEIGHTS, score, size_term, tier_term


def test_weights_sum_to_one() -> None:
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("params_b", "expected"),
    [(None, 0.0), (0.6, 0.0), (9.0, 0.0), (10.0, 0.0), (100.0, 0.5), (1000.0, 1.0), (1043.0, 1.0)],
)
def test_size_term_is_log10_from_10b_to_1t_clamped(params_b: float | None, expected: float) -> None:
    assert size_term(params_b) == pytest.approx(expected)


def test_tier_term_unknown_tier_counts_as_secondary() -> None:
    assert tier_term("primary") == 1.0
    assert tier_term("comparator") == 0.5
    assert tier_term(None) == tier_term("secondary") == 0.6


def test_qwen3_launch_is_a_flagship() -> None:
    value = score(new_base=True, derivative=False, params_total_b=235.0, first_of_family=True, tier="primary")
    assert value == pytest.approx(0.30 + 0.35 * (2.3711 - 1) / 2 + 0.20 + 0.15, abs=1e-3)
    assert value >= FLAGSHIP_THRESHOLD


def test_dated_revision_of_a_new_base_scores_below_the_first_launch() -> None:
    first = score(new_base=True, derivative=False, params_total_b=235.0, first_of_family=True, tier="primary")
    revision = score(new_base=True, derivative=False, params_total_b=235.0, first_of_family=False, tier="primary")
    assert revision < first
    assert revision >= FLAGSHIP_THRESHOLD


def test_derivative_is_not_a_flagship_even_when_huge() -> None:
    value = score(new_base=False, derivative=True, params_total_b=684.5, first_of_family=True, tier="primary")
    assert value < FLAGSHIP_THRESHOLD


def test_other_labs_base_scores_between_derivative_and_new_base() -> None:
    kw = {"params_total_b": 7.0, "first_of_family": True, "tier": "primary"}
    derivative = score(new_base=False, derivative=True, **kw)
    distill = score(new_base=False, derivative=False, **kw)
    new = score(new_base=True, derivative=False, **kw)
    assert derivative < distill < new


def test_small_new_model_is_not_a_flagship() -> None:
    value = score(new_base=True, derivative=False, params_total_b=9.0, first_of_family=True, tier="primary")
    assert value == pytest.approx(0.65)
    assert value < FLAGSHIP_THRESHOLD


def test_comparator_lab_scores_lower_than_primary() -> None:
    kw = {"new_base": True, "derivative": False, "params_total_b": 120.0, "first_of_family": True}
    assert score(tier="comparator", **kw) < score(tier="primary", **kw)


# Titles copied from tracker/replay/corpus/timeline.jsonl (arxiv_paper events).
@pytest.mark.parametrize(
    ("title", "keys"),
    [
        ("Qwen3 Technical Report", {"qwen3"}),
        ("GLM-4.5: Agentic, Reasoning, and Coding (ARC) Foundation Models", {"glm-4.5"}),
        (
            "GLM-4.1V-Thinking: Towards Versatile Multimodal Reasoning with Scalable Reinforcement Learning",
            {"glm-4.1v"},
        ),
        ("Kimi K2: Open Agentic Intelligence", {"kimi-k2"}),
        ("gpt-oss-120b & gpt-oss-20b Model Card", {"gpt-oss"}),
        ("Qwen3 Embedding: Advancing Text Embedding and Reranking Through Foundation Models", {"qwen3-embedding"}),
        ("MiniMax-M1: Scaling Test-Time Compute Efficiently with Lightning Attention", {"minimax-m1"}),
        ("DeepSeek-V3 Technical Report", {"deepseek-v3"}),
        ("Qwen3-Omni Technical Report", {"qwen3-omni"}),
        ("Qwen-Image Technical Report", {"qwen-image"}),
        ("MiMo-VL Technical Report", {"mimo-vl"}),
        ("Magistral", {"magistral"}),
        ("Gemma 3 Technical Report", {"gemma-3"}),
        ("Muon is Scalable for LLM Training", set()),
        ("Emerging Properties in Unified Multimodal Pretraining", set()),
        ("The Lessons of Developing Process Reward Models in Mathematical Reasoning", set()),
        ("Insights into DeepSeek-V3: Scaling Challenges and Reflections on Hardware for AI Architectures", set()),
    ],
)
def test_title_family_keys(title: str, keys: set[str]) -> None:
    assert title_family_keys(title) == keys


def test_arxiv_base_id_drops_the_version() -> None:
    assert arxiv_base_id("2501.12948v2") == "2501.12948"
    assert arxiv_base_id("2505.09388") == "2505.09388"
