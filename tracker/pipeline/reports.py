"""A launch's technical report joins its launch: one top-level alert per launch, reports as follow-ups.

Runs after the grouping post-pass has linked this poll's papers and repos
(``tracker.grouping.papers``), inside the unit's transaction. Which launch a paper belongs to is
``tracker.grouping.reports``; this module applies it and writes the outbox events:

* **report after its launch** (a new paper whose launch is stored): the paper's release gets
  ``merged_into_id = launch.id``; its ``release_detected`` is cancelled in the same transaction
  (never sent), and a ``paper_linked`` event on the launch asks the channels to edit the launch's
  alert and reply in its thread. When the launch's own alert has not gone out yet, nothing more
  is written: that alert is built from the database and already cites the paper.
* **paper with no launch yet**: its ``release_detected`` is held ``papers.hold_s`` seconds
  (``not_before``), so that weights arriving meanwhile absorb it.
* **weights for a stored paper**: a held, unsent paper alert is cancelled (one post for both);
  an alert already sent gets a ``launch_linked`` event (one reply in the paper's thread); either
  way the paper's release is merged into the launch, so history lists the launch once.
* **paper-only releases** (no launch in the window) stay top-level alerts, only later by the hold.

Baseline history (no events) is merged the same way, silently.

Event payloads (consumed by ``tracker.outbox`` / ``tracker.notify``):

* ``paper_linked`` (release_id = the launch): ``{"paper_release_id", "arxiv_id", "title", "url",
  "published_at" (ISO-8601 UTC), "after_launch_s" (int, seconds from the launch's first public
  moment to the paper's v1, 0 when the paper came first)}``.
* ``launch_linked`` (release_id = the paper's release): ``{"launch_release_id", "title", "url"}``
  (the launch's title and URL).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.config import Settings
from tracker.domain import ArtifactKind, EventType, SourceKind, as_utc
from tracker.grouping.reports import LaunchWindow, launch_for_paper, launches_with_papers, reports_of_launch
from tracker.store.models import Artifact, Event, Release

__all__ = ["join_reports"]


def _detected_event(session: Session, release_id: int) -> Event | None:
    """The newest ``release_detected`` event of a release (it has at most one), or None."""
    return session.scalars(
        select(Event)
        .where(Event.release_id == release_id, Event.type == EventType.RELEASE_DETECTED.value)
        .order_by(Event.id.desc())
        .limit(1)
    ).one_or_none()


def _pending(event: Event | None) -> bool:
    return event is not None and event.dispatched_at is None and event.cancelled_at is None


def _cancel(event: Event, now: datetime) -> None:
    """Undo an unsent event: cancelled and marked dispatched, so no dispatcher ever sends it."""
    event.cancelled_at = now
    event.dispatched_at = now


class _Joiner:
    def __init__(self, session: Session, settings: Settings, now: datetime):
        self.session = session
        self.now = now
        self.window = LaunchWindow(settings.papers.launch_before_days, settings.papers.launch_after_days)
        self.hold = timedelta(seconds=settings.papers.hold_s)

    def _event(self, type_: EventType, release: Release, artifact: Artifact | None, payload: dict[str, Any]) -> None:
        self.session.add(
            Event(
                type=type_.value,
                release_id=release.id,
                artifact_id=artifact.id if artifact else None,
                payload=payload,
                created_at=self.now,
            )
        )

    def new_paper(self, paper: Artifact) -> None:
        """A paper stored by this poll: join its launch, or (live, alone) hold its alert."""
        release = paper.release
        if release.kind != ArtifactKind.PAPER.value or release.merged_into_id is not None:
            return
        found = launch_for_paper(self.session, paper, self.window)
        event = _detected_event(self.session, release.id)
        if found is None:
            if _pending(event) and self.hold > timedelta(0):
                event.not_before = self.now + self.hold
            return
        launch, _via = found
        release.merged_into_id = launch.id
        if not _pending(event):
            return  # history, or an alert already out: nothing to undo
        _cancel(event, self.now)
        if _pending(_detected_event(self.session, launch.id)):
            return  # the launch's alert is still to be sent and will cite the paper
        after = int((as_utc(paper.created_at or self.now) - as_utc(launch.released_at)).total_seconds())
        self._event(
            EventType.PAPER_LINKED,
            launch,
            paper,
            {
                "paper_release_id": release.id,
                "arxiv_id": paper.external_id,
                "title": paper.name,
                "url": paper.url,
                "published_at": as_utc(paper.created_at).isoformat() if paper.created_at else None,
                "after_launch_s": max(0, after),
            },
        )

    def new_weights(self, launch: Release) -> None:
        """Weights stored by this poll: the launch absorbs its held reports or links the announced ones."""
        for paper, _via in reports_of_launch(self.session, launch, self.window):
            release = paper.release
            release.merged_into_id = launch.id
            event = _detected_event(self.session, release.id)
            if _pending(event):
                _cancel(event, self.now)  # the paper waited out no hold yet: one post for both
            elif event is not None and event.cancelled_at is None and not launch.baseline:
                self._event(
                    EventType.LAUNCH_LINKED,
                    release,
                    paper,
                    {"launch_release_id": launch.id, "title": launch.title, "url": launch.url},
                )


def _releases_by_id(session: Session, ids: set[int]) -> dict[int, Release]:
    ordered = sorted(ids)
    out: dict[int, Release] = {}
    for start in range(0, len(ordered), 500):
        out.update(
            (r.id, r) for r in session.scalars(select(Release).where(Release.id.in_(ordered[start : start + 500])))
        )
    return out


def join_reports(session: Session, settings: Settings, stored: Sequence[Artifact], now: datetime) -> set[int]:
    """Join this poll's new papers and new weights with each other (rules in the module docstring).

    Args:
        session: the unit's session, after the grouping post-pass linked papers and releases.
        settings: ``settings.papers`` (launch window, hold).
        stored: the artifacts this poll stored, in order.
        now: the poll time (UTC).

    Returns:
        set[int]: ids of this poll's paper releases whose alert was cancelled (they joined a launch).
    """
    if not stored:
        return set()
    session.flush()
    joiner = _Joiner(session, settings, now)
    for artifact in stored:
        if artifact.kind == ArtifactKind.PAPER.value and artifact.source == SourceKind.ARXIV.value:
            joiner.new_paper(artifact)
    releases = _releases_by_id(session, {a.release_id for a in stored})  # one query, not a lazy load per artifact
    joined = {i for i, r in releases.items() if r is not None and r.merged_into_id is not None}
    launches: dict[int, Release] = {}
    for artifact in stored:
        if artifact.kind != ArtifactKind.MODEL.value:
            continue
        release = releases[artifact.release_id]
        if release.family_release_id is not None:
            release = session.get(Release, release.family_release_id) or release
        if release.kind == ArtifactKind.MODEL.value and release.merged_into_id is None:
            launches.setdefault(release.id, release)
    linked = launches_with_papers(session, list(launches))  # the others have no report to absorb
    for launch in launches.values():
        if launch.id in linked:
            joiner.new_weights(launch)
    session.flush()
    return joined
