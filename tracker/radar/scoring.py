"""The radar score: points per reason, summed and clamped to 0-100.

An org outside the watchlist earns points only for traction that personal fine-tunes do not
have. Only its **original** repos count (no base model of another org in its Hub tags, not a
re-upload): a fine-tune, quantization, adapter or merge earns nothing, however popular.

| code | rule (facts from the Hub's global listings and tags) | points |
|---|---|---|
| ``base_model`` | at least one original repo: weights of its own | 15 |
| ``new_architecture`` | an original repo ships its own modeling code (``custom_code`` tag) | 5 |
| ``trending`` | best trending rank of an original repo, last 24 h: top 10 / 25 / 100 | 20 / 15 / 8 |
| ``likes_growth`` | likes its original repos gained in 24 h: >= 100 / 30 / 10 (*) | 20 / 12 / 6 |
| ``downloads_growth`` | 30-day downloads gained over the last 24 h: >= 10,000 / 1,000 | 10 / 5 |
| ``derivatives`` | third-party repos naming one of its repos as base model: >= 10 / 3 / 1 | 15 / 10 / 5 |
| ``arxiv`` | an original repo cites a paper (``arxiv:`` tag): a technical report | 10 |
| ``launch`` | 3 or more original repos created within 72 h: a launch, not a one-off upload | 10 |

(*) a repo created within the 24 h counts from zero likes and downloads.

The maximum sum is 105, clamped to 100. ``TRACKER_RADAR_ALERT_SCORE`` (60) is more
than one original repo's popularity can earn alone (trending and likes growth: 15 + 20 + 20 =
55): it also takes a new architecture, a report, a launch of several models, downloads or
third-party derivatives.

Exclusions (status ``excluded``, score kept at 0, re-evaluated every cycle):

* ``derivatives_only``: every repo seen derives from another org's model (``base_model:``
  relation tags: finetune, quantized, adapter, merge) or re-uploads one: a quantizer, a merger, a
  personal fine-tuner.
* ``no_traction``: one repo, under 10 likes, never trending: a personal account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["ALERT_CODES", "OrgEvidence", "RepoEvidence", "Scored", "score_org"]

#: Reason codes in table order.
ALERT_CODES = (
    "base_model",
    "new_architecture",
    "trending",
    "likes_growth",
    "downloads_growth",
    "derivatives",
    "arxiv",
    "launch",
)
_LAUNCH_WINDOW_S = 72 * 3600.0
_LAUNCH_REPOS = 3
_NO_TRACTION_LIKES = 10


@dataclass(frozen=True, slots=True)
class RepoEvidence:
    """What the radar knows of one repo of the org (see ``tracker.store.models.RadarRepo``).

    Attributes:
        repo_id: ``org/name``. relation: ``original`` or a derivative relation (``finetune``,
            ``quantized``, ``adapter``, ``merge``, ``reupload``). created_at: Hub creation (UTC).
        likes, downloads: current counters (downloads: last 30 days).
        likes_growth, downloads_growth: gained over the last 24 h.
        trending_rank: best trending rank over the last 24 h, or None. arxiv_id: cited paper.
        custom_code: ships its own modeling code (Hub ``custom_code`` tag).
    """

    repo_id: str
    relation: str
    created_at: datetime | None = None
    likes: int = 0
    downloads: int = 0
    likes_growth: int = 0
    downloads_growth: int = 0
    trending_rank: int | None = None
    arxiv_id: str | None = None
    custom_code: bool = False


@dataclass(frozen=True, slots=True)
class OrgEvidence:
    """One org's repos and its third-party derivatives count."""

    org: str
    repos: Sequence[RepoEvidence]
    derivatives: int = 0


@dataclass(frozen=True, slots=True)
class Scored:
    """A score (0-100), its reasons (highest points first) and an exclusion code, if any."""

    score: float
    reasons: list[dict] = field(default_factory=list)
    excluded: str | None = None
    best: RepoEvidence | None = None
    trending_rank: int | None = None
    arxiv_id: str | None = None


def _tier(value: float, tiers: Sequence[tuple[float, float]]) -> float:
    return next((points for threshold, points in tiers if value >= threshold), 0.0)


def _launch(originals: Sequence[RepoEvidence]) -> int:
    """Most original repos created within one launch window."""
    times = sorted(r.created_at for r in originals if r.created_at is not None)
    best = 0
    start = 0
    for end, at in enumerate(times):
        while (at - times[start]).total_seconds() > _LAUNCH_WINDOW_S:
            start += 1
        best = max(best, end - start + 1)
    return best


def _exclusion(evidence: OrgEvidence, originals: Sequence[RepoEvidence]) -> tuple[str, str] | None:
    if not originals:
        kinds: dict[str, int] = {}
        for repo in evidence.repos:
            kinds[repo.relation] = kinds.get(repo.relation, 0) + 1
        listed = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        return "derivatives_only", f"every repo seen derives from another org's model ({listed})"
    repo = evidence.repos[0]
    if len(evidence.repos) == 1 and repo.likes < _NO_TRACTION_LIKES and repo.trending_rank is None:
        return "no_traction", "one repo, under 10 likes, never trending: a personal account"
    return None


def score_org(evidence: OrgEvidence) -> Scored:
    """Score one org from its evidence (the table in the module docstring).

    Returns:
        Scored: ``score`` 0-100 with ``reasons`` ``[{"code", "points", "text"}]`` (text is plain,
        built from outside names: escape where shown), or ``excluded`` set and score 0.
    """
    originals = [r for r in evidence.repos if r.relation == "original"]
    best = max(originals or evidence.repos, key=lambda r: (r.likes, r.downloads, r.repo_id), default=None)
    excluded = _exclusion(evidence, originals)
    if excluded is not None:
        reason = {"code": excluded[0], "points": 0.0, "text": excluded[1]}
        return Scored(0.0, [reason], excluded=excluded[0], best=best)
    reasons: list[dict] = []

    def add(code: str, points: float, text: str) -> None:
        if points > 0:
            reasons.append({"code": code, "points": points, "text": text})

    add("base_model", 15.0, f"{len(originals)} original model repo(s), no base model of another org")
    novel = next((r for r in originals if r.custom_code), None)
    if novel is not None:
        add("new_architecture", 5.0, f"ships its own modeling code ({novel.repo_id})")
    ranked = [r for r in originals if r.trending_rank is not None]
    top = min(ranked, key=lambda r: r.trending_rank or 0, default=None)
    if top is not None and top.trending_rank is not None:
        points = _tier(-top.trending_rank, ((-10, 20.0), (-25, 15.0), (-100, 8.0)))
        add("trending", points, f"trending #{top.trending_rank} ({top.repo_id})")
    likes = sum(r.likes_growth for r in originals)
    add("likes_growth", _tier(likes, ((100, 20.0), (30, 12.0), (10, 6.0))), f"+{likes:,} likes in 24 h")
    downloads = sum(r.downloads_growth for r in originals)
    add("downloads_growth", _tier(downloads, ((10_000, 10.0), (1_000, 5.0))), f"+{downloads:,} downloads in 24 h")
    add(
        "derivatives",
        _tier(evidence.derivatives, ((10, 15.0), (3, 10.0), (1, 5.0))),
        f"{evidence.derivatives} third-party derivative(s)",
    )
    paper = next((r for r in originals if r.arxiv_id), None)
    if paper is not None:
        add("arxiv", 10.0, f"technical report arXiv:{paper.arxiv_id} ({paper.repo_id})")
    launched = _launch(originals)
    if launched >= _LAUNCH_REPOS:
        add("launch", 10.0, f"{launched} original repos created within 72 h")
    reasons.sort(key=lambda r: (-r["points"], ALERT_CODES.index(r["code"])))
    score = max(0.0, min(100.0, sum(r["points"] for r in reasons)))
    return Scored(
        score,
        reasons,
        best=best,
        trending_rank=None if top is None else top.trending_rank,
        arxiv_id=None if paper is None else paper.arxiv_id,
    )
