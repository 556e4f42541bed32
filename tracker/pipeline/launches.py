"""A release's launch facts as its repos arrive: sibling lookup, title, sizes, reasons and waves.

``NewArtifacts`` (``pipeline.arrivals``) asks :func:`siblings` for the launches of other families
a new repo may join (``tracker.grouping.launch`` reads the signals), and after storing it calls
:func:`refresh_launch` (once per launch, when the unit's repos are all stored) so the release's
title, ``attrs["size_summary"]``, ``attrs["grouped_by"]`` (why each repo is there, printed by
``tracker explain``) and, for a wave, ``attrs["wave"]`` describe every member. Attribute shapes
are the shared contract:

* ``grouped_by``: ``[{"repo": "Qwen/Qwen3-8B", "signals": ["family qwen3", "window 12 min"]}]``
  (the first repo's signals are ``["first repo"]``);
* ``size_summary``: ``"235B-A22B"`` or ``"0.6B–32B"`` (None when no repo has a numeric size);
* ``wave``: ``{"family_title": "Qwen3-VL", "new_sizes": "30B-A3B, 8B"}`` on a release whose
  ``family_release_id`` points at the family's first release.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from tracker.domain import ArtifactKind, Observation
from tracker.grouping import families
from tracker.grouping.launch import Member, is_wave, launch_signals
from tracker.grouping.titles import launch_title, size_summary
from tracker.store.models import Artifact, Release
from tracker.store.queries.polling import recent_live_releases, release_members

__all__ = ["describe_launch", "first_of_family", "record_reason", "refresh_launch", "siblings", "wave_origin"]


def siblings(
    session: Session, *, lab_id: int, obs: Observation, at: datetime, window: timedelta
) -> list[tuple[Release, Sequence[str] | None]]:
    """The lab's live model releases started within ``window`` before ``at``, each with the
    signals tying ``obs`` to it (None: no tie), strongest tie first (most signals, then newest)."""
    out: list[tuple[Release, Sequence[str] | None]] = []
    tags = [t for t in obs.attrs.get("tags") or () if isinstance(t, str)]
    model = ArtifactKind.MODEL.value
    for release in recent_live_releases(session=session, lab_id=lab_id, kind=model, since=at - window):
        stored = release_members(session=session, release_id=release.id, kind=model)
        members = [Member.of(a.name, a.attrs) for a in stored]
        wave = release.family_release_id is not None
        out.append((release, launch_signals(obs.name, tags, at, members, names_count=not wave) if members else None))
    return sorted(out, key=lambda pair: -len(pair[1] or ()))


def first_of_family(release: Release) -> int:
    """The id of the first release of ``release``'s family (itself unless it is a wave)."""
    return release.family_release_id or release.id


def wave_origin(session: Session, family: Release, obs: Observation, at: datetime) -> Release | None:
    """``family`` when a repo of it arriving after the wave gap is a wave of it (``launch.is_wave``), else None."""
    stored = release_members(session=session, release_id=family.id, kind=ArtifactKind.MODEL.value)
    members = [Member.of(a.name, a.attrs) for a in stored]
    return family if is_wave(obs.attrs.get("tags") or (), at, members) else None


def record_reason(release: Release, repo: str, signals: Sequence[str]) -> None:
    """Append ``{"repo", "signals"}`` to ``release.attrs["grouped_by"]`` (a new dict: JSON change tracking)."""
    attrs: dict[str, Any] = dict(release.attrs or {})
    grouped = list(attrs.get("grouped_by") or [])
    grouped.append({"repo": repo, "signals": list(signals) or ["first repo"]})
    attrs["grouped_by"] = grouped
    release.attrs = attrs


def refresh_launch(session: Session, release: Release, family_title: str | None = None) -> None:
    """Recompute a model release's title and size summary from its members (and a wave's new sizes).

    Args:
        session: the unit's session (members are read after a flush).
        release: a model release with at least one model artifact stored.
        family_title: for a new wave, the title of the family's first release.
    """
    describe_launch(release, release_members(session=session, release_id=release.id, kind="model"), family_title)


def describe_launch(release: Release, members: Sequence[Artifact], family_title: str | None = None) -> None:
    """Set a model release's title, ``attrs["size_summary"]`` and wave sizes from ``members``.

    Args:
        release: a model release.
        members: its model artifacts in the order they were stored (``Artifact.id``); none: no change.
        family_title: for a new wave, the title of the family's first release.
    """
    if not members:
        return
    same = [a.name for a in members if families.launch_match_key(_release_key(a)) == release.family]
    release.title = launch_title(members[0].name, same)
    attrs: dict[str, Any] = dict(release.attrs or {})
    attrs["size_summary"] = size_summary([(a.size_label, a.params_total_b) for a in members])
    if family_title is not None or "wave" in attrs:
        labels = list(dict.fromkeys(a.size_label for a in members if a.size_label))
        wave = dict(attrs.get("wave") or {})
        wave.setdefault("family_title", family_title)
        wave["new_sizes"] = ", ".join(labels) or release.title
        attrs["wave"] = wave
    release.attrs = attrs


def _release_key(artifact: Artifact) -> str:
    # family and revision come from the name alone (tags add kinds), so the cached name facts do
    return families.parse_repo_name(artifact.name).release_key
