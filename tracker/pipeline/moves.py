"""Org moves in a poll unit: repos moved into a watched org are history plus one notice per org.

``apply`` asks :func:`moved_signals` for every live Hub model it has never seen; a moved repo
is stored as baseline history (no release alert, dated by its creation) and counted in an
:class:`OrgMoves`, as are known repos renamed into another org. At the end of the unit
:meth:`OrgMoves.write` adds one ``org_move`` event per destination org (payload in
``pipeline.events``). A Hub webhook ``repo.move`` is recorded first by :func:`note_move` in the
destination lab's Hub poll state, and is then the authoritative signal for that repo.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tracker.config import Settings
from tracker.domain import ArtifactKind, Observation, SourceKind
from tracker.grouping.moves import moved_in
from tracker.pipeline.detect import Change, Renamed
from tracker.pipeline.events import EventWriter
from tracker.store import queries as q
from tracker.store.models import SourceState

__all__ = ["MOVES_KEY", "OrgMoves", "announced_origin", "moved_batch", "moved_signals", "note_move"]

#: Key of the Hub poll state's cursor holding webhook-announced moves: new id (casefolded) -> old id.
MOVES_KEY = "announced_moves"
#: Announced moves kept per lab (the oldest are dropped first): the cursor stays small.
MAX_ANNOUNCED = 500


def note_move(session: Session, *, lab_slug: str, old_name: str, new_name: str) -> None:
    """Record a Hub ``repo.move`` (``old_name`` -> ``new_name``, repo ids) for the lab watching the
    destination org, so its next poll stores the repo as a move. Idempotent."""
    state = q.get_or_create_source_state(session=session, source=SourceKind.HF.value, lab_slug=lab_slug)
    moves = dict((state.cursor or {}).get(MOVES_KEY) or {})
    moves[new_name.casefold()] = old_name
    state.cursor = {**(state.cursor or {}), MOVES_KEY: dict(list(moves.items())[-MAX_ANNOUNCED:])}


def announced_origin(state: SourceState, name: str) -> str | None:
    """The org a webhook said repo ``name`` moved from, or None."""
    announced = (state.cursor or {}).get(MOVES_KEY)
    old = announced.get(name.casefold()) if isinstance(announced, dict) else None
    return old.split("/", 1)[0] if isinstance(old, str) and "/" in old else None


def moved_batch(
    observations: Sequence[Observation], *, state: SourceState, settings: Settings, now: datetime
) -> dict[str, list[str]]:
    """The never-seen live Hub models of one listing that moved in, by external id, with their signals.

    A move comes in batches: once one repo of the listing moved in (``moved_signals``), the others
    created more than ``grouping.move_min_age_days`` ago with traction came with it, even when a
    recent commit makes their own last change look new.
    """
    moved = {o.external_id: s for o in observations if (s := moved_signals(o, state=state, settings=settings, now=now))}
    if not moved:
        return moved
    min_age = timedelta(days=settings.grouping.move_min_age_days)
    for obs in observations:
        old = obs.created_at is not None and now - obs.created_at > min_age
        traction = any(isinstance(obs.attrs.get(k), int) and obs.attrs[k] > 0 for k in ("likes", "downloads"))
        if obs.external_id not in moved and old and traction and obs.kind == ArtifactKind.MODEL:
            moved[obs.external_id] = [
                f"created {(now - obs.created_at).days} days before",
                f"batch of {len(moved)} moved",
            ]
    return moved


def moved_signals(obs: Observation, *, state: SourceState, settings: Settings, now: datetime) -> list[str] | None:
    """Why a never-seen live Hub model is a move into its org (``tracker.grouping.moves``), or None."""
    if obs.source != SourceKind.HF or obs.kind != ArtifactKind.MODEL:
        return None
    announced = (state.cursor or {}).get(MOVES_KEY)
    return moved_in(
        name=obs.name,
        attrs=obs.attrs,
        created_at=obs.created_at,
        now=now,
        min_age=timedelta(days=settings.grouping.move_min_age_days),
        announced=announced if isinstance(announced, dict) else None,
    )


@dataclass
class OrgMoves:
    """The repos one poll unit found moved, by destination org.

    Attributes:
        repos (dict[str, list[str]]): destination org -> repo ids, in the order found.
        from_orgs (dict[str, list[str]]): destination org -> the orgs they came from, when known.
    """

    repos: dict[str, list[str]] = field(default_factory=dict)
    from_orgs: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, from_org: str | None = None) -> None:
        """Count repo ``name`` (``org/name``) as moved in, from ``from_org`` when known."""
        org = name.split("/", 1)[0]
        self.repos.setdefault(org, []).append(name)
        sources = self.from_orgs.setdefault(org, [])
        if from_org and from_org not in sources:
            sources.append(from_org)

    def add_renames(self, changes: Iterable[Change]) -> None:
        """Count the known repos a listing shows under another org (a rename that changes the org)."""
        for change in changes:
            if isinstance(change, Renamed):
                old, new = change.known.org or "", change.observation.org or ""
                if old.casefold() != new.casefold():
                    self.add(change.observation.name, old or None)

    def write(self, events: EventWriter) -> int:
        """Add one ``org_move`` event per destination org (merged into the day's notice); returns how many orgs."""
        for org, repos in self.repos.items():
            events.org_moved(org, repos, self.from_orgs.get(org, []))
        return len(self.repos)
