"""Benchmark the history API on a synthetic store: ``/releases`` pages and filters, ``/stats/cadence``.

Fills SQLite (a temp file) or PostgreSQL (a throwaway database) with N releases (default 10 000;
``--releases 200000 --artifacts-per-release 5`` is the issue's 1M artifacts / 200k releases) with
realistic shapes: 17 labs with skewed activity (a few labs ship most releases), three years of
history, 1-12 artifacts per launch, parameter sizes from 0.5B to 1T, ~15 % papers. Then it times
each main query through the real app (FastAPI TestClient: routing, SQL, serialisation) and prints
p50/p95 in milliseconds, the ratio to the target (p95 <= 50 ms for /releases queries, <= 100 ms
for /stats/cadence) and the query plan of the slowest /releases query (EXPLAIN ANALYZE on
PostgreSQL, EXPLAIN QUERY PLAN on SQLite). ``/stats/cadence`` is timed twice on PostgreSQL:
as served between changes to the releases (the whole-history part is kept, see
``analytics._cached_history``) and cold (that cache emptied before every request: the cost of
the first request after a change), with the plan of the cold path's gap statement.

    python bench/query.py --backend sqlite --releases 10000
    python bench/query.py --backend postgresql --releases 200000 --artifacts-per-release 6 \
        --keep-db tracker_bench_200k   # fills once (~1M artifacts), later runs reuse the data
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import make_url

from tracker import analytics
from tracker.api import create_app
from tracker.config import Settings
from tracker.store import Store, fts, gap_stats
from tracker.store import db as store_db
from tracker.store.models import Artifact, Lab, Release

LABS = [
    ("qwen", "CN", 30),
    ("deepseek", "CN", 6),
    ("zhipu", "CN", 12),
    ("minimax", "CN", 3),
    ("moonshot", "CN", 4),
    ("baidu", "CN", 4),
    ("tencent", "CN", 8),
    ("bytedance-seed", "CN", 6),
    ("internlm", "CN", 5),
    ("xiaomi", "CN", 2),
    ("inclusionai", "CN", 4),
    ("meta", "US", 4),
    ("google", "US", 10),
    ("mistral", "FR", 4),
    ("openai", "US", 1),
    ("microsoft", "US", 9),
    ("nvidia", "US", 14),
]
SIZES = [0.5, 1.5, 3, 7, 8, 14, 32, 70, 235, 480, 671, 1000]
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def fill(store: Store, n_releases: int, artifacts_per_release: float, seed: int = 7) -> int:
    """Insert labs, ``n_releases`` releases and their artifacts; return the artifact count."""
    rng = random.Random(seed)
    weights = [w for _, _, w in LABS]
    with store.engine.begin() as conn:  # SQLite: index in one pass after the fill, not by triggers per row
        fts.drop(conn)
        gap_stats.drop(conn)
    start = NOW - timedelta(days=3 * 365)
    span_s = (NOW - start).total_seconds()
    with store.engine.begin() as conn:
        conn.execute(
            insert(Lab), [{"id": i + 1, "slug": s, "name": s.title(), "country": c} for i, (s, c, _) in enumerate(LABS)]
        )
    artifact_id, batch_r, batch_a = 0, [], []
    for rid in range(1, n_releases + 1):
        lab = rng.choices(range(len(LABS)), weights)[0] + 1
        kind = "paper" if rng.random() < 0.15 else "model"
        at = start + timedelta(seconds=span_s * rng.random() ** 0.7)  # more releases recently
        family = f"Fam{lab}-{rid // 7}"
        batch_r.append(
            {
                "id": rid,
                "lab_id": lab,
                "family": family,
                "title": f"{family} {rid}",
                "kind": kind,
                "url": f"https://hub.test/{rid}",
                "released_at": at,
                "first_seen_at": at,
                "baseline": at < start + timedelta(days=365),
            }
        )
        count = 1 if kind == "paper" else max(1, min(40, int(rng.expovariate(1 / artifacts_per_release))))
        for _ in range(count):
            artifact_id += 1
            size = rng.choice(SIZES) if kind == "model" else None
            batch_a.append(
                {
                    "id": artifact_id,
                    "source": "arxiv" if kind == "paper" else "hf",
                    "external_id": uuid.UUID(int=rng.getrandbits(128)).hex,
                    "kind": kind,
                    "lab_id": lab,
                    "release_id": rid,
                    "name": f"org{lab}/{family}-{size}B-Instruct",
                    "org": f"org{lab}",
                    "url": "https://hub.test/x",
                    "created_at": at,
                    "first_seen_at": at,
                    "baseline": False,
                    "kinds": ["instruct"],
                    "size_label": f"{size}B" if size else None,
                    "params_total_b": size,
                    "attrs": {},
                }
            )
        if len(batch_a) >= 20_000 or rid == n_releases:
            with store.engine.begin() as conn:
                conn.execute(insert(Release), batch_r)
                conn.execute(insert(Artifact), batch_a)
            batch_r, batch_a = [], []
    if store.engine.dialect.name == "postgresql":
        # what autovacuum does on a live database: statistics and the visibility map (index-only scans)
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with store.engine.begin() as conn:
            fts.create(conn)
            gap_stats.create(conn)
            conn.execute(text("ANALYZE"))
    return artifact_id


def timed(
    client: TestClient, path: str, params: dict, runs: int, before: Callable[[], object] | None = None
) -> tuple[float, float]:
    """Return (p50, p95) in ms of ``runs`` GETs (after one warm-up); ``before`` runs untimed before each."""
    assert client.get(path, params=params).status_code == 200
    samples = []
    for _ in range(runs):
        if before is not None:
            before()
        t0 = time.perf_counter()
        response = client.get(path, params=params)
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.text
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def slowest_statement_plan(store: Store, client: TestClient, path: str, params: dict) -> str:
    """Run one GET with every SQL statement timed; return the backend's plan of the slowest one
    (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite), with its time and text."""
    timings: list[tuple[float, str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        timings.append(((time.perf_counter() - conn.info.pop("bench_t0")) * 1000, statement, parameters))

    event.listen(store.engine, "before_cursor_execute", before)
    event.listen(store.engine, "after_cursor_execute", after)
    try:
        assert client.get(path, params=params).status_code == 200
    finally:
        event.remove(store.engine, "before_cursor_execute", before)
        event.remove(store.engine, "after_cursor_execute", after)
    ms, statement, parameters = max(timings, key=lambda t: t[0])
    postgres = store.engine.dialect.name == "postgresql"
    with store.engine.connect() as conn:
        for _, other, other_params in timings:  # session settings the statement ran under (work_mem)
            if other.lstrip().upper().startswith("SET "):
                conn.exec_driver_sql(other, other_params)
        rows = conn.exec_driver_sql(
            ("EXPLAIN ANALYZE " if postgres else "EXPLAIN QUERY PLAN ") + statement, parameters
        ).all()
        conn.rollback()
    head = f"  slowest of {len(timings)} statements: {ms:.1f} ms\n  " + " ".join(statement.split())[:300]
    return head + "\n" + "\n".join("  " + (r[-1] if isinstance(r[-1], str) else str(r)) for r in rows)


def reusable(store: Store) -> str | None:
    """Why the kept database cannot be reused (its schema is not the models' + triggers), or None."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from tracker.store.models import Base

    with store.engine.connect() as conn:
        drift = compare_metadata(
            MigrationContext.configure(conn, opts={"include_name": store_db.include_name}), Base.metadata
        )
        trigger = (
            store.engine.dialect.name != "postgresql"
            or conn.scalar(text("SELECT 1 FROM pg_trigger WHERE tgname = 'releases_changed'")) is not None
        )
    if drift:
        return f"schema differs from the models ({len(drift)} differences)"
    return None if trigger else "the releases_changed trigger is missing"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--releases", type=int, default=10_000)
    parser.add_argument("--artifacts-per-release", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--keep-db",
        metavar="NAME",
        help="PostgreSQL: use (fill once, then reuse) and keep this "
        "database instead of a throwaway one, to compare code changes on the same data",
    )
    args = parser.parse_args(argv)

    tmp = tempfile.TemporaryDirectory(prefix="tracker-bench-")
    settings = Settings(_env_file=None, data_dir=tmp.name, api_token=SecretStr("x"))
    admin, db_name = None, args.keep_db or f"tracker_bench_{uuid.uuid4().hex[:8]}"
    reuse = False
    if args.backend == "postgresql":
        admin = create_engine(make_url(args.pg_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            reuse = (
                bool(args.keep_db)
                and conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": db_name}) is not None
            )
            if not reuse:
                conn.execute(text(f'CREATE DATABASE "{db_name}"'))
        settings = settings.model_copy(
            update={"database_url": make_url(args.pg_url).set(database=db_name).render_as_string(hide_password=False)}
        )
    store = Store.open(settings, migrate=False)
    try:
        if reuse and (why := reusable(store)) is not None:
            print(f"{args.backend}: not reusing {db_name}: {why}; filling it again")
            store.dispose()
            assert admin is not None
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{db_name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{db_name}"'))
            store, reuse = Store.open(settings, migrate=False), False
        store_db.upgrade(store.engine)
        t0 = time.perf_counter()
        if reuse:
            with store.engine.connect() as conn:
                releases = conn.scalar(text("SELECT count(*) FROM releases"))
                artifacts = conn.scalar(text("SELECT count(*) FROM artifacts"))
            print(f"{args.backend}: reusing {db_name}: {releases} releases, {artifacts} artifacts")
        else:
            artifacts = fill(store, args.releases, args.artifacts_per_release)
            print(
                f"{args.backend}: {args.releases} releases, {artifacts} artifacts filled in "
                f"{time.perf_counter() - t0:.1f} s"
            )
        client = TestClient(create_app(settings, store=store))
        page = client.get("/releases", params={"limit": 50}).json()
        deep_cursor = page["next_cursor"]
        for _ in range(20):  # 20 pages deep
            deep_cursor = client.get("/releases", params={"limit": 50, "cursor": deep_cursor}).json()["next_cursor"]
        as_of = {"as_of": NOW.isoformat()}
        # (label, path, params, target p95 in ms, run before each request, untimed)
        cases: list[tuple[str, str, dict, float, Callable[[], object] | None]] = [
            ("/releases first page", "/releases", {"limit": 50}, 50, None),
            ("/releases page 21 (cursor)", "/releases", {"limit": 50, "cursor": deep_cursor}, 50, None),
            ("/releases lab=openai (rare)", "/releases", {"lab": "openai"}, 50, None),
            ("/releases lab=qwen", "/releases", {"lab": "qwen"}, 50, None),
            ("/releases country=FR", "/releases", {"country": "FR"}, 50, None),
            ("/releases kind=paper", "/releases", {"kind": "paper"}, 50, None),
            ("/releases since..until (1 month)", "/releases", {"since": "2025-01-01", "until": "2025-02-01"}, 50, None),
            ("/releases min_params=600", "/releases", {"min_params": 600}, 50, None),
            ("/releases baseline=true", "/releases", {"baseline": "true"}, 50, None),
            ("/releases q=instruct", "/releases", {"q": "instruct"}, 50, None),
            ("/releases q=no-such-name (rare)", "/releases", {"q": "no-such-name"}, 50, None),
            ("/stats/cadence (all labs)", "/stats/cadence", as_of, 100, None),
        ]
        if args.backend == "postgresql":
            cases.append(
                ("/stats/cadence cold (after a change)", "/stats/cadence", as_of, 100, analytics._HISTORY_CACHE.clear)
            )
        cases.append(("/stats/countries (12 months)", "/stats/countries", as_of, 100, None))
        print(f"{'query':38} {'p50 ms':>8} {'p95 ms':>8} {'target':>7} {'p95/target':>10}")
        ratios = []
        for label, path, params, target, before in cases:
            runs = args.runs if path == "/releases" else max(5, args.runs // 3)
            p50, p95 = timed(client, path, params, runs, before)
            print(f"{label:38} {p50:8.1f} {p95:8.1f} {target:7.0f} {p95 / target:10.2f}")
            ratios.append((p95 / target, label, path, params, before))
        ratio, label, path, params, before = max(ratios, key=lambda r: r[0])
        print(f"\nslowest against its target: {label} (p95/target {ratio:.2f}); plan of its slowest SQL statement:")
        if before is not None:
            before()
        print(slowest_statement_plan(store, client, path, params))
    finally:
        store.dispose()
        if admin is not None and not args.keep_db:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
            admin.dispose()
        tmp.cleanup()


if __name__ == "__main__":
    main()
