"""Which release an artifact joins: model family facts, code/post family hints, the family window.

``model_facts``, ``model_release_key`` and ``in_family_window`` are the one grouping entry point
shared by the pipeline and ``tracker.grouping.regroup``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from tracker.grouping import families
from tracker.domain import ArtifactKind, Observation


def model_facts(name: str, attrs: Mapping[str, Any]) -> families.NameFacts:
    """Name/tag facts of a Hub model repo (``"Qwen/Qwen3-8B-FP8"``; ``attrs`` = listing tags, pipeline_tag).

    The one grouping entry point shared by the pipeline and ``tracker.grouping.regroup``.
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
