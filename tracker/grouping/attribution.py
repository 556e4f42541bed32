"""Whether a paper an arXiv query returned is the lab's own: evidence, never a name match alone.

An author query is a net: it returns every paper by anyone who shares a name with the lab's people
(``au:"Jin Xu"`` has hundreds of namesakes), and thousands of papers a month fine-tune a lab's
models and say so in their abstracts. So a candidate is attributed to the lab only with one of:

* a **team author**: one author is exactly one of the lab's team names (``Qwen Team``,
  ``DeepSeek-AI``), compared without case, dots or repeated spaces;
* **two or more known authors**: the lab's people (``arxiv_authors``); one alone is a namesake
  as likely as not, so it is recorded as the reason for a rejection;
* the lab or one of its families as the **subject of the title**: the name a title is about (the
  part before ``:``, or the title without ``Technical Report``/``Model Card``; see
  ``tracker.grouping.papers.title_subjects``) is one of the lab's stored families
  (``Qwen3 Technical Report`` -> ``qwen3``) or starts with one of the lab's names
  (``Kimi K2: ...``, ``Qwen-Image Technical Report``). A family named anywhere else in the title
  ("... built on Qwen3") or in the abstract is not evidence;
* an **``arxiv:`` tag on one of the lab's repos**: the lab cited the paper itself; this holds
  whatever the authors.

Pure: the caller reads the lab's families and tagging repos from the store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tracker.grouping import families
from tracker.grouping.papers import title_subjects
from tracker.watchlist import LabConfig

__all__ = ["ATTRIBUTED", "REJECTED", "Attribution", "LabIdentity", "attribute", "lab_identity", "normalize_person"]

ATTRIBUTED = "attributed"
REJECTED = "rejected"

#: Words of a lab's display name that name no one in particular ("Mistral AI", "Ant Group").
GENERIC_NAME_WORDS = frozenset(
    {"ai", "lab", "labs", "laboratory", "team", "cloud", "group", "research", "inc", "the", "and", "of", "llm"}
)
#: A lab-name word shorter than this is too likely to begin an unrelated model name.
MIN_NAME_WORD = 3

_AU_TERM = re.compile(r'\bau:"([^"]+)"', re.I)
_NAME_SPLIT = re.compile(r"[()/,]")


def normalize_person(name: str) -> str:
    """``"Z. Z.  Ren"`` -> ``"z z ren"``: casefolded, dots as spaces, whitespace collapsed."""
    return " ".join(name.replace(".", " ").casefold().split())


@dataclass(frozen=True, slots=True)
class LabIdentity:
    """What identifies one lab's papers (built from the watchlist by :func:`lab_identity`).

    Attributes:
        teams: normalised team author names (``"qwen team"``). people: normalised known authors.
        names: casefolded names the lab goes by, longest first (``"kimi"``, ``"moonshot"``).
    """

    teams: frozenset[str]
    people: frozenset[str]
    names: tuple[str, ...]


def lab_identity(lab: LabConfig) -> LabIdentity:
    """The lab's team names, known people and names, from its watchlist entry.

    A lab with neither ``arxiv_teams`` nor ``arxiv_authors`` falls back on the ``au:"..."`` names of
    its free ``arxiv_queries``, all taken as *people* (two needed): a query string cannot say which
    of its names is a team.
    """
    teams = {normalize_person(t) for t in lab.arxiv_teams if t.strip()}
    people = {normalize_person(a) for a in lab.arxiv_authors if a.strip()}
    if not (teams or people):
        people = {normalize_person(m) for q in lab.arxiv_queries for m in _AU_TERM.findall(q) if m.strip()}
    names: set[str] = {lab.slug.casefold(), *(org.casefold() for org in lab.hf_orgs)}
    for part in _NAME_SPLIT.split(lab.name):
        words = part.split()
        if not words:
            continue
        names.add(" ".join(words).casefold())
        names.update(w.casefold() for w in words)
    names = {n for n in names if len(n) >= MIN_NAME_WORD and n not in GENERIC_NAME_WORDS}
    return LabIdentity(
        teams=frozenset(teams), people=frozenset(people), names=tuple(sorted(names, key=lambda n: (-len(n), n)))
    )


@dataclass(frozen=True, slots=True)
class Attribution:
    """The decision on one candidate paper.

    Attributes:
        decision: :data:`ATTRIBUTED` or :data:`REJECTED`.
        evidence: short reasons, each shown by ``tracker explain`` (``"team author 'Qwen Team'"``,
            ``"arxiv tag on Qwen/Qwen3-8B"``), or for a rejection what was found and missing
            (``"one known author only: 'An Yang'"``).
    """

    decision: str
    evidence: tuple[str, ...]

    @property
    def attributed(self) -> bool:
        """True when the paper is the lab's."""
        return self.decision == ATTRIBUTED


def _starts_with_name(subject: str, names: Sequence[str]) -> str | None:
    """The lab name ``subject`` starts with, followed by its end, a separator or a version digit."""
    low = subject.casefold()
    for name in names:
        if low.startswith(name):
            rest = low[len(name) :]
            if not rest or rest[0] in " -_:" or rest[0].isdigit():
                return name
    return None


def _subject_evidence(title: str, ident: LabIdentity, family_keys: Iterable[str]) -> list[str]:
    keys = set(family_keys)
    found: list[str] = []
    for subject in title_subjects(title):
        try:
            key = families.family_match_key(families.parse_repo_name(subject.replace(" ", "-")).release_key)
        except ValueError:
            continue
        if key in keys:
            found.append(f"family {key!r} is the subject of the title")
        elif (name := _starts_with_name(subject, ident.names)) is not None:
            found.append(f"lab name {name!r} is the subject of the title")
    return found


def attribute(
    *,
    title: str,
    authors: Sequence[str],
    ident: LabIdentity,
    family_keys: Iterable[str] = (),
    tagged_by: Sequence[str] = (),
) -> Attribution:
    """Decide whether a candidate paper is the lab's (rules in the module docstring).

    Args:
        title: the paper's title as the feed gives it (untrusted; only read).
        authors: author names in arXiv order (may be truncated by the feed).
        ident: the lab's teams, people and names (:func:`lab_identity`).
        family_keys: the lab's stored model families (``family_match_key`` form).
        tagged_by: ids of the lab's Hub repos carrying ``arxiv:<this id>``.

    Returns:
        Attribution: attributed with every piece of evidence found, or rejected with the reason.
    """
    evidence = [f"arxiv tag on {repo}" for repo in sorted(set(tagged_by))[:5]]
    normalized = [(a, normalize_person(a)) for a in authors]
    evidence += [f"team author {a!r}" for a, n in normalized if n in ident.teams][:1]
    known = list(dict.fromkeys(a for a, n in normalized if n in ident.people))
    if len(known) >= 2:
        evidence.append("known authors " + ", ".join(repr(a) for a in known[:4]))
    evidence += _subject_evidence(title, ident, family_keys)
    if evidence:
        return Attribution(ATTRIBUTED, tuple(dict.fromkeys(evidence)))
    if len(known) == 1:
        reason = f"one known author only: {known[0]!r} (a namesake as likely as not)"
    else:
        reason = "no team author, fewer than two known authors, no lab family as the title's subject, no lab repo tag"
    return Attribution(REJECTED, (reason,))
