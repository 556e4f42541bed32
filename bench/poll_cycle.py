"""Benchmark: one poll cycle over N Hub orgs against a local hub with injected latency.

For each N it prints, measured in the same run:
  * the cycle wall time of tracker's poll (fetch + parse + detect + store, real SQLite),
  * the lower bound  requests / concurrency x latency  and the ratio  wall / bound,
  * a naive sequential baseline (one plain httpx GET after another, no parsing, no storing),
  * the requests made by a steady-state cycle (second cycle) per org page (target: exactly 1).

The hub runs in a separate process (``python -m tracker.replay.server``) so that its CPU work does
not share our GIL. Target: ratio <= 1.25 at 1,000 orgs. Usage::

    python bench/poll_cycle.py                 # N = 10, 100, 1000; latency 50 ms; concurrency 8 and 16
    python bench/poll_cycle.py --orgs 100 --latency 0.05 --concurrency 16

The first cycle of a fresh database records every repo as baseline (one transaction per org);
the steady-state cycle is what runs every poll interval. On a 2-core machine the hub process and
tracker share the CPU, so at high concurrency the cycle becomes CPU-bound (httpx spends ~1-2 ms of
CPU per request): measured 2026-11-29 at 1,000 orgs, steady ratio 1.21 at concurrency 8 and 1.48
at 16, exactly one request per org page, ~7-12x faster than the naive sequential loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import httpx

from tracker.config import Settings
from tracker.pipeline import poll_cycle
from tracker.store import Store
from tracker.watchlist import LabConfig


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_hub(orgs: int, latency: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tracker.replay.server",
            "--port",
            str(port),
            "--latency",
            str(latency),
            "--synthetic-orgs",
            str(orgs),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/_replay/clock", timeout=1).read()
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("replay hub did not start")


def hub_requests(url: str) -> int:
    with urllib.request.urlopen(url + "/_replay/stats", timeout=5) as resp:
        return int(json.load(resp)["total"])


def reset_stats(url: str) -> None:
    urllib.request.urlopen(urllib.request.Request(url + "/_replay/stats", method="DELETE"), timeout=5).read()


async def sequential(url: str, orgs: list[str]) -> float:
    start = time.perf_counter()
    async with httpx.AsyncClient(timeout=30) as client:
        for org in orgs:
            (await client.get(f"{url}/api/models", params={"author": org, "full": "true"})).raise_for_status()
    return time.perf_counter() - start


def run(n: int, latency: float, concurrency: int, *, naive: bool = True) -> dict[str, float]:
    proc, url = start_hub(n, latency)
    try:
        orgs = [f"synth-{i:04d}" for i in range(n)]
        labs = [
            LabConfig(slug=f"lab-{i:04d}", name=f"Lab {i}", country="US", hf_orgs=(org,)) for i, org in enumerate(orgs)
        ]
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(_env_file=None, data_dir=Path(tmp), hf_endpoint=url, http_concurrency=concurrency)
            store = Store.open(settings)
            units = [("hf", lab) for lab in labs]
            reset_stats(url)
            start = time.perf_counter()
            reports = asyncio.run(poll_cycle(settings, store, units))
            wall = time.perf_counter() - start
            requests = hub_requests(url)
            assert all(r.status == "ok" for r in reports), [r.error for r in reports if r.error][:3]
            reset_stats(url)
            start = time.perf_counter()
            asyncio.run(poll_cycle(settings, store, units))
            steady_wall = time.perf_counter() - start
            steady_requests = hub_requests(url)
            store.dispose()
        naive_s = asyncio.run(sequential(url, orgs)) if naive else float("nan")
    finally:
        proc.terminate()
        proc.wait(10)
    bound = requests / concurrency * latency
    return {
        "orgs": n,
        "requests": requests,
        "wall_s": wall,
        "bound_s": bound,
        "ratio": wall / bound,
        "steady_wall_s": steady_wall,
        "steady_ratio": steady_wall / bound,
        "steady_requests_per_org_page": steady_requests / n,
        "naive_sequential_s": naive_s,
        "speedup_vs_naive": naive_s / steady_wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, nargs="*", default=[10, 100, 1000])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request at the hub")
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="*",
        default=[8, 16],
        help="requests in flight (TRACKER_HTTP_CONCURRENCY); several values compare",
    )
    args = parser.parse_args()
    os.environ.pop("TRACKER_DATABASE_URL", None)
    header = (
        f"{'orgs':>6} {'reqs':>6} {'wall s':>8} {'bound s':>8} {'ratio':>6} {'steady s':>9} "
        f"{'s.ratio':>7} {'req/page':>8} {'naive s':>8} {'vs naive':>8}"
    )
    print(f"latency {args.latency * 1000:.0f} ms; 'ratio' = cycle wall / (requests / concurrency x latency)")
    print(f"{'conc':>4} " + header)
    for n in args.orgs:
        for i, conc in enumerate(args.concurrency):
            r = run(n, args.latency, conc, naive=i == 0)
            print(
                f"{conc:>4} {r['orgs']:>6} {r['requests']:>6.0f} {r['wall_s']:>8.2f} {r['bound_s']:>8.2f} "
                f"{r['ratio']:>6.2f} "
                f"{r['steady_wall_s']:>9.2f} {r['steady_ratio']:>7.2f} {r['steady_requests_per_org_page']:>8.2f} "
                f"{r['naive_sequential_s']:>8.2f} {r['speedup_vs_naive']:>7.1f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
