"""Benchmark: Hub requests per cycle for release polling alone, and with the adoption step on.

For N synthetic orgs (3 repos each, all public in the last 90 days) served by a local replay hub,
it prints, counted at the hub in one run:

  * release polling alone in steady state: requests per cycle and per org page (target: exactly 1);
  * a cycle of release polling followed by the adoption step: the polling requests (unchanged),
    the adoption requests (at most the budget, ``TRACKER_ADOPTION_REQUESTS_PER_CYCLE``), and what
    the budget deferred to later cycles;
  * how many adoption cycles it takes at that budget to scan every base model once.

Adoption runs after polling and takes every page from its own budget, so polling keeps one
request per org page whatever the budget. Usage::

    python bench/adoption_budget.py                       # N = 100, 1000; budget 20
    python bench/adoption_budget.py --orgs 100 --budget 50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.poll_cycle import hub_requests, reset_stats, start_hub
from tracker.adoption.cycle import adoption_cycle
from tracker.config import Settings
from tracker.http import make_client
from tracker.pipeline import poll_cycle
from tracker.store import Store
from tracker.watchlist import LabConfig

NOW = "2024-02-01T00:00:00Z"  # synthetic repos are created 2024-01-01..03: within the 90-day window


def run(n: int, budget: int, max_cycles: int) -> dict[str, object]:
    proc, url = start_hub(n, now=NOW)
    try:
        labs = [
            LabConfig(slug=f"lab-{i:04d}", name=f"Lab {i}", country="US", hf_orgs=(f"synth-{i:04d}",)) for i in range(n)
        ]
        units = [("hf", lab) for lab in labs]
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(_env_file=None, data_dir=Path(tmp), hf_endpoint=url)
            settings.adoption.requests_per_cycle = budget
            store = Store.open(settings)
            now = datetime.fromisoformat(NOW)
            asyncio.run(poll_cycle(settings, store, units, clock=lambda: now))  # baseline
            reset_stats(url)
            asyncio.run(poll_cycle(settings, store, units, clock=lambda: now))
            alone = hub_requests(url)

            async def both() -> tuple[int, int, object]:
                reset_stats(url)
                await poll_cycle(settings, store, units, clock=lambda: now)
                polling = hub_requests(url)
                async with make_client(settings) as client:
                    report = await adoption_cycle(settings, store, client, now=now)
                return polling, hub_requests(url) - polling, report

            polling, adoption, report = asyncio.run(both())

            async def adoption_only() -> object:
                async with make_client(settings) as client:
                    return await adoption_cycle(settings, store, client, now=now)

            units = report.orgs_counted + report.bases_scanned + report.deferred  # type: ignore[attr-defined]
            estimated = -(-units // max(budget, 1))  # one page per unit: ceil(units / budget)
            cycles = 1  # later cycles' polling is as above: only the adoption step is repeated here
            while report.deferred and cycles < max_cycles:  # type: ignore[attr-defined]
                report = asyncio.run(adoption_only())
                cycles += 1
            store.dispose()
    finally:
        proc.terminate()
        proc.wait(10)
    return {
        "orgs": n,
        "alone": alone,
        "alone_per_page": alone / n,
        "with_polling": polling,
        "with_polling_per_page": polling / n,
        "adoption": adoption,
        "deferred": getattr(report, "deferred", 0),
        "cycles_to_cover": cycles if not getattr(report, "deferred", 0) else f"~{estimated}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, nargs="*", default=[100, 1000])
    parser.add_argument("--budget", type=int, default=20, help="adoption requests per cycle")
    parser.add_argument(
        "--max-cycles", type=int, default=50, help="adoption cycles run to cover every base; beyond, estimated (~)"
    )
    args = parser.parse_args()
    os.environ.pop("TRACKER_DATABASE_URL", None)
    print(f"adoption budget {args.budget} requests per cycle; steady-state cycles (after the baseline)")
    columns = ("poll alone", "per page", "poll+adopt", "per page", "adoption", "cycles")
    print(f"{'orgs':>6} " + " ".join(f"{c:>10}" for c in columns))
    for n in args.orgs:
        r = run(n, args.budget, args.max_cycles)
        print(
            f"{r['orgs']:>6} {r['alone']:>10} {r['alone_per_page']:>10.2f} {r['with_polling']:>10} "
            f"{r['with_polling_per_page']:>10.2f} {r['adoption']:>10} {r['cycles_to_cover']:>10}",
            flush=True,
        )


if __name__ == "__main__":
    main()
