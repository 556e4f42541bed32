"""Rebuild release membership of stored model artifacts from the current family rules.

``tracker regroup`` runs this after a rule change in ``tracker.grouping.families`` (or the family window).
It replays the grouping of the pipeline over what is stored, with the same decision
(``tracker.grouping.membership.decide``):

* artifacts are taken per lab in the order the pipeline stored them: by ``first_seen_at`` (the
  poll), then ``created_at`` (Hub ``createdAt``), then name;
* an artifact's time is its ``first_seen_at`` (a live detection) or, for baseline history, its
  ``created_at``; it joins the newest planned release of its family key released at or after
  ``time - window`` (and not after ``time + window``), else it starts a new release;
* planned releases are matched one-to-one to stored releases by the most shared artifacts, so a
  release whose membership did not change keeps its id and every field; a changed release keeps
  its id and gets the new family key, title and ``released_at``; a planned release with no stored
  counterpart is a new row.

Safety: no outbox event is written (nothing is alerted again). Running it twice changes nothing
the second time (the plan depends only on artifact rows). A stored release left with no artifact
is deleted, with its paper links, unless events or Slack threads refer to it (then it is kept,
empty, and reported). Moved artifacts get their paper tag links and their releases' lineage flags
and significance recomputed (``tracker.grouping.papers``, ``tracker.grouping.significance``).

Only model artifacts move; papers, code and posts stay where they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from tracker.config import Settings
from tracker.domain import ArtifactKind
from tracker.grouping import papers, significance
from tracker.grouping.launch import Member, is_wave, launch_signals
from tracker.grouping.membership import decide, grouping_time, model_facts, model_identity
from tracker.grouping.titles import launch_title
from tracker.store.models import Artifact, Event, Lab, Release, ReleasePaper, SlackThread
from tracker.watchlist import Watchlist

__all__ = ["LiveRules", "Move", "PlannedRelease", "RegroupReport", "plan_regroup", "regroup"]


@dataclass(slots=True)
class PlannedRelease:
    """One release as the current rules group it.

    Attributes:
        lab_id (int). family (str): family match key (``"qwen3-2507"``). title (str): display key.
        url (str): the first member's URL. released_at / first_seen_at (datetime, UTC).
        baseline (bool): every member is baseline history.
        members (list[Artifact]): in grouping order. release_id (int | None): the stored release
            it maps to (None: a new release).
    """

    lab_id: int
    family: str
    title: str
    url: str
    released_at: datetime
    first_seen_at: datetime
    baseline: bool
    members: list[Artifact] = field(default_factory=list)
    release_id: int | None = None
    withdrawn_at: datetime | None = None
    wave: bool = False


@dataclass(frozen=True, slots=True)
class LiveRules:
    """How live detections group (``settings.grouping``): the wave gap and the launch window."""

    wave_gap: timedelta
    launch_window: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveRules:
        """``settings.grouping.wave_gap_hours`` and ``launch_window_hours`` as timedeltas."""
        return cls(
            timedelta(hours=settings.grouping.wave_gap_hours), timedelta(hours=settings.grouping.launch_window_hours)
        )


@dataclass(frozen=True, slots=True)
class Move:
    """One artifact that changes release.

    Attributes:
        artifact_id (int). name (str): repo id. from_release (int): stored release id.
        to_release (int | None): target release id (None in a dry run when the target is new).
        to_title (str): the target release's title.
    """

    artifact_id: int
    name: str
    from_release: int
    to_release: int | None
    to_title: str


@dataclass(slots=True)
class RegroupReport:
    """What a regroup changed (or, in a dry run, would change).

    Attributes:
        dry_run (bool). artifacts (int): model artifacts regrouped. releases (int): planned releases.
        moves (list[Move]). created (list[str]): titles of new releases (with ids once applied).
        retitled (list[int]): kept releases whose family key or title changed.
        deleted (list[int]): releases left empty and deleted. kept_empty (list[int]): left empty
            but kept because events or Slack threads refer to them.
    """

    dry_run: bool
    artifacts: int = 0
    releases: int = 0
    moves: list[Move] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    retitled: list[int] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    kept_empty: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when anything moved, was created, renamed or deleted."""
        return bool(self.moves or self.created or self.retitled or self.deleted or self.kept_empty)


def _order(artifact: Artifact) -> tuple[datetime, datetime, str, int]:
    return artifact.first_seen_at, artifact.created_at or artifact.first_seen_at, artifact.name, artifact.id


def _members(plan: PlannedRelease) -> list[Member]:
    return [Member.of(m.name, m.attrs) for m in plan.members]


def _group_lab(
    artifacts: list[Artifact], lab_id: int, window: timedelta, rules: LiveRules | None
) -> list[PlannedRelease]:
    planned: list[PlannedRelease] = []
    by_family: dict[str, list[int]] = {}

    def find(family: str, kind: str, since: datetime) -> PlannedRelease | None:
        # As q.find_recent_release: the newest release of the family dated at or after ``since``
        # (every planned release is a model release).
        candidates = [i for i in by_family.get(family, []) if planned[i].released_at >= since]
        best = max(candidates, key=lambda i: (planned[i].released_at, i), default=None)
        return None if best is None else planned[best]

    def siblings(artifact: Artifact, at: datetime) -> list[tuple[PlannedRelease, Sequence[str] | None]]:
        # As pipeline.launches.siblings: live releases started within the launch window.
        assert rules is not None
        tags = [t for t in (artifact.attrs or {}).get("tags") or () if isinstance(t, str)]
        found = [
            (p, launch_signals(artifact.name, tags, at, _members(p), names_count=not p.wave))
            for p in reversed(planned)
            if not p.baseline and p.released_at >= at - rules.launch_window
        ]
        return sorted(found, key=lambda pair: -len(pair[1] or ()))

    for artifact in sorted(artifacts, key=_order):
        at = grouping_time(baseline=artifact.baseline, created_at=artifact.created_at, seen_at=artifact.first_seen_at)
        identity = model_identity(model_facts(artifact.name, artifact.attrs or {}))
        decision = decide(
            identity,
            at=at,
            baseline=artifact.baseline,
            window=window,
            find=find,
            wave_gap=rules.wave_gap if rules else None,
            siblings=(lambda a=artifact, t=at: siblings(a, t)) if rules else None,
        )
        target = decision.release
        if target is not None:
            if decision.redate:
                target.released_at = at  # baseline history: the earliest member dates the launch
            target.baseline = target.baseline and artifact.baseline
        else:
            target = PlannedRelease(
                lab_id=lab_id,
                family=identity.family,
                title=identity.title,
                url=artifact.url,
                released_at=at,
                first_seen_at=artifact.first_seen_at,
                baseline=artifact.baseline,
            )
            if decision.wave_of is not None:  # as pipeline.launches.wave_origin
                tags = [t for t in (artifact.attrs or {}).get("tags") or () if isinstance(t, str)]
                target.wave = is_wave(tags, at, _members(decision.wave_of))
            by_family.setdefault(identity.family, []).append(len(planned))
            planned.append(target)
        target.members.append(artifact)
    for plan in planned:  # titled as the pipeline titles them (tracker.grouping.titles)
        same = [m.name for m in plan.members if model_facts(m.name, m.attrs or {}).release_match_key == plan.family]
        plan.title = launch_title(plan.members[0].name, same)
    return planned


def _match(session: Session, planned: list[PlannedRelease]) -> None:
    """Map planned releases to stored ones one-to-one.

    A stored release goes first to a planned release of its own family key (so ``Qwen3`` stays
    ``Qwen3`` when a rule splits variants off), then to the one sharing the most artifacts.
    """
    ids = sorted({a.release_id for plan in planned for a in plan.members})
    family_of = dict(session.execute(select(Release.id, Release.family).where(Release.id.in_(ids))).all())
    pairs = []
    for index, plan in enumerate(planned):
        counts: dict[int, int] = {}
        for artifact in plan.members:
            counts[artifact.release_id] = counts.get(artifact.release_id, 0) + 1
        pairs.extend(
            (family_of.get(release_id) != plan.family, -n, index, release_id) for release_id, n in counts.items()
        )
    used: set[int] = set()
    for _, _, index, release_id in sorted(pairs):
        if planned[index].release_id is None and release_id not in used:
            planned[index].release_id = release_id
            used.add(release_id)


def plan_regroup(session: Session, *, window: timedelta, rules: LiveRules | None = None) -> list[PlannedRelease]:
    """Group every stored model artifact with the current rules and match stored releases.

    Args:
        session: an open session. window: the family window (``settings.polling.family_window_days``).
        rules: how live detections group (waves, sibling launches); None groups them by the
            family window as baseline history is.

    Returns:
        The planned releases of every lab, each with ``release_id`` set when a stored release
        takes it over (reads only; nothing is written).
    """
    artifacts = session.scalars(select(Artifact).where(Artifact.kind == ArtifactKind.MODEL.value)).all()
    by_lab: dict[int, list[Artifact]] = {}
    for artifact in artifacts:
        by_lab.setdefault(artifact.lab_id, []).append(artifact)
    planned: list[PlannedRelease] = []
    for lab_id in sorted(by_lab):
        planned.extend(_group_lab(by_lab[lab_id], lab_id, window, rules))
    _match(session, planned)
    return planned


def _referenced(session: Session, release_id: int) -> bool:
    """True when events or Slack threads refer to the release (it cannot be deleted)."""
    for model in (Event, SlackThread, Artifact):
        if session.scalar(select(func.count()).select_from(model).where(model.release_id == release_id)):
            return True
    return False


def regroup(
    session: Session,
    *,
    window: timedelta,
    rules: LiveRules | None = None,
    watchlist: Watchlist | None = None,
    dry_run: bool = False,
) -> RegroupReport:
    """Rebuild model release membership from the current rules, inside the caller's transaction.

    Args:
        session: an open session; the caller commits (or, for ``dry_run``, may roll back).
        window: the family window (``timedelta(days=settings.polling.family_window_days)``).
        rules: the live grouping rules (:meth:`LiveRules`; the pipeline's are built from
            ``settings.grouping``); None groups live detections by the family window.
        watchlist: gives each lab's tier for significance; labs not in it score with tier None.
        dry_run: plan and report only; nothing is written.

    Returns:
        RegroupReport: moves, created, retitled, deleted and kept-empty releases. Writes no events.
    """
    planned = plan_regroup(session, window=window, rules=rules)
    report = RegroupReport(dry_run=dry_run, artifacts=sum(len(p.members) for p in planned), releases=len(planned))
    before = {a.id: a.release_id for p in planned for a in p.members}
    stored_members: dict[int, set[int]] = {}
    for artifact_id, release_id in before.items():
        stored_members.setdefault(release_id, set()).add(artifact_id)
    for plan in planned:
        target = session.get(Release, plan.release_id) if plan.release_id is not None else None
        if target is None:
            report.created.append(plan.title)
        else:
            same_members = stored_members.get(target.id, set()) == {a.id for a in plan.members}
            renamed = (target.family, target.title) != (plan.family, plan.title)
            if renamed:
                report.retitled.append(target.id)
            if same_members and not renamed:
                continue  # unchanged: id and every field kept
        if dry_run:
            report.moves.extend(
                Move(a.id, a.name, before[a.id], plan.release_id, plan.title)
                for a in plan.members
                if before[a.id] != plan.release_id
            )
            continue
        if target is None:
            target = Release(
                lab_id=plan.lab_id,
                family=plan.family,
                title=plan.title,
                kind=ArtifactKind.MODEL.value,
                url=plan.url,
                released_at=plan.released_at,
                first_seen_at=plan.first_seen_at,
                baseline=plan.baseline,
            )
            session.add(target)
            session.flush()
            plan.release_id = target.id
            report.created[-1] = f"{plan.title} (#{target.id})"
        else:
            target.family, target.title = plan.family, plan.title
            target.released_at, target.baseline = plan.released_at, plan.baseline
            target.first_seen_at = min(target.first_seen_at, plan.first_seen_at)
        for artifact in plan.members:
            if before[artifact.id] != target.id:
                artifact.release_id = target.id
                report.moves.append(Move(artifact.id, artifact.name, before[artifact.id], target.id, plan.title))
    if dry_run:
        return report
    session.flush()
    _finish(session, planned, report, before, watchlist)
    return report


def _finish(
    session: Session,
    planned: list[PlannedRelease],
    report: RegroupReport,
    before: dict[int, int],
    watchlist: Watchlist | None,
) -> None:
    """Delete emptied releases, re-link papers and recompute lineage flags and significance."""
    kept = {p.release_id for p in planned}
    for release_id in sorted(set(before.values()) - kept):
        if _referenced(session, release_id):
            report.kept_empty.append(release_id)
            continue
        session.execute(delete(ReleasePaper).where(ReleasePaper.release_id == release_id))
        # reports folded into a launch that no longer exists stand alone again
        session.execute(update(Release).where(Release.merged_into_id == release_id).values(merged_into_id=None))
        session.execute(delete(Release).where(Release.id == release_id))
        report.deleted.append(release_id)
    if not report.moves:
        return
    moved_ids = {m.artifact_id for m in report.moves}
    tiers = {lab.slug: lab.tier for lab in watchlist.labs} if watchlist is not None else {}
    for lab_id in sorted({p.lab_id for p in planned}):
        members = [a for p in planned if p.lab_id == lab_id for a in p.members if a.id in moved_ids]
        if not members:
            continue
        touched = {a.release_id for a in members} | {
            m.from_release for m in report.moves if m.artifact_id in {a.id for a in members}
        }
        touched -= set(report.deleted)
        lab = session.get(Lab, lab_id)
        tier = tiers.get(lab.slug) if lab is not None else None
        paper_releases = papers.link_new_models(session, members, lab_id=lab_id)
        significance.refresh_scores(session, touched, paper_releases, lab_id=lab_id, tier=tier)
