"""Multi-signal launch grouping (tracker.grouping.launch) on corpus names and invented ones."""

from __future__ import annotations

from datetime import UTC, datetime

from tracker.grouping.launch import Member, launch_signals, new_papers, window_signal

AT = datetime(2025, 6, 5, 12, tzinfo=UTC)


def test_new_papers_ignore_old_reports() -> None:
    tags = ["arxiv:2506.05176", "arxiv:2505.00001", "arxiv:2409.12191", "arxiv:bogus", "base_model:x/y"]
    assert new_papers(tags, AT) == {"arxiv:2506.05176", "arxiv:2505.00001"}


def test_shared_new_paper_joins_different_names() -> None:
    members = [Member("Qwen/Qwen3-Embedding-8B", ("arxiv:2506.05176",))]
    assert launch_signals("Qwen/Qwen3-Reranker-8B", ["arxiv:2506.05176"], AT, members) == ["arxiv:2506.05176"]


def test_shared_old_paper_is_no_evidence() -> None:
    members = [Member("acme/Nova-Chat-7B", ("arxiv:2301.00001",))]
    assert launch_signals("acme/Orbit-Coder-7B", ["arxiv:2301.00001"], AT, members) is None


def test_base_model_link_joins_either_way() -> None:
    members = [Member("acme/Nova-7B")]
    assert launch_signals("acme/Orbit-7B", ["base_model:acme/Nova-7B"], AT, members) == ["base_model acme/Nova-7B"]
    members = [Member("acme/Orbit-7B", ("base_model:acme/Nova-7B",))]
    assert launch_signals("acme/Nova-7B", [], AT, members) == ["base_model acme/Orbit-7B"]


def test_prefix_and_revision_join_unless_papers_differ() -> None:
    assert launch_signals("baidu/ERNIE-4.5-VL-28B-A3B-PT", [], AT, [Member("baidu/ERNIE-4.5-0.3B-PT")]) == [
        "prefix ERNIE-4.5"
    ]
    assert launch_signals("zai-org/GLM-Z1-32B-0414", [], AT, [Member("zai-org/GLM-4-32B-0414")]) == ["revision 0414"]
    two_reports = [Member("acme/Nova2-VL-7B", ("arxiv:2506.11111",))]
    assert launch_signals("acme/Nova2-7B-1M", ["arxiv:2506.22222"], AT, two_reports) is None


def test_same_hour_different_products_stay_apart() -> None:
    members = [Member("meta-llama/Llama-Guard-4-12B", ("base_model:meta-llama/Llama-4-Scout-17B-16E",))]
    assert launch_signals("meta-llama/Llama-Prompt-Guard-2-86M", [], AT, members) is None
    assert launch_signals("acme/Nova-2-7B-0601", [], AT, [Member("acme/Nova-2-7B-0528")]) is None


def test_window_signal() -> None:
    assert window_signal(AT, AT.replace(minute=12)) == "window 12 min"
    assert window_signal(AT, AT.replace(hour=15, minute=30)) == "window 3.5 h"
