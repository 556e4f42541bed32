"""Parsing the Hub's global listings: one bad item never drops the rest."""

from __future__ import annotations

import json

import pytest

from tracker.errors import ParseError
from tracker.sources.hf_global import parse_global


def _item(repo_id: str, **extra: object) -> dict:
    return {"_id": f"id-{repo_id}", "id": repo_id, "likes": 5, "downloads": 50, "trendingScore": 3, **extra}


def test_items_keep_their_hub_rank_and_lineage() -> None:
    body = json.dumps(
        [
            _item(
                "lab-a/Big-Base",
                tags=["arxiv:2501.00001", "license:mit", "custom_code"],
                createdAt="2025-01-02T03:04:05.000Z",
            ),
            {"id": "no-object-id/x"},
            _item(
                "user/Big-Base-GGUF",
                tags=["base_model:lab-a/Big-Base", "base_model:quantized:lab-a/Big-Base", "gguf"],
            ),
        ]
    ).encode()
    page = parse_global(body, "trending")
    assert page.skipped == 1
    a, b = page.repos
    assert (a.rank, b.rank) == (1, 3), "a skipped item keeps its place: ranks are the Hub's"
    assert a.org == "lab-a" and a.arxiv_ids == ("2501.00001",) and a.bases == ()
    assert a.created_at is not None and a.created_at.year == 2025 and a.trending_score == 3.0
    assert b.bases == (("quantized", "lab-a/Big-Base"),)
    assert a.custom_code and not b.custom_code


@pytest.mark.parametrize(
    "bad",
    [
        "not an object",
        {"_id": "x", "id": "no-slash"},
        {"_id": "x", "id": "a/b", "likes": "many"},
        {"_id": "x", "id": "a/b", "private": True},
        {"_id": "x", "id": "a/b", "tags": "arxiv:1"},
    ],
)
def test_a_malformed_or_private_item_is_skipped(bad: object) -> None:
    page = parse_global(json.dumps([bad, _item("ok/model")]).encode(), "newest")
    assert [r.repo_id for r in page.repos] == ["ok/model"] and page.skipped == 1


def test_negative_counters_are_clamped_and_odd_trending_ignored() -> None:
    page = parse_global(json.dumps([_item("a/b", likes=-4, trendingScore="hot")]).encode(), "liked")
    assert page.repos[0].likes == 0 and page.repos[0].trending_score is None


def test_duplicates_count_once_and_a_non_array_is_an_error() -> None:
    page = parse_global(json.dumps([_item("a/b"), _item("A/B")]).encode(), "newest")
    assert len(page.repos) == 1
    with pytest.raises(ParseError):
        parse_global(b'{"error": "x"}', "trending")
