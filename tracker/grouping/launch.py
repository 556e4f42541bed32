"""Whether a repo of a new family belongs to a launch its lab started minutes or hours earlier.

A lab often ships one launch under several names (a model with its distilled students, a text
model with its vision sibling, embedding models with rerankers). Names alone cannot tell those
from two products that happen to share a prefix, so the decision reads every signal the Hub gives:

* **window**: the candidate release went public at most ``grouping.launch_window_hours`` before
  (the caller only offers such candidates);
* **arxiv**: both cite the same *new* paper (an ``arxiv:<id>`` tag whose id, ``YYMM.nnnnn``, is
  from the month before the repo or later: an old report cited by a whole line is no evidence);
* **base_model**: one is fine-tuned from the other (a ``base_model:<repo>`` tag naming a member);
* **prefix**: one family name extends the other (``DeepSeek-R1`` / ``DeepSeek-R1-Distill``,
  ``ERNIE-4.5`` / ``ERNIE-4.5-VL``) with the same dated revision (or none);
* **revision**: same brand word and the same dated revision (``GLM-4-0414`` / ``GLM-Z1-0414``).

A shared paper or a base_model link joins on its own. Prefix and revision join only when the two
do not cite different new papers (``Qwen2.5-VL`` and ``Qwen2.5-1M`` shipped the same day with two
reports: two launches). Nothing else joins: two products of one lab published the same hour with
nothing in common stay apart. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tracker.grouping import families

__all__ = ["Member", "is_wave", "launch_signals", "new_papers", "window_signal"]

_ARXIV_RE = re.compile(r"^arxiv:(\d{2})(\d{2})\.\d{4,5}$", re.I)


@dataclass(frozen=True, slots=True)
class Member:
    """A repo already in a candidate release: its Hub repo id and listing tags."""

    name: str
    tags: tuple[str, ...] = ()

    @classmethod
    def of(cls, name: str, attrs: dict | None) -> Member:  # type: ignore[type-arg]
        """From a stored artifact's name and ``attrs`` (tags that are not strings are ignored)."""
        tags = (attrs or {}).get("tags") or ()
        return cls(name, tuple(t for t in tags if isinstance(t, str)))


def new_papers(tags: Iterable[str], at: datetime) -> set[str]:
    """The ``arxiv:`` tags among ``tags`` whose paper is from the month before ``at`` (UTC) or later."""
    floor = at.year * 12 + at.month - 2  # months since year 0, one month back
    out: set[str] = set()
    for tag in tags:
        if (m := _ARXIV_RE.match(tag)) and (2000 + int(m.group(1))) * 12 + int(m.group(2)) - 1 >= floor:
            out.add(tag.lower())
    return out


def _base_models(tags: Iterable[str]) -> set[str]:
    """Repo ids (casefolded) named by plain ``base_model:<org>/<name>`` tags."""
    return {t.split(":", 1)[1].casefold() for t in tags if t.startswith("base_model:") and t.count(":") == 1}


def _extends(a: str, b: str) -> bool:
    """True when family key ``a`` is ``b`` or ``b`` followed by more words (or the reverse)."""
    short, long_ = sorted((a, b), key=len)
    return long_ == short or long_.startswith(short + "-")


def window_signal(released_at: datetime, at: datetime) -> str:
    """``"window 12 min"`` / ``"window 3.5 h"``: how long after the release's first repo this one came."""
    minutes = max(0.0, (at - released_at).total_seconds() / 60)
    return f"window {minutes:.0f} min" if minutes < 90 else f"window {minutes / 60:.1f} h"


def is_wave(tags: Iterable[str], at: datetime, family: Sequence[Member]) -> bool:
    """True when a repo (its ``tags``, seen at ``at``) starting a release after its family's wave gap
    is a wave of that family: it cites no new paper, or one a repo of the family (``family``) cites.
    A new paper of its own makes it a new launch that happens to share the family's name."""
    mine = new_papers(tags, at)
    return not mine or bool(mine & {p for m in family for p in new_papers(m.tags, at)})


def launch_signals(
    name: str, tags: Sequence[str], at: datetime, members: Sequence[Member], *, names_count: bool = True
) -> list[str] | None:
    """The signals that put repo ``name`` into the launch made of ``members``, or None when it does not belong.

    Args:
        name: the new repo id (``"deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"``).
        tags: its Hub listing tags. at: when it was seen (UTC), for the paper age.
        members: the candidate release's repos (non-empty); the caller checked the window.
        names_count: False when the candidate is a wave (new sizes of an older family): names
            alone (prefix, revision) never tie a new product to it, only a paper or base_model.

    Returns:
        Short signal strings (``"arxiv:2501.12948"``, ``"base_model deepseek-ai/DeepSeek-R1"``,
        ``"prefix DeepSeek-R1"``, ``"revision 0414"``), or None.
    """
    mine = families.classify(name.split("/", 1)[-1], tags)
    my_family = families.family_match_key(mine.family)
    my_papers = new_papers(tags, at)
    my_bases = _base_models(tags)
    their_papers: set[str] = set()
    strong: list[str] = []
    weak: list[str] = []
    for member in members:
        theirs = families.classify(member.name.split("/", 1)[-1], member.tags)
        their_papers |= new_papers(member.tags, at)
        if member.name.casefold() in my_bases or name.casefold() in _base_models(member.tags):
            strong.append(f"base_model {member.name}")
        if mine.revision != theirs.revision:
            continue
        their_family = families.family_match_key(theirs.family)
        if _extends(my_family, their_family):
            shorter = min((mine.family, theirs.family), key=len)
            weak.append(f"prefix {shorter}")
        elif mine.revision and my_family.split("-")[0] == their_family.split("-")[0]:
            weak.append(f"revision {mine.revision}")
    strong.extend(sorted(my_papers & their_papers))
    conflict = bool(my_papers and their_papers and not my_papers & their_papers)
    if not names_count:
        weak = []
    signals = list(dict.fromkeys(strong + ([] if conflict else weak)))
    return signals if strong or (weak and not conflict) else None
