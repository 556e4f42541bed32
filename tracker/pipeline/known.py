"""Apply the detected changes of known artifacts to their stored rows, with their outbox events.

Seen (listing facts refreshed), renamed (new name/org, same stable id: never a release),
restored (listed again after a withdrawal), revised (a new arXiv version) and withdrawn
(missing from a complete listing). New artifacts are stored by ``tracker.pipeline.arrivals``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from tracker.domain import Observation, SourceKind
from tracker.grouping.lineage import DERIVED_ATTRS
from tracker.pipeline.detect import Change, New, Renamed, Restored, Revised, Seen, Withdrawn
from tracker.pipeline.events import EventWriter
from tracker.pipeline.health import stable_attrs
from tracker.pipeline.report import PollReport
from tracker.store.models import Artifact


def refresh_attrs(row: Artifact, obs: Observation) -> None:
    """Take the listing's attrs when something other than volatile counters changed.

    Keys tracker derived itself (``DERIVED_ATTRS``: the parameter source, the Hub's
    safetensors total) are not in the listing, so they are kept.
    """
    if stable_attrs(row.attrs or {}) != stable_attrs(obs.attrs):
        derived = {k: v for k, v in (row.attrs or {}).items() if k in DERIVED_ATTRS}
        row.attrs = {**dict(obs.attrs), **derived}


def rename(row: Artifact, obs: Observation, *, lab_id: int, events: EventWriter) -> None:
    """Rename ``row`` to the observation's name/org/URL; a repo moved into an org of another watched
    lab moves to the polled lab (``lab_id``)."""
    old_name, old_org = row.name, row.org
    row.name, row.org, row.url = obs.name, obs.org, obs.url
    if row.lab_id != lab_id:  # moved into an org of another watched lab
        row.lab_id = lab_id
    refresh_attrs(row, obs)
    events.renamed(row, old_name=old_name, old_org=old_org)


def restore(row: Artifact, obs: Observation, *, events: EventWriter) -> None:
    """Clear ``row``'s withdrawal and take the observation's name, org and URL."""
    row.withdrawn_at = None
    row.name, row.org, row.url = obs.name, obs.org, obs.url
    refresh_attrs(row, obs)
    events.restored(row)


def revise(row: Artifact, obs: Observation, *, events: EventWriter) -> None:
    """Take a paper's new version (a new version may also retitle it)."""
    old_version = row.version
    row.version, row.name = obs.version, obs.name
    refresh_attrs(row, obs)
    events.revised(row, old_version=old_version)


def apply_known_changes(
    changes: Iterable[Change],
    rows: Mapping[str, Artifact],
    *,
    source: SourceKind,
    lab_id: int,
    events: EventWriter,
    report: PollReport,
    now: datetime,
) -> list[Artifact]:
    """Apply every change of a known artifact; ``New`` changes are skipped.

    A change observed through a borrowed identity (daily papers list arXiv papers) only adds: the
    identity's owner keeps the facts, so only withdrawals are applied for other sources.

    Args:
        changes: from ``detect.diff``. rows: stored artifact rows by external id.
        source: the polled source. lab_id: the polled lab's id.
        events: the unit's event writer. report: counts renamed/restored/revised/withdrawn.
        now: the poll time (UTC), a withdrawal's ``withdrawn_at``.

    Returns:
        list[Artifact]: the renamed rows (lineage links may name their new names).
    """
    renamed: list[Artifact] = []
    for change in changes:
        if isinstance(change, New):
            continue
        if not isinstance(change, Withdrawn) and change.observation.source != source:
            continue  # a borrowed identity (daily papers -> arXiv) only adds; its owner keeps the facts
        row = rows[change.known.external_id]
        if isinstance(change, Seen):
            refresh_attrs(row, change.observation)
        elif isinstance(change, Renamed):
            rename(row, change.observation, lab_id=lab_id, events=events)
            report.renamed += 1
            renamed.append(row)
        elif isinstance(change, Restored):
            restore(row, change.observation, events=events)
            report.restored += 1
        elif isinstance(change, Revised):
            revise(row, change.observation, events=events)
            report.revised += 1
        elif isinstance(change, Withdrawn):
            row.withdrawn_at = now
            events.withdrawn(row)
            report.withdrawn += 1
    return renamed
