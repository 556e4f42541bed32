"""Which release an artifact joins: the one place that decides grouping.

The pipeline asks :func:`decide` for every new artifact it stores, and ``tracker regroup``
replays the same rules over stored model artifacts, so a rule change regroups history exactly as
the pipeline would have grouped it.

* **Models** group by launch: the family match key of their name (``Qwen3-8B-FP8`` -> ``qwen3``;
  a dated revision is its own launch, ``qwen3-2507``), read by ``tracker.grouping.families``.
* **Papers** are one release each (``arxiv:<id>``).
* **Code and posts** (a GitHub release, a blog entry) join the lab's model release of a family
  they name (``"Qwen3: Think Deeper"`` -> ``qwen3``), the most specific family first
  (``Qwen3-Coder`` before ``Qwen3``); failing that they are a release of their own, grouped by
  the first family they name.

Baseline history joins the newest release of its family (and kind) dated within the family
window of its grouping time (``settings.polling.family_window_days``, on both sides). A live
detection joins its family's newest release when it went public at most the wave gap before
(``settings.grouping.wave_gap_hours``; for a release recorded as baseline history, whose public
moment is unknown, the gap runs from when tracker first listed it); failing that it joins a
launch of another family its lab started within the launch window when the signals say so
(``tracker.grouping.launch``); failing that it starts a new release, a *wave* linked to the
family's release when the family shipped before. A withdrawn release is never joined: the next
repo of its family starts a new release. Pure: the candidate releases come from lookup functions
the caller passes in (database queries in the pipeline, the planned releases in regroup).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from tracker.domain import ArtifactKind, Observation
from tracker.grouping import families
from tracker.grouping.launch import window_signal

__all__ = [
    "Decision",
    "FindRelease",
    "FindSiblings",
    "ReleaseIdentity",
    "decide",
    "grouping_time",
    "hint_keys",
    "identity_of",
    "in_family_window",
    "model_facts",
    "model_identity",
    "observation_facts",
]


class Dated(Protocol):
    """A release as :func:`decide` sees it: its ``released_at`` and ``first_seen_at`` (UTC),
    ``baseline`` and ``withdrawn_at`` (None unless every artifact was withdrawn)."""

    released_at: datetime
    first_seen_at: datetime
    baseline: bool
    withdrawn_at: datetime | None


R = TypeVar("R", bound=Dated)

#: ``(family match key, release kind, since)`` -> the newest release of the lab with that family
#: key and kind released at or after ``since`` (UTC), or None.
FindRelease = Callable[[str, str, datetime], R | None]

#: The lab's live model releases started within the launch window before the artifact, each with
#: the signals that tie the artifact to it (None: it does not belong), best candidates first.
FindSiblings = Callable[[], Sequence[tuple[R, Sequence[str] | None]]]

#: How far back a live detection looks for its family's release (a wave can come months later).
WAVE_HORIZON = timedelta(days=3650)


@dataclass(frozen=True, slots=True)
class ReleaseIdentity:
    """The release an artifact starts when it joins none.

    Attributes:
        family (str): family match key (``"qwen3-2507"``, ``"arxiv:2505.09388"``).
        title (str): display title (``"Qwen3-2507"``, the paper or post title).
        kind (str): release kind, an ``ArtifactKind`` value (the artifact's own kind).
        model_families (tuple[str, ...]): for code and posts, the family match keys of the model
            releases it may join, most specific (longest) first; empty otherwise.
    """

    family: str
    title: str
    kind: str
    model_families: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision(Generic[R]):
    """Where one artifact goes.

    Attributes:
        identity (ReleaseIdentity): the release it starts when ``release`` is None.
        at (datetime): its grouping time (UTC), which dates a release it starts.
        release: the release it joins as a variant, or None to start a new one.
        redate (bool): it joins as baseline history older than the release, so the release's
            ``released_at`` moves back to ``at`` (the earliest member dates the launch).
        wave_of: when it starts a release, the earlier release of its family it is a wave of.
        signals (tuple[str, ...]): why it joined (``"family qwen3-vl"``, ``"window 12 min"``,
            ``"arxiv:2505.09388"``...), for ``attrs["grouped_by"]``.
    """

    identity: ReleaseIdentity
    at: datetime
    release: R | None
    redate: bool = False
    wave_of: R | None = None
    signals: tuple[str, ...] = ()

    @property
    def starts_release(self) -> bool:
        """True when the artifact starts a new release."""
        return self.release is None


def model_facts(name: str, attrs: Mapping[str, Any]) -> families.NameFacts:
    """Name/tag facts of a Hub model repo (``"Qwen/Qwen3-8B-FP8"``; ``attrs`` = listing tags, pipeline_tag)."""
    return families.classify(name.split("/", 1)[-1], attrs.get("tags") or (), attrs.get("pipeline_tag"))


def observation_facts(obs: Observation) -> families.NameFacts | None:
    """:func:`model_facts` of a model observation; None for papers, code and posts."""
    if obs.kind != ArtifactKind.MODEL:
        return None
    return model_facts(obs.name, obs.attrs)


_TITLE_SPLIT = re.compile(r"\s*[:|\u2013\u2014]\s*|\s+-\s+")


def hint_keys(obs: Observation) -> list[str]:
    """Family match keys named by a code/post artifact: ``"Qwen3: Think Deeper"`` -> qwen3.

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


def model_identity(facts: families.NameFacts) -> ReleaseIdentity:
    """The model release a repo with these facts belongs to: (launch match key, release key as title)."""
    return ReleaseIdentity(facts.release_match_key, facts.release_key, ArtifactKind.MODEL.value)


def identity_of(obs: Observation, facts: families.NameFacts | None) -> ReleaseIdentity:
    """The release an observation starts or joins (``facts``: :func:`observation_facts` of it)."""
    if facts is None and obs.kind in (ArtifactKind.CODE, ArtifactKind.POST):
        hints = hint_keys(obs)  # a post/code release of its own, grouped by the family it names
        family = hints[0] if hints else f"{obs.source.value}:{obs.external_id}"
        return ReleaseIdentity(family, obs.name, obs.kind.value, tuple(sorted(hints, key=len, reverse=True)))
    if facts is None:  # papers: one release per paper
        return ReleaseIdentity(f"arxiv:{obs.external_id}", obs.name, obs.kind.value)
    return model_identity(facts)


def grouping_time(*, baseline: bool, created_at: datetime | None, seen_at: datetime) -> datetime:
    """The time an artifact is grouped at (UTC): when it was first seen, or for baseline history
    (already there when tracker first listed its scope) its creation time when known."""
    return (created_at or seen_at) if baseline else seen_at


def in_family_window(released_at: datetime, at: datetime, window: timedelta) -> bool:
    """True when an artifact grouped at ``at`` joins a release of its family dated ``released_at``."""
    return at - window <= released_at <= at + window


def decide(
    identity: ReleaseIdentity,
    *,
    at: datetime,
    baseline: bool,
    window: timedelta,
    find: FindRelease[R],
    wave_gap: timedelta | None = None,
    siblings: FindSiblings[R] | None = None,
) -> Decision[R]:
    """Decide which release an artifact joins, or that it starts one (see the module docstring).

    Args:
        identity: from :func:`identity_of` (or :func:`model_identity`).
        at: the artifact's grouping time (:func:`grouping_time`), UTC.
        baseline: the artifact is history, not a detection.
        window: the family window (baseline history, code and posts).
        find: the candidate lookup (see :data:`FindRelease`); called once per family tried.
        wave_gap: for live model detections, the longest time after a release's first public
            repo that a repo of its family still joins it; None keeps the family window.
        siblings: for live model detections, the launches of other families it may join.

    Returns:
        Decision: the release to join, or None with the identity to start (and ``wave_of``).
    """

    def candidate(family: str, kind: str) -> R | None:
        release = find(family, kind, at - window)
        if release is not None and in_family_window(release.released_at, at, window):
            return release
        return None

    for family in identity.model_families:  # a GitHub release or blog post of a model launch
        release = candidate(family, ArtifactKind.MODEL.value)
        if release is not None:
            return Decision(identity, at, release)  # another kind: it never dates the launch
    if baseline or wave_gap is None or identity.kind != ArtifactKind.MODEL.value:
        release = candidate(identity.family, identity.kind)
        if release is None:
            return Decision(identity, at, None)
        return Decision(identity, at, release, redate=baseline and at < release.released_at)
    return _decide_live(identity, at, wave_gap, find(identity.family, identity.kind, at - WAVE_HORIZON), siblings)


def _decide_live(
    identity: ReleaseIdentity, at: datetime, wave_gap: timedelta, family: R | None, siblings: FindSiblings[R] | None
) -> Decision[R]:
    """A live model detection: its family's release within the wave gap, else a sibling launch,
    else a new release (a wave of ``family`` when that one was not withdrawn)."""
    if family is not None and family.withdrawn_at is None:
        # a baseline release's public moment is unknown but no later than tracker's first listing
        since = max(family.released_at, family.first_seen_at) if family.baseline else family.released_at
        if at - since <= wave_gap:
            return Decision(identity, at, family, signals=(f"family {identity.family}", window_signal(since, at)))
    for release, signals in siblings() if siblings else ():
        if signals and release.withdrawn_at is None:
            return Decision(identity, at, release, signals=(window_signal(release.released_at, at), *signals))
    wave_of = family if family is not None and family.withdrawn_at is None else None
    return Decision(identity, at, None, wave_of=wave_of)
