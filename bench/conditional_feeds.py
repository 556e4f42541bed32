"""Benchmark: steady-state polls of unchanged feeds are 304s with zero parse work.

Polls the replay hub's GitHub feeds and org listing, a lab blog and the Hub daily papers for N
copies of the Qwen lab (each copy is its own poll unit with its own stored ETags), twice: a first
cycle (200s: parse + store) and a steady-state cycle (nothing changed). It prints, per cycle, the
HTTP requests, the 304s among them, how many bodies were parsed (the parse functions are counted)
and the wall time, then the ratio steady/first. Expected: steady cycle = every request a 304,
0 parses, and no database transaction for those units. Usage::

    python bench/conditional_feeds.py            # N = 20
    python bench/conditional_feeds.py --labs 100
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tracker.config import Settings
from tracker.pipeline import poll_cycle
from tracker.replay.server import ReplayServer
from tracker.sources import daily_papers, feeds, github
from tracker.store import Store
from tracker.watchlist import LabConfig

SOURCES = ("github", "feeds", "daily_papers")
parses = {"n": 0}


def _counting(module, name: str) -> None:
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        parses["n"] += 1
        return original(*args, **kwargs)

    setattr(module, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labs", type=int, default=20)
    args = parser.parse_args()
    for module, name in (
        (feeds, "parse_feed"),
        (github, "parse_feed"),
        (github, "parse_repos"),
        (daily_papers, "parse_daily_papers"),
    ):
        _counting(module, name)
    with ReplayServer(now=datetime(2025, 5, 1, tzinfo=UTC)) as hub, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            data_dir=Path(tmp),
            hf_endpoint=hub.url,
            github_url=hub.url + "/github",
            github_api_url=hub.url + "/github-api",
            allow_private_feeds=True,
        )
        store = Store.open(settings)
        labs = [
            LabConfig(
                slug=f"qwen-{i}",
                name=f"Qwen copy {i}",
                country="CN",
                hf_orgs=("Qwen",),
                github=("QwenLM/Qwen3", "QwenLM"),
                feeds=(hub.url + "/blog/qwen/index.xml",),
            )
            for i in range(args.labs)
        ]
        units = [(source, lab) for lab in labs for source in SOURCES]
        rows = []
        for label in ("first", "steady"):
            parses["n"] = 0
            start = time.perf_counter()
            reports = asyncio.run(poll_cycle(settings, store, units, clock=hub.clock.now))
            wall = time.perf_counter() - start
            failed = [r for r in reports if r.status != "ok"]
            assert not failed, [(r.source, r.lab, r.error, r.failures) for r in failed]
            rows.append(
                (label, sum(r.requests for r in reports), sum(r.not_modified for r in reports), parses["n"], wall)
            )
            hub.advance(300)
        store.dispose()
    print(f"{len(units)} poll units ({args.labs} labs x {', '.join(SOURCES)})")
    print(f"{'cycle':<8}{'requests':>10}{'304s':>8}{'parsed':>8}{'wall s':>9}")
    for label, requests, not_modified, parsed, wall in rows:
        print(f"{label:<8}{requests:>10}{not_modified:>8}{parsed:>8}{wall:>9.2f}")
    (_, req1, _, parsed1, wall1), (_, req2, nm2, parsed2, wall2) = rows
    print(
        f"steady/first: requests {req2 / req1:.2f}, 304 share {nm2 / req2:.2f}, "
        f"parses {parsed2}/{parsed1}, wall {wall2 / wall1:.2f}"
    )


if __name__ == "__main__":
    main()
