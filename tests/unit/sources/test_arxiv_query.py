"""Building a lab's arXiv queries: team and people names restricted to the watched categories."""

from __future__ import annotations

from tracker.sources.arxiv_query import author_query, clean_categories, lab_queries
from tracker.watchlist import LabConfig


def test_team_and_people_make_one_query_restricted_to_categories() -> None:
    lab = LabConfig(slug="acme", name="Acme", country="US", arxiv_teams=("Acme Team",), arxiv_authors=("Jin Xu",))
    assert lab_queries(lab, ("cs.*", "eess.*", "stat.ML")) == (
        '(au:"Acme Team" OR au:"Jin Xu") AND (cat:cs.* OR cat:eess.* OR cat:stat.ML)',
    )


def test_free_queries_follow_as_written_and_no_names_means_no_built_query() -> None:
    lab = LabConfig(slug="acme", name="Acme", country="US", arxiv_queries=('ti:"Rocket"',))
    assert lab_queries(lab, ("cs.*",)) == ('ti:"Rocket"',)


def test_names_cannot_break_out_of_their_phrase() -> None:
    query = author_query(['Evil" OR cat:physics', "  ", "(Paren) Name\\"], ("cs.*",))
    assert query == '(au:"Evil OR cat:physics" OR au:"Paren Name") AND (cat:cs.*)'


def test_malformed_categories_are_dropped() -> None:
    assert clean_categories(["cs.*", "stat.ML", "cs.CL) OR (au:x", "", "astro-ph.GA", "cs.*"]) == (
        "cs.*",
        "stat.ML",
        "astro-ph.GA",
    )
    assert author_query(["A B"], ["bad category!"]) == 'au:"A B"'
