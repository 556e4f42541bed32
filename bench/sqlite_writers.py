"""Benchmark the embedded SQLite default under concurrent writers: WAL + busy timeout alone vs
serialised writers (``BEGIN IMMEDIATE``), and what a reader pays while they write.

W writer processes (the worker processes of ``tracker run --concurrency W``, or W CLI polls) each
store U poll units in one transaction per unit, shaped like the pipeline's apply step: read the
lab's stored ids first, then insert R new releases of one artifact each. A reader process runs
read transactions (``Store.transaction(write=False)``: a dashboard or ``tracker status``) all the
while. Three ways to begin a transaction are compared on a fresh migrated file each:

* ``deferred``: WAL + busy timeout only; writers start with SQLite's deferred ``BEGIN``.
* ``immediate``: writers start with ``BEGIN IMMEDIATE`` (the lock is taken before the first read,
  so they queue on the busy timeout); readers deferred. This is what ``tracker.store.db`` does.
* ``immediate-all``: every transaction, reads included, is ``BEGIN IMMEDIATE`` (readers queue
  behind writers).

It prints, per mode, units committed and failed ("database is locked"), writer wall seconds and
how many reads the reader got through and their p50/p95 latency, then the ratios that decide the choice.

    python bench/sqlite_writers.py --writers 4 --units 10 --rows 100
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from tracker.config import Settings
from tracker.store import Store
from tracker.store.models import Artifact, Lab, Release

MODES = ("deferred", "immediate", "immediate-all")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _settings(data_dir: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir)


def _begin(store: Store, mode: str, *, write: bool):  # type: ignore[no-untyped-def]
    if mode == "immediate":
        return store.transaction(write=write)
    if mode == "immediate-all":
        return store.transaction(write=True)
    return _deferred(store)


class _deferred:
    """A plain deferred transaction (what WAL + busy timeout alone gives a writer)."""

    def __init__(self, store: Store):
        self._cm = store.sessions.begin()

    def __enter__(self):  # type: ignore[no-untyped-def]
        session = self._cm.__enter__()
        session.connection().exec_driver_sql("BEGIN")
        return session

    def __exit__(self, *exc):  # type: ignore[no-untyped-def]
        return self._cm.__exit__(*exc)


def _unit(session, lab_id: int, writer: int, unit: int, rows: int) -> None:  # type: ignore[no-untyped-def]
    session.scalars(select(Artifact.external_id).where(Artifact.lab_id == lab_id)).all()  # diff against stored
    for i in range(rows):
        name = f"org{writer}/model-{unit}-{i}"
        release = Release(
            lab_id=lab_id,
            family=name,
            title=name,
            kind="model",
            url=f"https://hub.invalid/{name}",
            released_at=NOW,
            first_seen_at=NOW,
            released_at_source="first_seen",
            attrs={},
        )
        session.add(release)
        session.flush()
        session.add(
            Artifact(
                source="hf",
                external_id=f"id-{name}",
                kind="model",
                lab_id=lab_id,
                release_id=release.id,
                name=name,
                org=f"org{writer}",
                url=f"https://hub.invalid/{name}",
                created_at=NOW,
                first_seen_at=NOW,
                kinds=[],
                attrs={},
            )
        )


def _writer(data_dir: Path, mode: str, writer: int, units: int, rows: int, start, out) -> None:  # type: ignore[no-untyped-def]
    store = Store.open(_settings(data_dir), migrate=False)
    with store.transaction() as session:
        lab_id = session.scalar(select(Lab.id).where(Lab.slug == f"lab{writer}"))
    start.wait()
    ok = failed = 0
    for unit in range(units):
        try:
            with _begin(store, mode, write=True) as session:
                _unit(session, lab_id, writer, unit, rows)
            ok += 1
        except OperationalError:  # "database is locked": the pipeline reports the unit failed
            failed += 1
    store.dispose()
    out.put((ok, failed))


def _reader(data_dir: Path, mode: str, start, stop, out) -> None:  # type: ignore[no-untyped-def]
    store = Store.open(_settings(data_dir), migrate=False)
    latencies = []
    start.wait()
    while not stop.is_set():
        began = time.perf_counter()
        with _begin(store, mode, write=False) as session:
            session.scalar(select(func.count()).select_from(Release))
        latencies.append(time.perf_counter() - began)
        time.sleep(0.01)
    store.dispose()
    out.put(latencies)


def run(mode: str, *, writers: int, units: int, rows: int) -> dict[str, float]:
    """One mode on a fresh migrated file; returns counts, seconds and reader latencies (ms)."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        store = Store.open(_settings(data_dir))
        with store.transaction() as session:
            session.add_all(Lab(slug=f"lab{w}", name=f"Lab {w}", country="US") for w in range(writers))
        store.dispose()
        ctx = mp.get_context("spawn")
        start, stop, results, reads = ctx.Barrier(writers + 2), ctx.Event(), ctx.Queue(), ctx.Queue()
        procs = [
            ctx.Process(target=_writer, args=(data_dir, mode, w, units, rows, start, results)) for w in range(writers)
        ]
        reader = ctx.Process(target=_reader, args=(data_dir, mode, start, stop, reads))
        for p in [*procs, reader]:
            p.start()
        start.wait()
        began = time.perf_counter()
        counts = [results.get() for _ in procs]
        seconds = time.perf_counter() - began
        stop.set()
        latencies = sorted(reads.get())
        for p in [*procs, reader]:
            p.join()
    return {
        "committed": sum(c[0] for c in counts),
        "failed": sum(c[1] for c in counts),
        "seconds": seconds,
        "read_p50_ms": statistics.median(latencies) * 1000,
        "read_p95_ms": latencies[min(len(latencies) - 1, math.ceil(len(latencies) * 0.95) - 1)] * 1000,
        "reads": len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--units", type=int, default=10, help="transactions per writer")
    parser.add_argument("--rows", type=int, default=100, help="new releases per transaction")
    args = parser.parse_args()
    found = {}
    for mode in MODES:
        r = found[mode] = run(mode, writers=args.writers, units=args.units, rows=args.rows)
        print(
            f"{mode:14} committed {r['committed']:4.0f}  failed {r['failed']:4.0f}  writers {r['seconds']:6.2f} s  "
            f"{r['reads']:5.0f} reads: p50 {r['read_p50_ms']:7.1f} ms  p95 {r['read_p95_ms']:7.1f} ms"
        )
    total = args.writers * args.units
    d, i, a = found["deferred"], found["immediate"], found["immediate-all"]
    print(f"units lost, deferred / immediate: {d['failed']:.0f}/{total} vs {i['failed']:.0f}/{total}")
    per_unit = {m: r["seconds"] / max(r["committed"], 1) for m, r in found.items()}
    print(f"seconds per committed unit, immediate / deferred: {per_unit['immediate'] / per_unit['deferred']:.2f}")
    print(f"reader p95 ratio immediate-all / immediate: {a['read_p95_ms'] / max(i['read_p95_ms'], 1e-6):.1f}")


if __name__ == "__main__":
    main()
