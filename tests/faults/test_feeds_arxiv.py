"""arXiv on a bad day: one bad entry or date never drops a query; a stuck page keeps what was fetched.

Real ``tracker poll`` runs against a local arXiv API (titles name their lab, so each paper is
attributed to it whatever the rules of attribution). Before, one entry with a missing or
RFC 822 ``<published>`` failed its whole query (the good papers on the page were dropped), and a
page that stayed empty discarded the pages already fetched for that query.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.factories import lab, write_watchlist
from tests.faults.conftest import run_tracker
from tests.faults.servers_text import SourceServer, arxiv_feed, assert_clean, atom_entry, poll_env
from tracker.config import Settings
from tracker.store import Store
from tracker.store.models import Artifact

pytestmark = pytest.mark.slow  # real tracker processes


def _env(backend_settings: Settings, server: SourceServer, watchlist: Path, **extra: str) -> dict[str, str]:
    return poll_env(
        backend_settings,
        watchlist,
        "arxiv",
        TRACKER_ARXIV_ENDPOINT=f"{server.url}/api/query",
        **extra,
    )


def _papers(store: Store) -> dict[str, tuple[datetime | None, dict, datetime | None]]:
    with store.transaction() as session:
        return {a.external_id: (a.created_at, a.attrs, a.withdrawn_at) for a in session.scalars(select(Artifact))}


def test_one_bad_entry_or_date_never_drops_the_query(store: Store, backend_settings: Settings, tmp_path: Path) -> None:
    bad_page = [
        atom_entry("2611.00001", "Mixed: good paper", "2026-11-20T10:00:00Z"),
        atom_entry("2611.00002", "Mixed: no date", None),
        atom_entry("2611.00003", "Mixed: mail date", "Fri, 20 Nov 2026 10:00:00 GMT"),
        atom_entry("not-an-id", "Mixed: broken entry", "2026-11-20T10:00:00Z"),
        atom_entry("2611.00005", "Mixed: before arXiv", "1985-01-01T00:00:00Z"),
        atom_entry("2611.00006", "Mixed: slashed", "2026/11/20"),
    ]
    watchlist = write_watchlist(
        tmp_path / "watchlist.toml",
        lab("mixed", name="Mixed Lab", arxiv_queries=["au:Mixed", "au:Other"]),
        lab("calm", name="Calm Lab", arxiv_queries=["au:Calm"]),
    )
    with SourceServer() as arxiv:
        arxiv.arxiv = {
            "au:Mixed": lambda start, size: arxiv_feed(len(bad_page), start, bad_page[start : start + size]),
            "au:Other": lambda start, size: arxiv_feed(
                1, start, [atom_entry("2611.00010", "Mixed: other", "2026-11-21")]
            ),
            "au:Calm": lambda start, size: arxiv_feed(1, start, [atom_entry("2611.00020", "Calm: calm", "2026-11-21")]),
        }
        proc = run_tracker(_env(backend_settings, arxiv, watchlist), "poll")

    assert_clean(proc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " failed " not in proc.stdout and " partial " not in proc.stdout, proc.stdout
    assert "entry skipped, neighbours kept" in proc.stderr and "not-an-id" in proc.stderr
    papers = _papers(store)
    expected = {"2611.00001", "2611.00002", "2611.00003", "2611.00005", "2611.00006", "2611.00010", "2611.00020"}
    assert set(papers) == expected  # every readable entry kept; the one without an id reported
    assert papers["2611.00001"][0] == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert papers["2611.00003"][0] == datetime(2026, 11, 20, 10, tzinfo=UTC)  # RFC 822 is unambiguous
    assert papers["2611.00002"][0] is None and "date_problems" not in papers["2611.00002"][1]  # absent
    for guessed in ("2611.00005", "2611.00006"):  # stored unknown and flagged, never a fact
        assert papers[guessed][0] is None and papers[guessed][1]["date_problems"], papers[guessed]


def _listing(total: int, *, stuck_at: int | None, lab: str = "Big", month: str = "2611") -> Callable[[int, int], bytes]:
    """``total`` papers, newest first; the page at ``stuck_at`` comes back empty every time."""

    def page(start: int, size: int) -> bytes:
        if start == stuck_at:
            return arxiv_feed(total, start, [])
        numbers = [total - 1 - i for i in range(start, min(start + size, total))]  # newest (highest) first
        return arxiv_feed(
            total, start, [atom_entry(f"{month}.{n:05d}", f"{lab}: paper {n}", "2026-11-20T10:00:00Z") for n in numbers]
        )

    return page


def test_a_stuck_page_keeps_the_pages_fetched_and_withdraws_nothing(
    store: Store, backend_settings: Settings, tmp_path: Path
) -> None:
    watchlist = write_watchlist(
        tmp_path / "watchlist.toml",
        lab("big", name="Big Lab", arxiv_queries=["au:Big"]),
        lab("calm", name="Calm Lab", arxiv_queries=["au:Calm"]),
    )
    with SourceServer() as arxiv:
        env = _env(backend_settings, arxiv, watchlist, TRACKER_ARXIV_MAX_RESULTS="100")
        arxiv.arxiv = {
            "au:Big": _listing(250, stuck_at=None),
            "au:Calm": _listing(3, stuck_at=None, lab="Calm", month="2610"),
        }
        complete = run_tracker(env, "poll")
        assert complete.returncode == 0 and " partial " not in complete.stdout, complete.stdout + complete.stderr
        assert len(_papers(store)) == 253

        arxiv.arxiv["au:Big"] = _listing(260, stuck_at=100)  # ten new papers, then a page stays empty
        stuck = run_tracker(env, "poll")
        starts = [int(params["start"]) for path, params in arxiv.requests if params.get("search_query") == "au:Big"]

    assert_clean(stuck)
    assert stuck.returncode == 0, stuck.stdout + stuck.stderr
    assert "│ big  │ partial" in stuck.stdout, stuck.stdout  # not "failed": the fetched page was kept
    assert "big/arxiv:au:Big: arXiv returned an empty page at start=100 of 260, twice; kept the 100 paper(s)" in (
        stuck.stderr
    )
    assert starts[-3:] == [0, 100, 100]  # the empty page was asked again once, then paging stopped
    papers = _papers(store)
    assert len(papers) == 263  # the first page's ten new papers are stored
    assert all(withdrawn is None for _, _, withdrawn in papers.values()), "an incomplete scope withdraws nothing"
    assert all(
        int(params.get("start", 0)) + int(params.get("max_results", 0)) <= 30_000 for _, params in arxiv.requests
    )
