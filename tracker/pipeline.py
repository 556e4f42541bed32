"""The unit of work: poll (source, lab) -> detect -> store releases and outbox events.

One source result is applied in one database transaction: releases, artifacts, outbox events
and the poll unit's health are committed together or not at all. A failing org or query never
stops the others: its failure is recorded and nothing is concluded from it.

Baseline: the first successful listing of a scope (``hf:<org>``, ``arxiv:<query>``) records what
already exists as history (``baseline=True``, ``released_at`` from createdAt/published) and
writes no events, so nothing is alerted. Everything that appears afterwards is a detection, dated
by the poll that first saw it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker import families, snapshots
from tracker import lineage, papers, significance  # issue 6: lineage, paper links, score
from tracker import cadence_alerts  # issue 9: silent_for_days in release_detected payloads
from tracker.config import Settings
from tracker.detect import New, Renamed, Restored, Revised, Seen, Withdrawn, diff, scope_of
from tracker.domain import (
    ArtifactKind,
    EventType,
    Observation,
    ScopeFailure,
    SourceKind,
    SourceResult,
    utcnow,
)
from tracker.errors import TrackerError
from tracker.http import HttpClient, make_client
from tracker.sources import DEFAULT_SOURCES
from tracker.sources import applies as source_applies
from tracker.sources import get_source
from tracker.store import Store
from tracker.store import queries as q
from tracker.store.models import Artifact, Event, Lab, Release, SourceState
from tracker.watchlist import LabConfig, Watchlist

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Detection:
    """One alert-worthy change, as printed by ``tracker poll``.

    Attributes:
        event (EventType): release_detected or variant_added.
        lab (str): lab slug. release_id (int). title (str): release title.
        artifact (str): the artifact's name (repo id or paper title). url (str): artifact URL.
    """

    event: EventType
    lab: str
    release_id: int
    title: str
    artifact: str
    url: str


@dataclass(slots=True)
class PollReport:
    """Outcome of one poll unit (one source for one lab).

    Attributes:
        status (str): ``ok`` (every scope listed), ``partial`` (some scopes failed) or ``failed``.
        baseline (bool): this poll recorded baseline history for at least one scope.
        counts: new artifacts, new releases, variants, renamed, withdrawn, restored, revised.
        detections (list[Detection]): alert-worthy changes (never baseline ones).
        failures (list[ScopeFailure]): scopes that failed and why.
        requests / not_modified (int): HTTP requests made and 304s among them.
        error (str, optional): why the whole unit failed, when it did.
        unreachable (dict): hosts this unit could not connect to, each with the original error
            (``{"huggingface.co": "network error: Connection refused"}``; see
            ``tracker.http.HttpClient.unreachable``); empty normally.
    """

    source: str
    lab: str
    baseline: bool = False
    new_artifacts: int = 0
    new_releases: int = 0
    variants: int = 0
    renamed: int = 0
    withdrawn: int = 0
    restored: int = 0
    revised: int = 0
    backfilled: int = 0  # papers first seen long after v1 (settings.arxiv_backfill_days): history, not alerts
    detections: list[Detection] = field(default_factory=list)
    failures: list[ScopeFailure] = field(default_factory=list)
    requests: int = 0
    not_modified: int = 0
    error: str | None = None
    complete_scopes: int = 0
    unreachable: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        if self.error is not None or (self.failures and not self.complete_scopes):
            return "failed"
        return "partial" if self.failures else "ok"


def model_facts(name: str, attrs: Mapping[str, Any]) -> families.NameFacts:
    """Name/tag facts of a Hub model repo (``"Qwen/Qwen3-8B-FP8"``; ``attrs`` = listing tags, pipeline_tag).

    The one grouping entry point shared by the pipeline and ``tracker.regroup``.
    """
    return families.classify(name.split("/", 1)[-1], attrs.get("tags") or (), attrs.get("pipeline_tag"))


def model_release_key(facts: families.NameFacts) -> tuple[str, str]:
    """(family match key, display title) of the release a model artifact belongs to."""
    return facts.release_match_key, facts.release_key


def in_family_window(released_at: datetime, at: datetime, window: timedelta) -> bool:
    """True when an artifact seen at ``at`` joins a release of its family dated ``released_at``."""
    return at - window <= released_at <= at + window


def _facts(obs: Observation) -> families.NameFacts | None:
    if obs.kind != ArtifactKind.MODEL:
        return None
    return model_facts(obs.name, obs.attrs)


_TITLE_SPLIT = re.compile(r"\s*[:|\u2013\u2014]\s*|\s+-\s+")


def _hint_keys(obs: Observation) -> list[str]:
    """Family match keys named by a code/post artifact (issue 8): ``"Qwen3: Think Deeper"`` -> qwen3.

    Reads ``attrs["family_hints"]`` (a GitHub release title and repo name, a blog title; else the
    name); each title segment (split on ``:``, ``|``, dashes) and each word with letters and a
    digit is read as a repo name by ``families.classify``. Keys are in hint order, deduplicated.
    """
    keys: dict[str, None] = {}
    for hint in obs.attrs.get("family_hints") or [obs.name]:
        if not isinstance(hint, str):
            continue
        for segment in _TITLE_SPLIT.split(hint):
            words = segment.split()
            for cand in ([segment] if len(words) == 1 else []) + [w.strip(".,!?;()[]\"'") for w in words]:
                if sum(c.isalpha() for c in cand) >= 2 and any(c.isdigit() for c in cand):
                    keys.setdefault(families.classify(cand).release_match_key, None)
    return list(keys)


def _release_identity(obs: Observation, facts: families.NameFacts | None) -> tuple[str, str]:
    """Return (family match key, display title) of the release an observation belongs to."""
    if facts is None and obs.kind in (ArtifactKind.CODE, ArtifactKind.POST):
        hints = _hint_keys(obs)  # a post/code release of its own, grouped by the family it names
        return (hints[0] if hints else f"{obs.source.value}:{obs.external_id}"), obs.name
    if facts is None:  # papers: one release per paper
        return f"arxiv:{obs.external_id}", obs.name
    return model_release_key(facts)


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
            silent = cadence_alerts.silent_for_days(self.session, lab_id=self.lab.id, release_id=release.id,
                                                    at=release.released_at,
                                                    rules=cadence_alerts.CadenceRules.from_settings(self.settings))
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


#: Listing fields that change all the time without meaning anything for detection.
VOLATILE_ATTRS = frozenset({"downloads", "likes", "trendingScore", "trending_score"})


def _stable_attrs(attrs: Any) -> dict[str, Any]:
    return {k: v for k, v in dict(attrs).items() if k not in VOLATILE_ATTRS and k not in lineage.DERIVED_ATTRS}


def _fingerprint(result: SourceResult) -> str | None:
    """Hash of everything detection looks at in a fully successful result (None otherwise)."""
    if result.failures or result.not_modified_scopes:  # a 304 scope has no observations to hash
        return None
    digest = hashlib.sha256()
    digest.update(json.dumps(sorted(s.lower() for s in result.complete_scopes)).encode())
    for obs in sorted(result.observations, key=lambda o: o.external_id):
        digest.update(json.dumps([obs.external_id, obs.name, obs.org, obs.version, obs.url,
                                  _stable_attrs(obs.attrs)], sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _record_health(state: Any, result: SourceResult, now: datetime, fingerprint: str | None) -> None:
    state.last_polled_at = now
    if result.complete_scopes or result.not_modified_scopes:
        state.last_success_at = now
    if result.failures:
        state.last_error_at = now
        state.last_error = "; ".join(f"{f.scope}: {f.error}" for f in result.failures)
        state.consecutive_failures = (state.consecutive_failures or 0) + 1
    else:
        state.last_error = None
        state.consecutive_failures = 0
    cursor = dict(state.cursor or {})
    baselined = set(cursor.get("baselined_scopes", []))
    baselined.update(s.lower() for s in result.complete_scopes)
    cursor["baselined_scopes"] = sorted(baselined)
    if result.validators is not None:  # ETag / Last-Modified per URL for conditional requests
        cursor["validators"] = result.validators
    if fingerprint is None:
        cursor.pop("fingerprint", None)
    else:
        cursor["fingerprint"] = fingerprint
    state.cursor = cursor  # reassign: JSON columns do not track in-place mutation
    if state.baseline_at is None and result.complete_scopes:
        state.baseline_at = now


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


async def fetch_unit(client: HttpClient, settings: Settings, lab: LabConfig, source: str,
                     validators: Mapping[str, Mapping[str, str]] | None = None) -> SourceResult | PollReport:
    """Fetch one source for one lab; an expected failure comes back as a failed PollReport.

    ``validators`` (the unit's ``cursor["validators"]``) make the source's conditional requests
    send ``If-None-Match``/``If-Modified-Since``; the validators to keep come back in
    ``SourceResult.validators``.
    """
    try:
        with client.conditional(validators) as conditional:
            result = await get_source(source).poll(client, settings, lab)
    except TrackerError as exc:
        return PollReport(source=source, lab=lab.slug, error=str(exc))
    if result.validators is None and conditional.seen:
        result.validators = dict(conditional.seen)
    return result


def _unit_validators(store: Store) -> dict[tuple[str, str], tuple[int, dict[str, Any]]]:
    """Every poll unit's state id and stored conditional-request validators, by (source, lab)."""
    with store.transaction() as session:
        return {(state.source, state.lab_slug): (state.id, dict((state.cursor or {}).get("validators") or {}))
                for state in q.list_source_states(session=session)}


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


def poll_units_for(watchlist: Watchlist, *, sources: Sequence[str] | None = None,
                   labs: Sequence[str] | None = None,
                   enabled: Sequence[str] | None = None) -> list[tuple[str, LabConfig]]:
    """Return the (source, lab) units to poll: every lab with something to poll for each source.

    Args:
        watchlist (Watchlist): the labs.
        sources (Sequence[str], optional): explicit slugs (``--source``); any registered source.
        labs (Sequence[str], optional): lab slugs; None means every lab.
        enabled (Sequence[str], optional): the default set when ``sources`` is None
            (``settings.enabled_sources``); None means ``DEFAULT_SOURCES``.

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
) -> list[PollReport]:
    """Poll every unit concurrently: at most ``settings.http_concurrency`` fetches in flight,
    each result stored in its own transaction as soon as it arrives (overlapping later fetches).

    Args:
        on_report (callable, optional): called with each unit's report as soon as that unit is
            done (stored or failed), on the event loop; ``tracker poll`` shows progress with it.

    Returns:
        list[PollReport]: one report per unit, in the order given.
    """
    units = list(units)
    # Lab rows first, in one transaction, so concurrent units never race to insert the same lab;
    # and every unit's last listing fingerprint, so unchanged listings skip their own transaction.
    fingerprints = await asyncio.to_thread(_prepare_cycle, store, units, clock(), snapshots.interval_s(settings))
    stored = await asyncio.to_thread(_unit_validators, store)  # issue 8: conditional requests
    sem = asyncio.Semaphore(settings.http_concurrency)
    # Storing overlaps with fetching but is never concurrent on SQLite (one writer at a time).
    writers = 1 if store.engine.dialect.name == "sqlite" else 4
    loop = asyncio.get_running_loop()
    unchanged: list[int] = []

    async def one(c: HttpClient, source: str, lab: LabConfig) -> PollReport:
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
        if known_state is not None and fetched.all_not_modified:  # every scope answered 304: nothing to parse or store
            unchanged.append(known_state)
            return PollReport(source=source, lab=lab.slug, requests=fetched.requests,
                              not_modified=fetched.not_modified)
        if (fingerprint is not None and _fingerprint(fetched) == fingerprint
                and fetched.validators in (None, validators)):  # new ETags must be stored
            unchanged.append(state_id)
            return PollReport(source=source, lab=lab.slug, requests=fetched.requests,
                              not_modified=fetched.not_modified,
                              complete_scopes=len(fetched.complete_scopes))
        async with sem:  # issue 6: one model-info request per new repo without a size in its name
            fetched = await lineage.add_model_info_params(c, settings, store, lab, fetched)
        return await loop.run_in_executor(executor, store_unit, settings, store, lab, source, fetched, clock())

    with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="tracker-store") as executor:
        if client is not None:
            reports = list(await asyncio.gather(*(one(client, s, lab) for s, lab in units)))
        else:
            async with make_client(settings) as own:
                reports = list(await asyncio.gather(*(one(own, s, lab) for s, lab in units)))
    if unchanged:
        await asyncio.to_thread(_record_unchanged, store, unchanged, clock())
    return reports


def _prepare_cycle(store: Store, units: list[tuple[str, LabConfig]], now: datetime,
                   snapshot_interval: float) -> dict[tuple[str, str], tuple[int, str]]:
    with store.transaction() as session:
        q.sync_labs(session=session, labs={lab.slug: lab for _, lab in units}.values())
        return {
            (state.source, state.lab_slug): (state.id, state.cursor["fingerprint"])
            for state in q.list_source_states(session=session)
            if (state.cursor or {}).get("fingerprint")
            # a unit due for a download snapshot takes the full path (tracker.snapshots)
            and not snapshots.snapshot_due(state.cursor, now=now, interval=snapshot_interval)
        }


def _record_unchanged(store: Store, state_ids: list[int], now: datetime) -> None:
    """Record a successful poll for units whose listing did not change, in one statement.

    A unit whose fingerprint matched had no failures and the same complete scopes as last time,
    so only its health moves; batching those writes loses nothing.
    """
    with store.transaction() as session:
        session.execute(
            update(SourceState),
            [{"id": i, "last_polled_at": now, "last_success_at": now, "last_error": None,
              "consecutive_failures": 0} for i in state_ids],
        )


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

    ``on_report`` is called with each unit's report as it finishes (see ``poll_cycle``).

    Raises:
        ConfigError: unknown source or lab.
    """
    units = poll_units_for(watchlist, sources=sources, labs=labs, enabled=settings.enabled_sources)
    return asyncio.run(poll_cycle(settings, store, units, clock=clock, on_report=on_report))
