"""The replay hub's arXiv query evaluator and the corpus answering queries it never recorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tracker.replay.arxiv_search import EntryText, compile_query
from tracker.replay.corpus import Corpus

ENTRY = EntryText(
    authors=("Qwen Team", "An Yang", "Z. Z. Ren"),
    categories=("cs.CL", "stat.ML"),
    title="Rocket3 Technical Report",
    summary="We fine-tune a model.",
)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('au:"An Yang"', True),
        ('au:"Yang An"', False),
        ('au:"Z. Z. Ren"', True),
        ("au:Qwen", True),
        ('au:"An Yang" AND cat:cs.*', True),
        ('au:"An Yang" AND cat:physics.*', False),
        ('au:"Nobody" OR cat:stat.ML', True),
        ('(au:"Nobody" OR au:"An Yang") AND (cat:eess.* OR cat:cs.CL)', True),
        ('au:"An Yang" ANDNOT ti:"Technical Report"', False),
        ('abs:"fine-tune"', True),
        ('all:"Rocket3"', True),
    ],
)
def test_queries_evaluate_like_arxiv(query: str, expected: bool) -> None:
    assert compile_query(query)(ENTRY) is expected


@pytest.mark.parametrize("query", ['au:"A" AND', "(au:A", "foo:bar", "au:A )"])
def test_unsupported_syntax_is_an_error(query: str) -> None:
    with pytest.raises(ValueError):
        compile_query(query)


def test_the_corpus_answers_a_category_restricted_team_query() -> None:
    corpus = Corpus.load()
    now = datetime(2025, 12, 31, tzinfo=UTC)
    found = {e.arxiv_id for e in corpus.arxiv_entries('(au:"Kimi Team") AND (cat:cs.*)', now)}
    assert {"2507.20534", "2504.07491", "2501.12599"} <= found
    # Kimi-Audio's team is spelled "KimiTeam": another name, not matched
    assert "2504.18425" not in found
    assert corpus.arxiv_entries('(au:"Kimi Team") AND (cat:physics.*)', now) == []
    assert corpus.arxiv_entries("not a query (", now) == []
