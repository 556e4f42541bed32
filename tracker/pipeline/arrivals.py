"""Store new artifacts: grouping decides their release, then their rows and detection events are written.

The release an artifact joins is decided by ``tracker.grouping.membership.decide`` (the same
rules ``tracker regroup`` replays); this module only looks up the candidate release in the store,
writes the ``Release`` (when the artifact starts one) and ``Artifact`` rows, and for a live
detection the ``release_detected`` / ``variant_added`` event with its cadence fact (how long a
quiet lab had been silent), once the unit's repos are all stored so its title is the launch's.
Baseline history writes rows and no event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from tracker.analytics.status import CadenceRules, silent_for_days
from tracker.config import Settings
from tracker.domain import ArtifactKind, Observation, ReleasedAtSource
from tracker.grouping.families import NameFacts
from tracker.grouping.lineage import params_from
from tracker.grouping.membership import Decision, decide, grouping_time, identity_of, observation_facts
from tracker.pipeline import launches
from tracker.pipeline.events import EventWriter
from tracker.pipeline.report import Detection, PollReport
from tracker.store import queries as q
from tracker.store.models import Artifact, Lab, Release


def lock_families(session: Session, lab_id: int, observations: Iterable[Observation]) -> None:
    """PostgreSQL: serialise release creation per (lab, model family) until commit.

    The Hub and ModelScope units of one lab can see the same launch in one cycle and store
    concurrently; without this both could create the family's release. Keys are taken in sorted
    order, so two units never wait on each other in a cycle. SQLite has one writer anyway.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    models = (o for o in observations if o.kind == ArtifactKind.MODEL)
    families = sorted({identity_of(o, observation_facts(o)).family for o in models})
    keys = [
        int.from_bytes(hashlib.sha256(f"release:{lab_id}:{family}".encode()).digest()[:8], "big", signed=True)
        for family in families
    ]
    if keys:  # one statement: unnest yields the keys in array order, so they are taken in that order
        stmt = text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k")
        session.execute(stmt, {"keys": keys})


def release_row(
    obs: Observation, decision: Decision[Release], *, lab_id: int, now: datetime, baseline: bool
) -> Release:
    """The ``Release`` an artifact starts: the decision's family key and title, dated by its grouping time."""
    return Release(**release_values(obs, decision, lab_id=lab_id, now=now, baseline=baseline))


def release_values(
    obs: Observation, decision: Decision[Any], *, lab_id: int, now: datetime, baseline: bool
) -> dict[str, Any]:
    """The column values of :func:`release_row` (the bulk baseline inserts them as they are)."""
    return {
        "lab_id": lab_id,
        "family": decision.identity.family,
        "title": decision.identity.title,
        "kind": obs.kind.value,
        "url": obs.url,
        "released_at": decision.at,
        "first_seen_at": now,
        "baseline": baseline,
        "released_at_source": released_at_source(obs, baseline=baseline).value,
        "attrs": {},
    }


def released_at_source(obs: Observation, *, baseline: bool) -> ReleasedAtSource:
    """What a new release's date rests on: the poll for a live detection; for history the
    source's date (a paper's publication, a repo's creation), or unknown when it gives none."""
    if not baseline:
        return ReleasedAtSource.FIRST_SEEN
    if obs.created_at is None:
        return ReleasedAtSource.UNKNOWN
    return ReleasedAtSource.PUBLISHED if obs.kind == ArtifactKind.PAPER else ReleasedAtSource.CREATED_AT


def artifact_row(
    obs: Observation, facts: NameFacts | None, *, lab_id: int, release_id: int, now: datetime, baseline: bool
) -> Artifact:
    """The ``Artifact`` row of a new observation (see :func:`artifact_values`)."""
    return Artifact(**artifact_values(obs, facts, lab_id=lab_id, release_id=release_id, now=now, baseline=baseline))


def artifact_values(
    obs: Observation, facts: NameFacts | None, *, lab_id: int, release_id: int | None, now: datetime, baseline: bool
) -> dict[str, Any]:
    """The column values of a new observation's ``Artifact``, with its variant facts (models only).

    The total parameter count comes from the name, else from the Hub's safetensors total read in
    the fetch stage; where it came from is kept as ``attrs["params_source"]``.
    """
    values: dict[str, Any] = {
        "source": obs.source.value,
        "external_id": obs.external_id,
        "kind": obs.kind.value,
        "lab_id": lab_id,
        "release_id": release_id,
        "name": obs.name,
        "org": obs.org,
        "url": obs.url,
        "created_at": obs.created_at,
        "first_seen_at": now,
        "baseline": baseline,
        "version": obs.version,
        "kinds": list(facts.kinds) if facts else [],
        "size_label": facts.size_label if facts else None,
        "params_total_b": facts.params_total_b if facts else None,
        "params_active_b": facts.params_active_b if facts else None,
        "quantization": facts.quantization if facts else None,
        "attrs": dict(obs.attrs),
    }
    if facts is not None:  # name first, else safetensors.total read in the fetch stage
        values["params_total_b"], params_source = params_from(facts, obs.attrs)
        if params_source:
            values["attrs"] = {**values["attrs"], "params_source": params_source}
    return values


@dataclass(frozen=True, slots=True)
class _Held:
    """A live detection stored but not yet announced (its facts as of its arrival)."""

    release: Release
    artifact: Artifact
    new_release: bool
    created_to_public_s: float | None
    silent_for_days: float | None


class NewArtifacts:
    """Stores one poll unit's new artifacts (see the module docstring) and remembers them.

    Args:
        session (Session): the unit's session, inside its transaction.
        settings (Settings): the family window and the cadence thresholds.
        lab (Lab): the polled lab's row. events (EventWriter): the unit's event writer.
        now (datetime): the poll time (UTC): live detections are dated by it.

    Attributes:
        stored (list[Artifact]): the artifacts stored so far, in order (for the grouping post-pass).

    A live detection's event is held until :meth:`announce`: a launch's title is settled over
    all the repos the unit stores (a later repo can shorten it), and the alert must carry that
    title, not the one its first repo alone gave.
    """

    def __init__(self, session: Session, settings: Settings, lab: Lab, events: EventWriter, now: datetime):
        self.session = session
        self.lab = lab
        self.events = events
        self.now = now
        self.window = timedelta(days=settings.polling.family_window_days)
        self.wave_gap = timedelta(hours=settings.grouping.wave_gap_hours)
        self.launch_window = timedelta(hours=settings.grouping.launch_window_hours)
        self.cadence = CadenceRules.from_settings(settings)
        self.stored: list[Artifact] = []
        self._held: list[_Held] = []
        # Launches whose title and sizes are refreshed once, before ``announce`` writes the
        # events: refreshing on every member re-reads all of them (quadratic: a first listing of
        # 1,000 repos of one family held the write lock ~50 s). Nothing before then reads those
        # fields, except a wave's origin title (``_settle`` refreshes that one first).
        self._stale: dict[int, tuple[Release, str | None]] = {}

    def _find_release(self, family: str, kind: str, since: datetime) -> Release | None:
        return q.find_recent_release(session=self.session, lab_id=self.lab.id, family=family, kind=kind, since=since)

    def add(self, obs: Observation, *, baseline: bool, report: PollReport, reasons: Sequence[str] = ()) -> None:
        """Store one new observation; a live one's detection event is held for :meth:`announce`.

        Args:
            obs: a ``New`` change's observation.
            baseline: history (first listing of its scope, or an old paper found late): no event.
            report: counts new artifacts, new releases and variants.
            reasons: extra signals recorded in ``attrs["grouped_by"]`` (why a moved repo is history).
        """
        facts = observation_facts(obs)
        at = grouping_time(baseline=baseline, created_at=obs.created_at, seen_at=self.now)
        decision = decide(
            identity_of(obs, facts),
            at=at,
            baseline=baseline,
            window=self.window,
            find=self._find_release,
            wave_gap=self.wave_gap,
            siblings=lambda: launches.siblings(
                self.session, lab_id=self.lab.id, obs=obs, at=at, window=self.launch_window
            ),
        )
        release = decision.release
        family_title = None
        if release is None:
            release = release_row(obs, decision, lab_id=self.lab.id, now=self.now, baseline=baseline)
            wave_of = decision.wave_of and launches.wave_origin(self.session, decision.wave_of, obs, at)
            if wave_of is not None:
                self._settle(wave_of)
                release.family_release_id = launches.first_of_family(wave_of)
                family_title = wave_of.title
            self.session.add(release)
            self.session.flush()
        elif decision.redate:
            release.released_at = at  # baseline history: the earliest member dates the launch
        artifact = artifact_row(obs, facts, lab_id=self.lab.id, release_id=release.id, now=self.now, baseline=baseline)
        self.session.add(artifact)
        self.session.flush()
        self.stored.append(artifact)
        if facts is not None:
            launches.record_reason(release, obs.name, [*decision.signals, *reasons])
            _, pending_title = self._stale.get(release.id, (release, None))
            self._stale[release.id] = (release, family_title or pending_title)
        report.new_artifacts += 1
        if decision.starts_release:
            report.new_releases += 1
        else:
            report.variants += 1
        if baseline:
            return
        self._held.append(
            _Held(
                release,
                artifact,
                decision.starts_release,
                self._lag_s(obs),
                self._silence(release, decision.starts_release),
            )
        )

    def _settle(self, release: Release) -> None:
        """Refresh ``release``'s title and sizes now when an arrival left them stale."""
        stale = self._stale.pop(release.id, None)
        if stale is not None:
            launches.refresh_launch(self.session, release, stale[1])

    def announce(self, report: PollReport) -> None:
        """Refresh the unit's launches once each, then write the held detection events, in arrival
        order, and their ``Detection``s in ``report``.

        Called once every new artifact of the unit is stored, so each payload's ``title`` is its
        release's title over all its members (``launches.refresh_launch``), and before anything
        that reads the unit's events (``pipeline.reports`` cancels a joined report's alert).
        """
        for release_id in list(self._stale):
            self._settle(self._stale[release_id][0])
        held, self._held = self._held, []
        for h in held:
            event = self.events.detected(
                h.release,
                h.artifact,
                new_release=h.new_release,
                created_to_public_s=h.created_to_public_s,
                silent_for_days=h.silent_for_days,
            )
            report.detections.append(
                Detection(event, self.lab.slug, h.release.id, h.release.title, h.artifact.name, h.artifact.url)
            )

    def _lag_s(self, obs: Observation) -> float | None:
        """Seconds from the source's creation time to this detection (None when unknown)."""
        return (self.now - obs.created_at).total_seconds() if obs.created_at else None

    def _silence(self, release: Release, new_release: bool) -> float | None:
        """For a new model release of a quiet lab, the days it had been silent (one decimal); else None."""
        if not (new_release and release.kind == ArtifactKind.MODEL.value):
            return None
        silent = silent_for_days(
            self.session, lab_id=self.lab.id, release_id=release.id, at=release.released_at, rules=self.cadence
        )
        return None if silent is None else round(silent, 1)
