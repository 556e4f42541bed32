"""Apply one source result: detect changes, store artifacts, releases and outbox events.

Baseline: the first successful listing of a scope records what already exists as history and
writes no events; everything that appears afterwards is a detection, dated by the poll that first
saw it. ``store_unit`` runs ``apply_result`` in one transaction and reports a rollback.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.pipeline import snapshots
from tracker.grouping import lineage, papers, significance  # issue 6: lineage, paper links, score
from tracker.analytics.status import CadenceRules, silent_for_days
from tracker.config import Settings
from tracker.pipeline.detect import New, Renamed, Restored, Revised, Seen, Withdrawn, diff
from tracker.domain import ArtifactKind, EventType, Observation, SourceKind, SourceResult, scope_of
from tracker.grouping.rules import _facts, _hint_keys, _release_identity, in_family_window
from tracker.pipeline.health import _fingerprint, _record_health, _stable_attrs
from tracker.pipeline.report import Detection, PollReport
from tracker.store import Store
from tracker.store import queries as q
from tracker.store.models import Artifact, Event, Lab, Release
from tracker.watchlist import LabConfig


log = logging.getLogger(__name__)


def _known_artifacts(session: Session, result: SourceResult, lab_id: int) -> dict[str, Any]:
    """Stored artifacts for a result, looked up under each observation's own source.

    A source may borrow another's identity (daily papers are arXiv papers), so the lookup is by
    the observations' sources, not the polled one.
    """
    sources = sorted({o.source.value for o in result.observations} or {result.source.value})
    known: dict[str, Any] = {}
    for src in sources:
        known.update(q.get_known_artifacts(
            session=session, source=src, lab_id=lab_id,
            external_ids=(o.external_id for o in result.observations if o.source.value == src)))
    return known


def _lock_families(session: Session, lab_id: int, observations: Iterable[Observation]) -> None:
    """PostgreSQL: serialise release creation per (lab, model family) until commit.

    The Hub and ModelScope units of one lab can see the same launch in one cycle and store
    concurrently; without this both could create the family's release. Keys are taken in sorted
    order, so two units never wait on each other in a cycle. SQLite has one writer anyway.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({_release_identity(o, _facts(o))[0] for o in observations if o.kind == ArtifactKind.MODEL})
    for key in keys:
        digest = hashlib.sha256(f"release:{lab_id}:{key}".encode()).digest()
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                        {"k": int.from_bytes(digest[:8], "big", signed=True)})


def _event_payload(lab: Lab, release: Release, artifact: Artifact, **extra: Any) -> dict[str, Any]:
    return {
        "lab": lab.slug,
        "lab_name": lab.name,
        "country": lab.country,
        "release_id": release.id,
        "title": release.title,
        "kind": release.kind,
        "artifact": {
            "source": artifact.source,
            "external_id": artifact.external_id,
            "name": artifact.name,
            "url": artifact.url,
            "kinds": list(artifact.kinds or []),
            "size_label": artifact.size_label,
            "params_total_b": artifact.params_total_b,
            "params_active_b": artifact.params_active_b,
            "quantization": artifact.quantization,
        },
        **extra,
    }


class _Applier:
    """Applies one SourceResult inside one session (see ``apply_result``)."""

    def __init__(self, session: Session, settings: Settings, lab_cfg: LabConfig, now: datetime):
        self.session = session
        self.settings = settings
        self.lab_cfg = lab_cfg
        self.now = now
        self.window = timedelta(days=settings.family_window_days)
        self.new_artifacts: list[Artifact] = []  # issue 6: lineage/papers/significance post-pass
        self.renamed_artifacts: list[Artifact] = []
        lab = q.get_lab_by_slug(session=session, slug=lab_cfg.slug)
        self.lab = lab or q.sync_labs(session=session, labs=[lab_cfg])[lab_cfg.slug]

    def _add_event(self, type_: EventType, release: Release | None, artifact: Artifact | None,
                   payload: dict[str, Any]) -> None:
        self.session.add(
            Event(
                type=type_.value,
                release_id=release.id if release else None,
                artifact_id=artifact.id if artifact else None,
                payload=payload,
                created_at=self.now,
            )
        )

    def _release_for(self, family: str, kind: str, at: datetime) -> Release | None:
        release = q.find_recent_release(
            session=self.session, lab_id=self.lab.id, family=family, kind=kind, since=at - self.window
        )
        if release is not None and in_family_window(release.released_at, at, self.window):
            return release
        return None

    def _linked_model_release(self, obs: Observation, at: datetime) -> Release | None:
        """The lab's model release (within the family window) a code/post artifact names, or None.

        The most specific family wins (``Qwen3-Coder`` before ``Qwen3``).
        """
        if obs.kind not in (ArtifactKind.CODE, ArtifactKind.POST):
            return None
        for key in sorted(_hint_keys(obs), key=len, reverse=True):
            release = self._release_for(key, ArtifactKind.MODEL.value, at)
            if release is not None:
                return release
        return None

    def add_new(self, obs: Observation, *, baseline: bool, report: PollReport) -> None:
        facts = _facts(obs)
        family, title = _release_identity(obs, facts)
        at = (obs.created_at or self.now) if baseline else self.now
        release = self._linked_model_release(obs, at)  # a GitHub release / blog post of a model launch
        if release is None:
            release = self._release_for(family, obs.kind.value, at)
        created_release = release is None
        if release is None:
            release = Release(
                lab_id=self.lab.id,
                family=family,
                title=title,
                kind=obs.kind.value,
                url=obs.url,
                released_at=at,
                first_seen_at=self.now,
                baseline=baseline,
            )
            self.session.add(release)
            self.session.flush()
        elif baseline and at < release.released_at and release.kind == obs.kind.value:
            release.released_at = at  # baseline history: the earliest member dates the launch
        artifact = Artifact(
            source=obs.source.value,
            external_id=obs.external_id,
            kind=obs.kind.value,
            lab_id=self.lab.id,
            release_id=release.id,
            name=obs.name,
            org=obs.org,
            url=obs.url,
            created_at=obs.created_at,
            first_seen_at=self.now,
            baseline=baseline,
            version=obs.version,
            kinds=list(facts.kinds) if facts else [],
            size_label=facts.size_label if facts else None,
            params_total_b=facts.params_total_b if facts else None,
            params_active_b=facts.params_active_b if facts else None,
            quantization=facts.quantization if facts else None,
            attrs=dict(obs.attrs),
        )
        if facts is not None:  # name first, else safetensors.total read in the fetch stage
            artifact.params_total_b, params_source = lineage.params_from(facts, obs.attrs)
            if params_source:
                artifact.attrs = {**artifact.attrs, "params_source": params_source}
        self.session.add(artifact)
        self.session.flush()
        self.new_artifacts.append(artifact)
        report.new_artifacts += 1
        if created_release:
            report.new_releases += 1
        else:
            report.variants += 1
        if baseline:  # history (first listing of a scope, or an old paper found late): no event
            return
        event = EventType.RELEASE_DETECTED if created_release else EventType.VARIANT_ADDED
        lag_s = (self.now - obs.created_at).total_seconds() if obs.created_at else None
        silent = None  # issue 9: a quiet lab ships again -> how long it was silent (days)
        if created_release and release.kind == ArtifactKind.MODEL.value:
            silent = silent_for_days(self.session, lab_id=self.lab.id, release_id=release.id,
                                                    at=release.released_at,
                                                    rules=CadenceRules.from_settings(self.settings))
        self._add_event(event, release, artifact, _event_payload(self.lab, release, artifact,
                                                                 created_to_public_s=lag_s,
                                                                 silent_for_days=None if silent is None else round(silent, 1)))
        report.detections.append(
            Detection(event, self.lab.slug, release.id, release.title, artifact.name, artifact.url)
        )

    def update_seen(self, row: Artifact, obs: Observation) -> None:
        if _stable_attrs(row.attrs or {}) != _stable_attrs(obs.attrs):
            derived = {k: v for k, v in (row.attrs or {}).items() if k in lineage.DERIVED_ATTRS}
            row.attrs = {**dict(obs.attrs), **derived}

    def rename(self, row: Artifact, obs: Observation, report: PollReport) -> None:
        old_name, old_org = row.name, row.org
        row.name, row.org, row.url = obs.name, obs.org, obs.url
        if row.lab_id != self.lab.id:  # moved into an org of another watched lab
            row.lab_id = self.lab.id
        self.update_seen(row, obs)
        self._add_event(EventType.ARTIFACT_RENAMED, row.release, row,
                        {"old_name": old_name, "old_org": old_org, "name": obs.name, "org": obs.org})
        report.renamed += 1
        self.renamed_artifacts.append(row)

    def enrich(self) -> None:
        """Issue 6: lineage links, paper links, derivative/new_base and significance of touched releases."""
        if not (self.new_artifacts or self.renamed_artifacts):
            return
        self.session.flush()
        orgs = self.lab_cfg.hf_orgs
        touched = {a.release_id for a in self.new_artifacts}
        touched |= lineage.link_artifacts(self.session, self.new_artifacts, lab_orgs=orgs)
        touched |= lineage.resolve_pending(self.session, self.new_artifacts + self.renamed_artifacts, lab_orgs=orgs)
        paper_releases = papers.link_new_models(self.session, self.new_artifacts, lab_id=self.lab.id)
        paper_releases |= papers.link_new_papers(self.session, self.new_artifacts)
        paper_releases |= {a.release_id for a in self.new_artifacts if a.kind == ArtifactKind.PAPER.value}
        paper_releases |= significance.refresh_releases(self.session, touched, lab_id=self.lab.id, tier=self.lab_cfg.tier)
        significance.refresh_paper_scores(self.session, paper_releases, own_lab_id=self.lab.id, tier=self.lab_cfg.tier)

    def _history_flags(self, obs: Observation, baselined: set[str], lab_arxiv_scopes: set[str]) -> tuple[bool, bool]:
        """Return (first listing of its scope, old paper found late): either makes it history.

        A paper is "late" when first seen more than ``arxiv_backfill_days`` after its v1 was
        published (a query that drifted onto old work); Hub repos are never late: a repo created
        long ago that just became public is news.
        """
        if obs.scope is not None:  # the source names the scope (feeds, GitHub, daily papers)
            first = obs.scope.lower() not in baselined
        elif obs.source == SourceKind.ARXIV:
            first = not lab_arxiv_scopes <= baselined
        else:
            first = scope_of(obs.source, obs.org) not in baselined
        late = (obs.kind == ArtifactKind.PAPER and obs.created_at is not None
                and self.now - obs.created_at > timedelta(days=self.settings.arxiv_backfill_days))
        return first, late and not first

    def apply(self, result: SourceResult, report: PollReport) -> None:
        state = q.get_or_create_source_state(
            session=self.session, source=result.source.value, lab_slug=self.lab.slug
        )
        fingerprint = _fingerprint(result)
        snapshot_interval = snapshots.interval_s(self.settings)
        snapshot_due = snapshots.snapshot_due(state.cursor, now=self.now, interval=snapshot_interval)
        if fingerprint is not None and (state.cursor or {}).get("fingerprint") == fingerprint and not snapshot_due:
            # Steady state: the same complete listing as last time, so nothing can have changed.
            _record_health(state, result, self.now, fingerprint)
            report.complete_scopes = len(result.complete_scopes)
            return
        baselined = {s.lower() for s in (state.cursor or {}).get("baselined_scopes", [])}
        lab_arxiv_scopes = {f"arxiv:{query}".lower() for query in self.lab_cfg.arxiv_queries}
        known = _known_artifacts(self.session, result, self.lab.id)
        changes = diff(result, {k: v[0] for k, v in known.items()})
        # New artifacts in creation order, so baseline clusters and release titles are stable.
        new = sorted((c for c in changes if isinstance(c, New)),
                     key=lambda c: (c.observation.created_at or self.now, c.observation.name))
        _lock_families(self.session, self.lab.id, (c.observation for c in new))
        for change in new:
            obs = change.observation
            first_listing, late_paper = self._history_flags(obs, baselined, lab_arxiv_scopes)
            report.baseline = report.baseline or first_listing
            report.backfilled += int(late_paper)
            baseline = first_listing or late_paper
            if obs.kind != ArtifactKind.PAPER:
                self.add_new(obs, baseline=baseline, report=report)
                continue
            try:  # a paper can arrive through two units at once (arXiv and daily papers)
                with self.session.begin_nested():
                    self.add_new(obs, baseline=baseline, report=report)
            except IntegrityError:
                log.info("paper %s was stored concurrently by another unit; kept theirs", obs.external_id)
        for change in changes:
            if isinstance(change, New):
                continue
            if not isinstance(change, Withdrawn) and change.observation.source != result.source:
                continue  # a borrowed identity (daily papers -> arXiv) only adds; its owner keeps the facts
            row = known[change.known.external_id][1]
            if isinstance(change, Seen):
                self.update_seen(row, change.observation)
            elif isinstance(change, Renamed):
                self.rename(row, change.observation, report)
            elif isinstance(change, Restored):
                row.withdrawn_at = None
                row.name, row.org, row.url = change.observation.name, change.observation.org, change.observation.url
                self.update_seen(row, change.observation)
                self._add_event(EventType.ARTIFACT_RESTORED, row.release, row, {"name": row.name})
                report.restored += 1
            elif isinstance(change, Revised):
                old_version = row.version
                row.version, row.name = change.observation.version, change.observation.name
                self.update_seen(row, change.observation)
                self._add_event(EventType.PAPER_REVISED, row.release, row,
                                {"name": row.name, "old_version": old_version, "version": row.version})
                report.revised += 1
            elif isinstance(change, Withdrawn):
                row.withdrawn_at = self.now
                self._add_event(EventType.ARTIFACT_WITHDRAWN, row.release, row, {"name": row.name})
                report.withdrawn += 1
        self.enrich()
        if snapshot_due and result.complete_scopes:  # downloads/likes from this listing (issue 7)
            self.session.flush()
            snapshots.record_snapshots(session=self.session, source=result.source.value,
                                       observations=result.observations, now=self.now, interval=snapshot_interval)
            state.cursor = {**(state.cursor or {}), snapshots.CURSOR_KEY: self.now.isoformat()}
        _record_health(state, result, self.now, fingerprint)
        report.complete_scopes = len(result.complete_scopes)


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
    _Applier(session, settings, lab, now).apply(result, report)
    return report


def store_unit(settings: Settings, store: Store, lab: LabConfig, source: str, result: SourceResult,
               now: datetime) -> PollReport:
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
