"""Apply one source result: detect changes, store artifacts, releases and outbox events.

Baseline: the first successful listing of a scope records what already exists as history and
writes no events; everything that appears afterwards is a detection, dated by the poll that first
saw it. ``store_unit`` runs ``apply_result`` in one transaction and reports a rollback.

The steps, each in its own module: detect the changes (``detect``, pure), store new artifacts
where grouping puts them (``arrivals``), update known ones (``known``), all writing their outbox
events through ``events``; then the grouping post-pass (``tracker.grouping.enrich``), download
snapshots (``snapshots``) and the unit's health (``health``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.config import Settings
from tracker.domain import ArtifactKind, KnownArtifact, SourceKind, SourceResult
from tracker.grouping.enrich import enrich_after_poll
from tracker.pipeline.arrivals import NewArtifacts, lock_families
from tracker.pipeline.baseline import store_baseline_page
from tracker.pipeline.detect import Change, New, Restored, Withdrawn, diff, history_flags
from tracker.pipeline.events import EventWriter
from tracker.pipeline.health import listing_fingerprint, record_health
from tracker.pipeline.known import apply_known_changes
from tracker.pipeline.moves import OrgMoves, announced_origin, moved_batch
from tracker.pipeline.paper_gate import PaperGate, reopen_rejected
from tracker.pipeline.report import PollReport
from tracker.pipeline.reports import join_reports
from tracker.pipeline.snapshots import CURSOR_KEY, interval_s, record_snapshots, snapshot_due
from tracker.pipeline.withdrawals import settle_releases
from tracker.sources.arxiv_query import lab_queries
from tracker.store import Store
from tracker.store import queries as q
from tracker.store.models import Artifact, SourceState
from tracker.watchlist import LabConfig

log = logging.getLogger(__name__)


def _known_artifacts(session: Session, result: SourceResult, lab_id: int) -> dict[str, tuple[KnownArtifact, Artifact]]:
    """Stored artifacts for a result, looked up under each observation's own source.

    A source may borrow another's identity (daily papers are arXiv papers), so the lookup is by
    the observations' sources, not the polled one.
    """
    sources = sorted({o.source.value for o in result.observations} or {result.source.value})
    known: dict[str, tuple[KnownArtifact, Artifact]] = {}
    for src in sources:
        known.update(
            q.get_known_artifacts(
                session=session,
                source=src,
                lab_id=lab_id,
                external_ids=(o.external_id for o in result.observations if o.source.value == src),
            )
        )
    return known


def _store_new(
    session: Session,
    settings: Settings,
    lab: LabConfig,
    state: SourceState,
    changes: Sequence[Change],
    arrivals: NewArtifacts,
    report: PollReport,
    now: datetime,
    gate: PaperGate,
    org_moves: OrgMoves,
) -> None:
    """Store the ``New`` changes, each as history or as a detection (``detect.history_flags``).

    A paper is stored only when ``gate`` attributes it to the lab (every decision is recorded); a
    live repo that moved in from another org (``pipeline.moves``) is history, counted in ``org_moves``.
    """
    baselined = {s.lower() for s in (state.cursor or {}).get("baselined_scopes", [])}
    lab_arxiv_scopes = {f"arxiv:{query}".lower() for query in lab_queries(lab, settings.papers.category_list)}
    backfill = timedelta(days=settings.arxiv.backfill_days)
    # New artifacts in creation order, so baseline clusters and release titles are stable.
    new = sorted(
        (c for c in changes if isinstance(c, New)), key=lambda c: (c.observation.created_at or now, c.observation.name)
    )
    lock_families(session, arrivals.lab.id, (c.observation for c in new))
    flags = [
        history_flags(c.observation, baselined=baselined, lab_arxiv_scopes=lab_arxiv_scopes, now=now, backfill=backfill)
        for c in new
    ]
    observations = [c.observation for c in new]
    repos_history = [first and o.kind != ArtifactKind.PAPER for o, (first, _) in zip(observations, flags, strict=True)]
    if new and all(repos_history):
        # a first listing of repos only (the common case: a lab's first poll): grouped in memory,
        # written in bulk, with the same rules (tracker.pipeline.baseline)
        report.baseline = True
        store_baseline_page(arrivals, observations, report)
        return
    moves = moved_batch(
        [o for o, flag in zip(observations, flags, strict=True) if not any(flag)],
        state=state,
        settings=settings,
        now=now,
    )
    for change in new:
        obs = change.observation
        first_listing, late_paper = history_flags(
            obs, baselined=baselined, lab_arxiv_scopes=lab_arxiv_scopes, now=now, backfill=backfill
        )
        report.baseline = report.baseline or first_listing
        report.backfilled += int(late_paper)
        baseline = first_listing or late_paper
        if obs.kind != ArtifactKind.PAPER:
            moved = None if baseline else moves.get(obs.external_id)
            if moved:
                org_moves.add(obs.name, announced_origin(state, obs.name))
            arrivals.add(obs, baseline=baseline or bool(moved), report=report, reasons=moved or ())
            continue
        if not gate.admit(obs):
            continue
        try:  # a paper can arrive through two units at once (arXiv and daily papers)
            with session.begin_nested():
                arrivals.add(obs, baseline=baseline, report=report)
        except IntegrityError:
            log.info("paper %s was stored concurrently by another unit; kept theirs", obs.external_id)
    arrivals.announce(report)  # every title settled over the unit's repos: now the alerts


def apply_result(
    session: Session, *, settings: Settings, lab: LabConfig, result: SourceResult, now: datetime
) -> PollReport:
    """Store one poll result: artifacts, releases, outbox events and poll health.

    The caller owns the transaction (``Store.transaction``): everything here commits together.

    Args:
        session (Session): an open session inside a transaction.
        settings (Settings): family window and arXiv backfill age.
        lab (LabConfig): the lab polled.
        result (SourceResult): what the source returned.
        now (datetime): the poll time (UTC); live detections are dated by it.

    Returns:
        PollReport: counts, detections and failures.
    """
    report = PollReport(
        source=result.source.value,
        lab=lab.slug,
        failures=list(result.failures),
        requests=result.requests,
        not_modified=result.not_modified,
    )
    lab_row = q.get_lab_by_slug(session=session, slug=lab.slug) or q.sync_labs(session=session, labs=[lab])[lab.slug]
    state = q.get_or_create_source_state(session=session, source=result.source.value, lab_slug=lab_row.slug)
    fingerprint = listing_fingerprint(result)
    snapshot_interval = interval_s(settings)
    due = snapshot_due(state.cursor, now=now, interval=snapshot_interval)
    if fingerprint is not None and (state.cursor or {}).get("fingerprint") == fingerprint and not due:
        # Steady state: the same complete listing as last time, so nothing can have changed.
        record_health(state, result, now, fingerprint)
        report.complete_scopes = len(result.complete_scopes)
        return report
    known = _known_artifacts(session, result, lab_row.id)
    changes = diff(result, {k: v[0] for k, v in known.items()})
    events = EventWriter(session, lab_row, now)
    arrivals = NewArtifacts(session, settings, lab_row, events, now)
    gate = PaperGate(session, lab_row, lab, now, active=result.source == SourceKind.ARXIV)
    org_moves = OrgMoves()
    _store_new(session, settings, lab, state, changes, arrivals, report, now, gate, org_moves)
    rows = {external_id: row for external_id, (_, row) in known.items()}
    org_moves.add_renames(changes)
    renamed = apply_known_changes(
        changes, rows, source=result.source, lab_id=lab_row.id, events=events, report=report, now=now
    )
    org_moves.write(events)
    touched = [rows[c.known.external_id].release for c in changes if isinstance(c, (Withdrawn, Restored))]
    settle_releases(session, touched, now=now, grace=timedelta(seconds=settings.grouping.withdrawal_grace_s))
    enrich_after_poll(
        session, new=arrivals.stored, renamed=renamed, lab_id=lab_row.id, lab_orgs=lab.hf_orgs, tier=lab.tier
    )
    gate.bind(arrivals.stored)
    joined = join_reports(session, settings, arrivals.stored, now)
    report.detections = [d for d in report.detections if d.release_id not in joined]  # reports are not news
    reopen_rejected(session, lab_row.id, lab_row.slug, arrivals.stored)
    if due and result.complete_scopes:  # downloads/likes from this listing, at most once per interval
        session.flush()
        record_snapshots(
            session=session,
            source=result.source.value,
            observations=result.observations,
            now=now,
            interval=snapshot_interval,
        )
        state.cursor = {**(state.cursor or {}), CURSOR_KEY: now.isoformat()}
    record_health(state, result, now, fingerprint)
    report.complete_scopes = len(result.complete_scopes)
    return report


def store_unit(
    settings: Settings, store: Store, lab: LabConfig, source: str, result: SourceResult, now: datetime
) -> PollReport:
    """Store one fetched result in one transaction; a database failure rolls it back and is reported."""
    try:
        with store.transaction() as session:
            return apply_result(session, settings=settings, lab=lab, result=result, now=now)
    except Exception as exc:  # the whole unit is rolled back; the next poll retries it
        log.exception("storing %s/%s failed; rolled back", source, lab.slug)
        return PollReport(
            source=source,
            lab=lab.slug,
            failures=list(result.failures),
            requests=result.requests,
            error=f"storing the result failed and was rolled back: {type(exc).__name__}: {exc}",
        )
