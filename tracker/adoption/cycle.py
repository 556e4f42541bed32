"""The adoption step: count derivatives and all-time downloads of recent releases, within a budget.

It runs after release polling (its own beat task, or ``tracker adoption --refresh``), never
inside it: release polling keeps exactly one request per org page whatever adoption does. Each
cycle may spend ``adoption.requests_per_cycle`` Hub listing pages:

1. free first: lineage links from listings already polled become derivatives (``absorb_links``);
2. all-time downloads: one ``expand[]`` listing page per org of a recent release, at most once a
   day per org (``counters``);
3. derivative scans: base models of recent releases, never scanned first then oldest scan first,
   each rescanned at most every ``adoption.rescan_s`` seconds, up to ``adoption.max_pages``
   pages each.

Every page is taken from the budget before it is requested; what the budget cannot pay for waits
for the next cycle (``deferred``). Requests run concurrently (``http.concurrency``); one failing
org or base is reported and skipped, the others still complete; each stores in its own transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select

from tracker.adoption.counters import orgs_due, record_counters
from tracker.adoption.derivatives import ScanTarget, absorb_links, bases_due, record_scan, refresh_adoption_counts
from tracker.config import Settings
from tracker.domain import utcnow
from tracker.errors import TrackerError
from tracker.http import HttpClient, make_client
from tracker.sources.hf_adoption import Counters, list_derivatives, list_org_counters
from tracker.store import Store
from tracker.store.models import Artifact

__all__ = ["COUNTER_INTERVAL_S", "AdoptionReport", "adoption_cycle", "adoption_once"]

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Seconds between two all-time download listings of one org (daily, like the snapshots).
COUNTER_INTERVAL_S = 86_400.0


@dataclass
class AdoptionReport:
    """What one adoption cycle did.

    Attributes:
        budget: listing pages the cycle could pay for. pages: pages taken from it.
        requests: Hub requests actually sent (retries included).
        links_absorbed: releases that got derivatives from polled listings (no request).
        orgs_counted / bases_scanned: units done. derivatives_new: derivatives new to tracker.
        deferred: units due but left for a later cycle (budget spent).
        failures: ``unit -> error`` for units that failed.
    """

    budget: int
    pages: int = 0
    requests: int = 0
    links_absorbed: int = 0
    orgs_counted: int = 0
    bases_scanned: int = 0
    derivatives_new: int = 0
    deferred: int = 0
    failures: dict[str, str] = field(default_factory=dict)

    def take(self) -> bool:
        """Take one page from the budget; False when it is spent."""
        if self.pages >= self.budget:
            return False
        self.pages += 1
        return True


def _plan(store: Store, settings: Settings, now: datetime) -> tuple[int, list[str], list[ScanTarget], dict]:
    cfg = settings.adoption
    with store.transaction() as session:
        releases = absorb_links(session, now=now)
        refresh_adoption_counts(session, releases)
        orgs = orgs_due(session, now=now, window_days=cfg.window_days, interval_s=COUNTER_INTERVAL_S)
        bases = bases_due(session, now=now, window_days=cfg.window_days, rescan_s=cfg.rescan_s)
        own: dict[int, set[str]] = {}
        stmt = select(Artifact.lab_id, Artifact.org).where(Artifact.org.is_not(None)).distinct()
        for lab_id, org in session.execute(stmt):
            own.setdefault(lab_id, set()).add(org.lower())
    return len(releases), orgs, bases, own


async def _guarded(report: AdoptionReport, unit: str, work: Awaitable[T]) -> T | None:
    try:
        return await work
    except TrackerError as exc:
        report.failures[unit] = str(exc)
        log.warning("adoption %s failed: %s", unit, exc)
        return None


async def adoption_cycle(settings: Settings, store: Store, client: HttpClient, *, now: datetime) -> AdoptionReport:
    """Run one adoption cycle (see the module docstring) and return what it did.

    Args:
        settings (Settings): ``adoption.*``, ``hub.endpoint``, ``http.concurrency``.
        store (Store): the database. client (HttpClient): the HTTP funnel; only this cycle's
            requests are counted. now (datetime): the cycle time (UTC), stored on every row written.

    Raises:
        Nothing for one unit's HTTP or parse failure (recorded in ``failures``); database
        errors propagate.
    """
    cfg = settings.adoption
    report = AdoptionReport(budget=cfg.requests_per_cycle)
    absorbed, orgs, bases, own = await asyncio.to_thread(_plan, store, settings, now)
    report.links_absorbed = absorbed
    sem = asyncio.Semaphore(settings.http.concurrency)

    def bounded(make: Callable[[], Awaitable[T]]) -> Awaitable[T]:
        async def run() -> T:
            async with sem:
                return await make()

        return run()

    with client.counting() as count:
        paid = [org for org in orgs if report.take()]
        report.deferred += len(orgs) - len(paid)
        listings = await asyncio.gather(
            *(
                _guarded(
                    report, f"counters:{o}", bounded(lambda o=o: list_org_counters(client, settings, o, max_pages=1))
                )
                for o in paid
            )
        )
        for counters in listings:
            if counters is not None:
                await asyncio.to_thread(_store_counters, store, counters, now)
                report.orgs_counted += 1
        scans = await asyncio.gather(
            *(
                _guarded(
                    report,
                    f"derivatives:{b.repo_id}",
                    bounded(
                        lambda b=b: list_derivatives(
                            client, settings, b.repo_id, max_pages=cfg.max_pages, take=report.take
                        )
                    ),
                )
                for b in bases
            )
        )
        for base, listing in zip(bases, scans, strict=True):
            if listing is None:
                continue
            if listing.pages == 0:
                report.deferred += 1
                continue
            report.derivatives_new += await asyncio.to_thread(_store_scan, store, base, listing, own, now)
            report.bases_scanned += 1
    report.requests = count.requests
    return report


def _store_counters(store: Store, counters: list[Counters], now: datetime) -> None:
    with store.transaction() as session:
        record_counters(session, counters, now=now, interval_s=COUNTER_INTERVAL_S)


def _store_scan(store: Store, base: ScanTarget, listing, own: dict[int, set[str]], now: datetime) -> int:
    with store.transaction() as session:
        new = record_scan(session, base, listing, own_orgs=own.get(base.lab_id, set()), now=now)
        session.flush()
        release_id = session.get(Artifact, base.artifact_id).release_id
        refresh_adoption_counts(session, [release_id])
    return new


def adoption_once(settings: Settings, store: Store, *, clock: Callable[[], datetime] = utcnow) -> AdoptionReport:
    """Run one adoption cycle synchronously with a client of its own (CLI and Celery tasks).

    Args:
        clock (callable): returns the cycle time (UTC); the replay hub's clock in tests.
    """

    async def run() -> AdoptionReport:
        async with make_client(settings) as client:
            return await adoption_cycle(settings, store, client, now=clock())

    return asyncio.run(run())
