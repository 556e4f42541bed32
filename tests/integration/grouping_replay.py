"""Replay the packaged corpus through the real pipeline and score grouping against the answers.

Shared by ``test_grouping_accuracy`` and ``test_regroup``. The answer file
(``tests/fixtures/grouping_answers.json``) was written by hand from ``timeline.jsonl`` and the
listings; it says which releases are right, not what the code does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path

from sqlalchemy import select

from tracker.config import Settings
from tracker.pipeline import poll_once
from tracker.replay.clock import parse_time
from tracker.replay.corpus import CORPUS_DIR
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import Artifact
from tracker.watchlist import load_watchlist

ANSWERS_PATH = Path(__file__).resolve().parents[1] / "fixtures" / "grouping_answers.json"
BASELINE_AT = datetime(2024, 12, 1, tzinfo=UTC)  # before the corpus window
END_AT = datetime(2026, 1, 1, tzinfo=UTC)


def load_answers() -> dict:  # type: ignore[type-arg]
    """The answer file as a dict: ``releases`` (lab, title, repos), ``third_party``, ``ids``."""
    return json.loads(ANSWERS_PATH.read_text(encoding="utf-8"))


def replay_steps(step_days: float) -> Iterator[datetime]:
    """Poll times after the baseline: ``BASELINE_AT + k * step_days`` up to and including END_AT."""
    at = BASELINE_AT
    while at < END_AT:
        at = min(at + timedelta(days=step_days), END_AT)
        yield at


#: Timeline events that change what a Hub listing shows (updates only move ``sha``).
LISTING_EVENTS = frozenset({"hf_model_public", "hf_model_renamed", "hf_model_deleted"})


def changed_labs(step_days: float) -> list[tuple[datetime, list[str]]]:
    """Poll times on the ``step_days`` grid and the labs whose Hub listing changed since the last one.

    Polling a lab whose listing did not change is a no-op for grouping (the pipeline skips an
    unchanged listing), so the replay polls only these (time, labs) pairs: the same detection
    times as polling every lab at every step, in a fraction of the time.
    """
    labs_for_org = load_watchlist().labs_for_org()
    events = [
        json.loads(line)
        for line in (CORPUS_DIR / "timeline.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    plan: list[tuple[datetime, list[str]]] = []
    previous = BASELINE_AT
    for at in replay_steps(step_days):
        labs = {
            labs_for_org[e["org"].lower()].slug
            for e in events
            if e["event"] in LISTING_EVENTS
            and e["org"].lower() in labs_for_org
            and previous < parse_time(e["at"]) <= at
        }
        if labs:
            plan.append((at, sorted(labs)))
        previous = at
    return plan


def replay_corpus(store: Store, settings: Settings, *, step_days: float = 1.0) -> None:
    """Baseline every watched lab's Hub orgs at BASELINE_AT, then step the clock by ``step_days``
    to END_AT, polling the labs whose listing changed in each step (``changed_labs``)."""
    with ReplayServer(now=BASELINE_AT) as hub:
        settings = settings.model_copy(update={"hf_endpoint": hub.hf_endpoint, "arxiv_endpoint": hub.arxiv_endpoint})
        watchlist = load_watchlist()
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        for at, labs in changed_labs(step_days):
            hub.set_now(at)
            poll_once(settings, store, watchlist, sources=["hf"], labs=labs, clock=hub.clock.now)


def stored_groups(store: Store) -> dict[str, int]:
    """Every stored model artifact's Hub ``_id`` (external_id) -> its release id."""
    with store.transaction() as session:
        rows = session.execute(select(Artifact.external_id, Artifact.release_id).where(Artifact.kind == "model"))
        return dict(rows.all())


@dataclass(frozen=True, slots=True)
class GroupingScore:
    """Grouping quality against the answer file.

    Attributes:
        pair_precision / pair_recall (float): over pairs of answer-file repos, of the pairs
            stored in one release, the share that the answers put in one release; and of the
            answers' same-release pairs, the share stored in one release (0..1).
        artifact_accuracy (float): share of answer-file repos whose stored release holds exactly
            the answer's repos (no repo missing, none extra, baseline history included).
        artifacts (int): answer-file repos scored. missing (list[str]): answer repos not stored.
        wrong (list[str]): answer repos in a wrong release. third_party_stored (list[str]):
            third-party repos stored under a lab.
    """

    pair_precision: float
    pair_recall: float
    artifact_accuracy: float
    artifacts: int
    missing: list[str]
    wrong: list[str]
    third_party_stored: list[str]

    def summary(self) -> str:
        return (
            f"grouping: pairwise precision {self.pair_precision:.4f} recall {self.pair_recall:.4f}; "
            f"artifacts in the right release {self.artifact_accuracy:.4f} "
            f"({self.artifacts - len(self.wrong) - len(self.missing)}/{self.artifacts}); "
            f"third-party repos stored as lab releases: {len(self.third_party_stored)}"
        )


def _pairs(groups: Iterable[set[str]]) -> set[frozenset[str]]:
    return {frozenset(p) for g in groups for p in combinations(sorted(g), 2)}


def score(answers: dict, stored: dict[str, int]) -> GroupingScore:  # type: ignore[type-arg]
    """Compare stored release membership (``stored_groups``) with the answer file."""
    ids: dict[str, str] = answers["ids"]
    truth = [{ids[name] for name in rel["repos"]} for rel in answers["releases"]]
    universe = set().union(*truth)
    name_of = {v: k for k, v in ids.items()}
    members: dict[int, set[str]] = {}
    for ext, rel in stored.items():
        members.setdefault(rel, set()).add(ext)
    predicted = [m & universe for m in members.values() if m & universe]
    true_pairs, pred_pairs = _pairs(truth), _pairs(predicted)
    hit = len(true_pairs & pred_pairs)
    missing, wrong = [], []
    for group in truth:
        for ext in sorted(group):
            if ext not in stored:
                missing.append(name_of[ext])
            elif members[stored[ext]] != group:
                wrong.append(name_of[ext])
    third = [name for name in answers["third_party"] if ids[name] in stored]
    return GroupingScore(
        pair_precision=hit / len(pred_pairs) if pred_pairs else 1.0,
        pair_recall=hit / len(true_pairs) if true_pairs else 1.0,
        artifact_accuracy=(len(universe) - len(missing) - len(wrong)) / len(universe),
        artifacts=len(universe),
        missing=missing,
        wrong=wrong,
        third_party_stored=third,
    )
