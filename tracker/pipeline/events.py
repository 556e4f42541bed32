"""The outbox events one poll unit writes, and their payloads: the one place their shapes are built.

Events are added in the unit's transaction with ``created_at`` = the poll time, so an event
exists exactly when the change it describes was committed; the dispatcher
(``tracker.outbox.dispatch``) turns them into deliveries later. Payloads are JSON:

* ``release_detected`` / ``variant_added``: the lab (slug, name, country), the release (id,
  title, kind), the artifact (source, external id, name, URL, variant facts), then
  ``created_to_public_s`` (seconds from the source's creation time to detection, None when
  unknown) and ``silent_for_days`` (how long a quiet lab had been silent, None when it was not).
* ``artifact_renamed``: ``old_name``, ``old_org``, ``name``, ``org``.
* ``artifact_restored`` / ``artifact_withdrawn``: ``name``.
* ``paper_revised``: ``name``, ``old_version``, ``version``.
* ``org_move`` (no release): ``org``, ``count``, ``repos`` (the first 20 repo ids), ``from_orgs``
  (the orgs they came from when known, else empty); one per destination org and UTC day
  (``dedupe_key`` ``org_move:<org>:<date>``): later moves that day are merged into it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.domain import EventType
from tracker.store.models import Artifact, Event, Lab, Release


def detection_payload(
    lab: Lab, release: Release, artifact: Artifact, *, created_to_public_s: float | None, silent_for_days: float | None
) -> dict[str, Any]:
    """The payload of ``release_detected`` and ``variant_added`` (see the module docstring)."""
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
        "created_to_public_s": created_to_public_s,
        "silent_for_days": silent_for_days,
    }


class EventWriter:
    """Adds one poll unit's outbox events to its session.

    Args:
        session (Session): the unit's session, inside its transaction (never committed here).
        lab (Lab): the polled lab's row. now (datetime): the poll time (UTC), each event's ``created_at``.
    """

    def __init__(self, session: Session, lab: Lab, now: datetime):
        self.session = session
        self.lab = lab
        self.now = now

    def _add(
        self, type_: EventType, release: Release | None, artifact: Artifact | None, payload: dict[str, Any]
    ) -> None:
        self.session.add(
            Event(
                type=type_.value,
                release_id=release.id if release else None,
                artifact_id=artifact.id if artifact else None,
                payload=payload,
                created_at=self.now,
            )
        )

    def detected(
        self,
        release: Release,
        artifact: Artifact,
        *,
        new_release: bool,
        created_to_public_s: float | None,
        silent_for_days: float | None,
    ) -> EventType:
        """A new artifact that started a release (``release_detected``) or joined one (``variant_added``).

        Returns:
            EventType: the type written.
        """
        type_ = EventType.RELEASE_DETECTED if new_release else EventType.VARIANT_ADDED
        self._add(
            type_,
            release,
            artifact,
            detection_payload(
                self.lab, release, artifact, created_to_public_s=created_to_public_s, silent_for_days=silent_for_days
            ),
        )
        return type_

    def renamed(self, row: Artifact, *, old_name: str, old_org: str | None) -> None:
        """``row`` (already renamed) was listed under a new name or org with the same stable id."""
        self._add(
            EventType.ARTIFACT_RENAMED,
            row.release,
            row,
            {"old_name": old_name, "old_org": old_org, "name": row.name, "org": row.org},
        )

    def restored(self, row: Artifact) -> None:
        """``row`` was withdrawn and is listed again."""
        self._add(EventType.ARTIFACT_RESTORED, row.release, row, {"name": row.name})

    def revised(self, row: Artifact, *, old_version: int | None) -> None:
        """``row`` (a paper, already updated) has a new arXiv version."""
        self._add(
            EventType.PAPER_REVISED,
            row.release,
            row,
            {"name": row.name, "old_version": old_version, "version": row.version},
        )

    def org_moved(self, org: str, repos: list[str], from_orgs: list[str]) -> None:
        """Repos ``repos`` (repo ids) moved into watched org ``org``: one notice per org and day."""
        key = f"org_move:{org}:{self.now.date().isoformat()}"
        event = self.session.scalars(select(Event).where(Event.dedupe_key == key)).first()
        if event is None:
            event = Event(type=EventType.ORG_MOVE.value, payload={}, created_at=self.now, dedupe_key=key)
            self.session.add(event)
        before = event.payload or {}
        names = list(dict.fromkeys([*(before.get("repos") or []), *repos]))
        count = int(before.get("count") or 0) + len([r for r in repos if r not in (before.get("repos") or [])])
        event.payload = {
            "org": org,
            "count": count,
            "repos": names[:20],
            "from_orgs": list(dict.fromkeys([*(before.get("from_orgs") or []), *from_orgs])),
        }

    def withdrawn(self, row: Artifact) -> None:
        """``row`` vanished from a complete listing of its scope."""
        self._add(EventType.ARTIFACT_WITHDRAWN, row.release, row, {"name": row.name})
