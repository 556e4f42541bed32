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
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

from tracker.config import Settings
from tracker.pipeline import poll_cycle
from tracker.store import Store
from tracker.store import db as store_db
from tracker.watchlist import LabConfig


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_hub(
    orgs: int, latency: float = 0.0, repos: int = 3, *, now: str | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the replay hub in its own process serving ``orgs`` synthetic orgs of ``repos`` repos each.

    ``latency`` is the delay of each API answer (seconds); ``now`` the hub's initial replay time
    (ISO-8601 UTC, the hub's default when None). Returns the process and its base URL once it
    answers; raises RuntimeError when it does not within 30 s.
    """
    port = free_port()
    cmd = [sys.executable, "-m", "tracker.replay.server", "--port", str(port), "--latency", str(latency)]
    cmd += ["--synthetic-orgs", str(orgs), "--synthetic-repos", str(repos)]
    if now is not None:
        cmd += ["--now", now]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
    """Requests the hub at ``url`` answered since its counters were last reset."""
    with urllib.request.urlopen(url + "/_replay/stats", timeout=5) as resp:
        return int(json.load(resp)["total"])


def reset_stats(url: str) -> None:
    """Reset the request counters of the hub at ``url``."""
    urllib.request.urlopen(urllib.request.Request(url + "/_replay/stats", method="DELETE"), timeout=5).read()


async def sequential(url: str, orgs: list[str]) -> float:
    start = time.perf_counter()
    async with httpx.AsyncClient(timeout=30) as client:
        for org in orgs:
            (await client.get(f"{url}/api/models", params={"author": org, "full": "true"})).raise_for_status()
    return time.perf_counter() - start


def cpu_s(pid: int | None = None) -> float:
    """CPU seconds (user + system) used so far by this process, or by process ``pid`` (Linux /proc)."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(
    n: int, latency: float, concurrency: int, *, naive: bool = True, repos: int = 3, database_url: str | None = None
) -> dict[str, float]:
    proc, url = start_hub(n, latency, repos)
    try:
        orgs = [f"synth-{i:04d}" for i in range(n)]
        labs = [
            LabConfig(slug=f"lab-{i:04d}", name=f"Lab {i}", country="US", hf_orgs=(org,)) for i, org in enumerate(orgs)
        ]
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(_env_file=None, data_dir=Path(tmp), hf_endpoint=url, http_concurrency=concurrency)
            if database_url:
                settings = settings.model_copy(update={"database_url": database_url})
            store = Store.open(settings, migrate=False)
            store_db.upgrade(store.engine)
            units = [("hf", lab) for lab in labs]
            reset_stats(url)
            start, cpu0, hub0 = time.perf_counter(), cpu_s(), cpu_s(proc.pid)
            reports = asyncio.run(poll_cycle(settings, store, units))
            wall, cpu, hub_cpu = time.perf_counter() - start, cpu_s() - cpu0, cpu_s(proc.pid) - hub0
            requests = hub_requests(url)
            assert all(r.status == "ok" for r in reports), [r.error for r in reports if r.error][:3]
            reset_stats(url)
            start, cpu0, hub0 = time.perf_counter(), cpu_s(), cpu_s(proc.pid)
            asyncio.run(poll_cycle(settings, store, units))
            steady_wall = time.perf_counter() - start
            steady_cpu, steady_hub_cpu = cpu_s() - cpu0, cpu_s(proc.pid) - hub0
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
        "repos": n * repos,
        "cpu_s": cpu,
        "hub_cpu_s": hub_cpu,
        "steady_cpu_s": steady_cpu,
        "steady_hub_cpu_s": steady_hub_cpu,
        "wall_s": wall,
        "bound_s": bound,
        "ratio": wall / bound,
        "steady_wall_s": steady_wall,
        "steady_ratio": steady_wall / bound,
        "steady_requests_per_org_page": steady_requests / n,
        "naive_sequential_s": naive_s,
        "speedup_vs_naive": naive_s / steady_wall,
    }


def throwaway_database(pg_url: str) -> tuple[str, Callable[[], None]]:
    """Create an empty PostgreSQL database next to ``pg_url``; return its URL and a drop function."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"tracker_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(pg_url).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, nargs="*", default=[10, 100, 1000])
    parser.add_argument("--repos-per-org", type=int, default=3, help="repos each synthetic org lists (baseline size)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request at the hub")
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="*",
        default=[8, 16],
        help="requests in flight (TRACKER_HTTP_CONCURRENCY); several values compare",
    )
    parser.add_argument("--no-naive", action="store_true", help="skip the naive sequential loop")
    args = parser.parse_args()
    os.environ.pop("TRACKER_DATABASE_URL", None)
    print(
        f"{args.backend}; latency {args.latency * 1000:.0f} ms; 'ratio' = cycle wall / (requests / concurrency x "
        "latency); cpu = tracker process CPU s, hub = hub process CPU s, of the baseline (first) and steady cycle"
    )
    print(
        f"{'conc':>4} {'orgs':>6} {'repos':>6} {'reqs':>6} {'wall s':>7} {'cpu s':>6} {'hub s':>6} {'ratio':>6} "
        f"{'steady s':>8} {'s.cpu':>6} {'s.hub':>6} {'s.ratio':>7} {'req/page':>8} {'naive s':>7} {'vs naive':>8}"
    )
    for n in args.orgs:
        naive_s = float("nan")  # measured once per N (it does not depend on the concurrency)
        for i, conc in enumerate(args.concurrency):
            url, drop = throwaway_database(args.pg_url) if args.backend == "postgresql" else (None, None)
            try:
                r = run(
                    n,
                    args.latency,
                    conc,
                    naive=i == 0 and not args.no_naive,
                    repos=args.repos_per_org,
                    database_url=url,
                )
            finally:
                if drop is not None:
                    drop()
            naive_s = r["naive_sequential_s"] if i == 0 else naive_s
            r["naive_sequential_s"], r["speedup_vs_naive"] = naive_s, naive_s / r["steady_wall_s"]
            print(
                f"{conc:>4} {r['orgs']:>6} {r['repos']:>6} {r['requests']:>6.0f} {r['wall_s']:>7.2f} "
                f"{r['cpu_s']:>6.2f} {r['hub_cpu_s']:>6.2f} {r['ratio']:>6.2f} {r['steady_wall_s']:>8.2f} "
                f"{r['steady_cpu_s']:>6.2f} {r['steady_hub_cpu_s']:>6.2f} {r['steady_ratio']:>7.2f} "
                f"{r['steady_requests_per_org_page']:>8.2f} {r['naive_sequential_s']:>7.2f} "
                f"{r['speedup_vs_naive']:>7.1f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
