"""Benchmark: detection quality on the whole shared 2024-12 -> 2025-12 timeline.

Replays the packaged corpus (the replay hub, Hub source only) through the real pipeline into a
fresh SQLite database: a baseline of every watched lab on 2024-12-01, then one poll of a lab at
the first step boundary after each change of its listing. Scores what was stored and announced
against the hand-labelled ``tests/fixtures/detection_answers.json`` and prints:

  * launches found, launches split across releases, launches stored whole;
  * titles exactly right (the answer's title or one of its ``also_accept``);
  * false alerts: detections of repos that are no launch (moves, decoys, third-party);
  * top-level alerts per launch (target: exactly 1 each) and thread replies.

Targets: every launch found and whole, >= 95 % titles right, 0 false alerts. Measured 2026-12-07
(step 60 min): 132/132 launches found, 0 split, 132/132 titles, 0 false alerts, exactly one
top-level alert per launch, 138 thread replies; with ``--only-zai-org``: 0 false alerts (the 15
repos moved from THUDM are history), one ``org_move`` notice, the 3 launches published under
THUDM (not watched) not found, every launch published under zai-org announced. Usage::

    python bench/detection.py                      # poll step 60 min, Zhipu watched as zai-org + THUDM
    python bench/detection.py --step-min 15 --only-zai-org --misses
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.factories import offline_settings
from tests.integration.detection_replay import load_answers, moved_ids, replay, score, watchlist_with
from tracker.store import Store
from tracker.store import db as store_db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--step-min", type=float, default=60.0, help="poll step in minutes (default 60)")
    parser.add_argument("--only-zai-org", action="store_true", help="watch Zhipu as zai-org only (no THUDM)")
    parser.add_argument("--misses", action="store_true", help="list every launch not found, split or mistitled")
    args = parser.parse_args()
    watchlist = watchlist_with({"zhipu": ("zai-org",)} if args.only_zai_org else None)
    watched = {org.lower() for lab in watchlist.labs for org in lab.hf_orgs}
    with tempfile.TemporaryDirectory() as tmp:
        settings = offline_settings(Path(tmp))
        store = Store.open(settings, migrate=False)
        store_db.upgrade(store.engine)
        started = time.perf_counter()
        replay(store, settings, watchlist, step=timedelta(minutes=args.step_min))
        elapsed = time.perf_counter() - started
        result = score(store, load_answers(), moved=moved_ids(watched))
        store.dispose()
    print(f"replay: step {args.step_min:g} min, {elapsed:.1f} s; zai-org only: {args.only_zai_org}")
    for line in result.lines():
        print("  " + line)
    if args.misses:
        for r in result.launches:
            if not (r.found and r.whole and r.title_right and r.top_level == 1):
                print(
                    f"  - {r.title!r}: stored {r.stored_title!r} found={r.found} releases={r.releases} "
                    f"whole={r.whole} top={r.top_level} replies={r.replies} accept={r.expected}"
                )


if __name__ == "__main__":
    main()
