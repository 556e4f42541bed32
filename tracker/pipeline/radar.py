"""The radar step: global Hub listings within a request budget -> sightings -> candidate scores.

Runs on its own beat entry (``radar:cycle``, digest queue), never inside release polling: it
holds no poll lock and its requests are counted apart, so watched-org polling sends exactly the
requests it would without it. Each cycle may spend ``radar.requests_per_cycle`` Hub requests:

1. the global listings, one page each, in this order while the budget lasts: trending
   (``sort=trendingScore``), newest (``sort=createdAt``), most liked (``sort=likes``);
2. with what is left, derivative scans (``filter=base_model:<repo>``, one page) of the best repo
   of candidates at half the alert score or more, never scanned first, then highest score first,
   each at most every ``SCAN_EVERY_S``.

A listing or scan that fails is recorded and skipped. Everything fetched is then stored and every
recently seen org rescored in one transaction; ``crossed_at`` is set once per org.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from tracker.config import Settings
from tracker.domain import utcnow
from tracker.errors import TrackerError
from tracker.http import HttpClient, make_client
from tracker.pipeline.radar_events import emit_radar_crossings
from tracker.radar.rescore import rescore
from tracker.radar.sightings import prune, record_pages, record_scan
from tracker.sources.hf_adoption import list_derivatives
from tracker.sources.hf_global import LISTINGS, GlobalPage, fetch_global
from tracker.sources.huggingface import HubModel
from tracker.store import Store
from tracker.store.models import RadarCandidate, RadarRepo
from tracker.watchlist import Watchlist, load_watchlist

__all__ = ["LISTING_LIMIT", "SCAN_EVERY_S", "RadarReport", "radar_cycle", "radar_once"]

log = logging.getLogger(__name__)

#: Items per global listing page (one request each).
LISTING_LIMIT = 100
#: Seconds between two derivative scans of one repo.
SCAN_EVERY_S = 6 * 3600.0


@dataclass
class RadarReport:
    """What one radar cycle did.

    Attributes:
        budget: requests the cycle could spend. requests: Hub requests sent (retries included).
        listings: listing names fetched. scans: repos whose derivatives were listed.
        repos: repos seen. skipped: listing items that could not be parsed.
        scored / excluded: orgs rescored and how many of them are noise.
        crossed: orgs that reached the alert score in this cycle.
        announced: radar alert events written (``TRACKER_RADAR_ALERTS``; at most one per org, ever).
        failures: ``unit -> error`` for listings or scans that failed.
    """

    budget: int
    requests: int = 0
    listings: list[str] = field(default_factory=list)
    scans: list[str] = field(default_factory=list)
    repos: int = 0
    skipped: int = 0
    scored: int = 0
    excluded: int = 0
    crossed: list[str] = field(default_factory=list)
    announced: int = 0
    failures: dict[str, str] = field(default_factory=dict)


def _scan_targets(store: Store, now: datetime, count: int, min_score: float) -> list[str]:
    """Best repos of candidates scoring ``min_score`` or more, due a scan (never scanned first, then best)."""
    if count <= 0:
        return []
    due = now - timedelta(seconds=SCAN_EVERY_S)
    with store.transaction(write=False) as session:
        rows = session.execute(
            select(RadarRepo.repo_id, RadarRepo.scanned_at)
            .join(RadarCandidate, RadarCandidate.best_repo_id == RadarRepo.repo_id)
            .where(RadarCandidate.status == "candidate", RadarCandidate.score >= min_score)
            .where((RadarRepo.scanned_at.is_(None)) | (RadarRepo.scanned_at < due))
            .order_by(RadarRepo.scanned_at.is_not(None), RadarCandidate.score.desc(), RadarRepo.repo_id)
            .limit(count)
        ).all()
    return [repo_id for repo_id, _ in rows]


async def _fetch(
    client: HttpClient, settings: Settings, report: RadarReport, targets: list[str]
) -> tuple[list[GlobalPage], dict[str, list[HubModel]]]:
    async def listing(name: str) -> GlobalPage | None:
        try:
            return await fetch_global(client, settings, name, limit=LISTING_LIMIT)
        except TrackerError as exc:
            report.failures[f"listing:{name}"] = str(exc)
            log.warning("radar listing %s failed: %s", name, exc)
            return None

    async def scan(repo_id: str) -> list[HubModel] | None:
        try:
            return (await list_derivatives(client, settings, repo_id, max_pages=1)).models
        except TrackerError as exc:
            report.failures[f"derivatives:{repo_id}"] = str(exc)
            log.warning("radar derivatives of %s failed: %s", repo_id, exc)
            return None

    names = list(LISTINGS)[: report.budget]
    results = await asyncio.gather(*(listing(n) for n in names), *(scan(t) for t in targets))
    pages = [p for p in results[: len(names)] if isinstance(p, GlobalPage)]
    scans = {t: m for t, m in zip(targets, results[len(names) :], strict=True) if isinstance(m, list)}
    report.listings = [p.listing for p in pages]
    return pages, scans


def _store(
    store: Store,
    settings: Settings,
    watchlist: Watchlist,
    pages: list[GlobalPage],
    scans: dict[str, list[HubModel]],
    report: RadarReport,
    now: datetime,
) -> None:
    watched = set(watchlist.labs_for_org())
    known = {org: lab.country for org, lab in load_watchlist().labs_for_org().items() if org not in watched}
    with store.transaction() as session:
        seen = record_pages(session, pages, now=now)
        for repo_id, models in scans.items():
            record_scan(session, repo_id, models, now=now)
            report.scans.append(repo_id)
        done = rescore(
            session, now=now, alert_score=settings.radar.alert_score, watched=watched, known_countries=known, orgs=seen
        )
        prune(session, now=now)
        report.announced = emit_radar_crossings(session, settings, now)
    report.repos = sum(len(p.repos) for p in pages)
    report.skipped = sum(p.skipped for p in pages)
    report.scored, report.excluded, report.crossed = done.scored, done.excluded, done.crossed or []


async def radar_cycle(
    settings: Settings, store: Store, client: HttpClient, watchlist: Watchlist, *, now: datetime
) -> RadarReport:
    """Run one radar cycle (see the module docstring) and return what it did.

    Args:
        settings (Settings): ``radar.*``, ``hub.endpoint``. store (Store): the database.
        client (HttpClient): the HTTP funnel; only this cycle's requests are counted.
        watchlist (Watchlist): the user's watchlist: its orgs are never candidates.
        now (datetime): the cycle time (UTC).

    Raises:
        Nothing for a listing's or scan's HTTP or parse failure (recorded in ``failures``);
        database errors propagate.
    """
    report = RadarReport(budget=settings.radar.requests_per_cycle)
    spare = max(0, report.budget - len(LISTINGS))
    targets = await asyncio.to_thread(_scan_targets, store, now, spare, settings.radar.alert_score / 2)
    with client.counting() as count:
        pages, scans = await _fetch(client, settings, report, targets)
    report.requests = count.requests
    await asyncio.to_thread(_store, store, settings, watchlist, pages, scans, report, now)
    return report


def radar_once(
    settings: Settings, store: Store, watchlist: Watchlist, *, clock: Callable[[], datetime] = utcnow
) -> RadarReport:
    """Run one radar cycle synchronously with a client of its own (CLI and Celery tasks).

    Args:
        clock (callable): returns the cycle time (UTC); the replay hub's clock in tests.
    """

    async def run() -> RadarReport:
        async with make_client(settings) as client:
            return await radar_cycle(settings, store, client, watchlist, now=clock())

    return asyncio.run(run())
