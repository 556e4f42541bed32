"""A poll cycle: choose the units, fetch them concurrently, store each result as it arrives."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import datetime

from tracker.config import Settings
from tracker.domain import SourceResult, utcnow
from tracker.http import HttpClient, make_client
from tracker.ops.locks import POLL_LOCK_TTL_S, SKIPPED_LOCKED, poll_lock
from tracker.pipeline.apply import store_unit
from tracker.pipeline.fetch import add_model_info_params, fetch_unit, unit_validators
from tracker.pipeline.health import listing_fingerprint, record_unchanged
from tracker.pipeline.report import PollReport
from tracker.pipeline.snapshots import interval_s, snapshot_due
from tracker.sources import DEFAULT_SOURCES, get_source
from tracker.sources import applies as source_applies
from tracker.store import Store
from tracker.store import queries as q
from tracker.watchlist import LabConfig, Watchlist

Clock = Callable[[], datetime]


def poll_units_for(
    watchlist: Watchlist,
    *,
    sources: Sequence[str] | None = None,
    labs: Sequence[str] | None = None,
    enabled: Sequence[str] | None = None,
) -> list[tuple[str, LabConfig]]:
    """Return the (source, lab) units to poll: every lab with something to poll for each source.

    Args:
        watchlist (Watchlist): the labs.
        sources (Sequence[str], optional): explicit slugs (``--source``); any registered source.
        labs (Sequence[str], optional): lab slugs; None means every lab.
        enabled (Sequence[str], optional): the default set when ``sources`` is None
            (``settings.polling.enabled_sources``); None means ``DEFAULT_SOURCES``.

    Whether a lab has something to poll for a source is ``tracker.sources.applies`` (the source
    module's ``applies(lab)``), so a new source needs no change here.

    Raises:
        ConfigError: an unknown lab slug or source.
    """
    selected = [watchlist.lab(slug) for slug in labs] if labs else list(watchlist.labs)
    wanted = list(sources) if sources else list(enabled if enabled is not None else DEFAULT_SOURCES)
    for s in wanted:
        get_source(s)  # validates the slug
    units = []
    for s in wanted:
        for lab in selected:
            if source_applies(s, lab):
                units.append((s, lab))
    return units


async def poll_cycle(
    settings: Settings,
    store: Store,
    units: Iterable[tuple[str, LabConfig]],
    *,
    clock: Clock = utcnow,
    client: HttpClient | None = None,
    on_report: Callable[[PollReport], None] | None = None,
    lock_units: bool = False,
) -> list[PollReport]:
    """Poll every unit concurrently: at most ``settings.http.concurrency`` fetches in flight,
    each result stored in its own transaction as soon as it arrives (overlapping later fetches).

    Args:
        on_report (callable, optional): called with each unit's report as soon as that unit is
            done (stored or failed), on the event loop; ``tracker poll`` shows progress with it.
        lock_units (bool): hold each unit's ``tracker.ops.locks.poll_lock`` while polling it; a unit
            whose lock another poll holds is reported ``skipped`` (nothing fetched or stored).
            ``poll_once`` (CLI, Celery task, webhook thread) always locks; benchmarks do not.

    Raises:
        TrackerError: with ``lock_units``, the lock store (Redis) cannot be reached.

    Returns:
        list[PollReport]: one report per unit, in the order given.
    """
    units = list(units)
    # Lab rows first, in one transaction, so concurrent units never race to insert the same lab;
    # and every unit's last listing fingerprint, so unchanged listings skip their own transaction.
    fingerprints = await asyncio.to_thread(_prepare_cycle, store, units, clock(), interval_s(settings))
    stored = await asyncio.to_thread(unit_validators, store)  # conditional requests: unchanged answers 304
    sem = asyncio.Semaphore(settings.http.concurrency)
    # Storing overlaps with fetching but is never concurrent on SQLite (one writer at a time).
    writers = 1 if store.engine.dialect.name == "sqlite" else 4
    loop = asyncio.get_running_loop()
    unchanged: list[int] = []

    async def one(c: HttpClient, source: str, lab: LabConfig) -> PollReport:
        with ExitStack() as stack:
            if lock_units and not stack.enter_context(poll_lock(settings, source, lab.slug, ttl_s=POLL_LOCK_TTL_S)):
                report = PollReport(source=source, lab=lab.slug, skipped=SKIPPED_LOCKED)
            else:
                with c.counting() as count:
                    report = await unit(c, source, lab)
                report.unreachable = dict(count.unreachable)
        if on_report is not None:
            on_report(report)
        return report

    async def unit(c: HttpClient, source: str, lab: LabConfig) -> PollReport:
        known_state, validators = stored.get((source, lab.slug), (None, None))
        async with sem:  # bounds requests in flight, not database work
            fetched = await fetch_unit(c, settings, lab, source, validators)
        if isinstance(fetched, PollReport):
            return fetched
        state_id, fingerprint = fingerprints.get((source, lab.slug), (None, None))
        short = _unchanged_report(source, lab, fetched, known_state, validators, state_id, fingerprint)
        if short is not None:
            unchanged.append(short[1])
            return short[0]
        # one model-info request per new repo without a size in its name, each under the cycle's
        # request bound (a result needing none goes straight to storage)
        fetched = await add_model_info_params(c, settings, store, lab, fetched, limit=sem)
        return await loop.run_in_executor(executor, store_unit, settings, store, lab, source, fetched, clock())

    with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="tracker-store") as executor:
        if client is not None:
            reports = list(await asyncio.gather(*(one(client, s, lab) for s, lab in units)))
        else:
            async with make_client(settings) as own:
                reports = list(await asyncio.gather(*(one(own, s, lab) for s, lab in units)))
    if unchanged:
        await asyncio.to_thread(record_unchanged, store, unchanged, clock())
    return reports


def _unchanged_report(
    source: str,
    lab: LabConfig,
    fetched: SourceResult,
    known_state: int | None,
    validators: dict | None,
    state_id: int | None,
    fingerprint: str | None,
) -> tuple[PollReport, int] | None:
    """The report of a unit with nothing to store, and the source state to mark polled, else None.

    Nothing to store: every scope answered 304 (nothing to parse), or the complete listing is the
    same as last time (its fingerprint) and no new conditional-request validators came with it.
    """
    if known_state is not None and fetched.all_not_modified:
        return PollReport(
            source=source, lab=lab.slug, requests=fetched.requests, not_modified=fetched.not_modified
        ), known_state
    if (
        state_id is not None
        and fingerprint is not None
        and listing_fingerprint(fetched) == fingerprint
        and fetched.validators in (None, validators)
    ):
        report = PollReport(
            source=source,
            lab=lab.slug,
            requests=fetched.requests,
            not_modified=fetched.not_modified,
            complete_scopes=len(fetched.complete_scopes),
        )
        return report, state_id
    return None


def _prepare_cycle(
    store: Store, units: list[tuple[str, LabConfig]], now: datetime, snapshot_interval: float
) -> dict[tuple[str, str], tuple[int, str]]:
    with store.transaction() as session:
        q.sync_labs(session=session, labs={lab.slug: lab for _, lab in units}.values())
        return {
            (state.source, state.lab_slug): (state.id, state.cursor["fingerprint"])
            for state in q.list_source_states(session=session)
            if (state.cursor or {}).get("fingerprint")
            # a unit due for a download snapshot takes the full path (tracker.pipeline.snapshots)
            and not snapshot_due(state.cursor, now=now, interval=snapshot_interval)
        }


def poll_once(
    settings: Settings,
    store: Store,
    watchlist: Watchlist,
    *,
    sources: Sequence[str] | None = None,
    labs: Sequence[str] | None = None,
    clock: Clock = utcnow,
    on_report: Callable[[PollReport], None] | None = None,
) -> list[PollReport]:
    """Run one poll cycle synchronously (CLI and Celery tasks call this).

    ``on_report`` is called with each unit's report as it finishes; each unit is polled under its
    poll lock, and one another poll holds is reported ``skipped`` (see ``poll_cycle``).

    Raises:
        ConfigError: unknown source or lab.
    """
    units = poll_units_for(watchlist, sources=sources, labs=labs, enabled=settings.polling.enabled_sources)
    return asyncio.run(poll_cycle(settings, store, units, clock=clock, on_report=on_report, lock_units=True))
