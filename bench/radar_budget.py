"""Benchmark: the radar's Hub requests per hour, and watched-org polling with the radar on vs off.

On the replay hub (corpus + synthetic noise, see ``tracker.replay.radar``) with the packaged
watchlist minus one lab, it replays ``--hours`` hours of radar cycles every
``TRACKER_RADAR_INTERVAL`` seconds and prints, counted at the hub:

  * the global watch: requests per cycle and per hour, against the budget
    (``requests_per_cycle * 3600 / interval``): the ratio must be <= 1;
  * release polling of the watched orgs in steady state (after the baseline), once alone and once
    with a radar cycle running concurrently: requests per cycle each, and their ratio (1.00 means
    the radar took nothing from polling).

Usage::

    python bench/radar_budget.py                  # 24 replayed hours, default budget and interval
    python bench/radar_budget.py --budget 6 --interval 600 --hours 6
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tracker.config import Settings
from tracker.http import make_client
from tracker.pipeline import poll_cycle, poll_units_for
from tracker.pipeline.radar import radar_cycle
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.watchlist import Watchlist, load_watchlist

START = datetime(2025, 4, 30, tzinfo=UTC)  # the replayed day covers a launch: derivative scans spend the spare budget


def polling_requests(stats: dict) -> int:
    """Hub requests of release polling: org listings and single-model bodies."""
    return sum(n for key, n in stats["requests"].items() if key.startswith("/api/models?author=")) + sum(
        n for key, n in stats["requests"].items() if key.startswith("/api/models/")
    )


def radar_requests(stats: dict) -> int:
    """Hub requests of the radar: global listings (no author) and derivative scans (filter)."""
    return stats["requests"].get("/api/models", 0) + sum(
        n for key, n in stats["requests"].items() if key.startswith("/api/models?filter=")
    )


def run(budget: int, interval: float, hours: float) -> None:
    full = load_watchlist()
    watchlist = Watchlist(labs=tuple(lab for lab in full.labs if lab.slug != "xiaomi"), source="bench")
    with ReplayServer(now=START) as hub, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), hf_endpoint=hub.hf_endpoint, sources="hf")
        settings.radar.requests_per_cycle, settings.radar.interval = budget, interval
        store = Store.open(settings)
        units = poll_units_for(watchlist, sources=["hf"])
        asyncio.run(poll_cycle(settings, store, units, clock=hub.clock.now))  # baseline

        hub.reset_stats()
        cycles = int(hours * 3600 // interval)
        for _ in range(cycles):
            hub.set_now(hub.clock.now() + timedelta(seconds=interval))

            async def cycle() -> None:
                async with make_client(settings) as client:
                    await radar_cycle(settings, store, client, watchlist, now=hub.clock.now())

            asyncio.run(cycle())
        radar = radar_requests(hub.stats())
        per_hour = radar / hours
        allowed = budget * 3600 / interval
        print(f"radar: {cycles} cycles over {hours:g} replayed hours, budget {budget}/cycle every {interval:g} s")
        print(f"  requests {radar}, per cycle {radar / max(cycles, 1):.2f}, per hour {per_hour:.1f}")
        print(f"  per hour / budget per hour = {per_hour / allowed:.2f} (<= 1.00)")

        asyncio.run(poll_cycle(settings, store, units, clock=hub.clock.now))  # absorb the day's new repos
        hub.reset_stats()
        asyncio.run(poll_cycle(settings, store, units, clock=hub.clock.now))
        alone = polling_requests(hub.stats())

        async def both() -> None:
            async with make_client(settings) as client:
                await asyncio.gather(
                    poll_cycle(settings, store, units, clock=hub.clock.now),
                    radar_cycle(settings, store, client, watchlist, now=hub.clock.now()),
                )

        hub.reset_stats()
        asyncio.run(both())
        stats = hub.stats()
        together = polling_requests(stats)
        print(f"watched-org polling ({len(units)} hf units), steady state: alone {alone} requests per cycle")
        print(f"  with a radar cycle running alongside: {together} (+ {radar_requests(stats)} radar requests)")
        print(f"  polling with radar / polling alone = {together / max(alone, 1):.2f} (1.00: unchanged)")
        store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=int, default=Settings(_env_file=None).radar.requests_per_cycle)
    parser.add_argument("--interval", type=float, default=Settings(_env_file=None).radar.interval)
    parser.add_argument("--hours", type=float, default=24.0, help="replayed hours of radar cycles")
    args = parser.parse_args()
    os.environ.pop("TRACKER_DATABASE_URL", None)
    run(args.budget, args.interval, args.hours)


if __name__ == "__main__":
    main()
