"""Replay the shared 2025 timeline through the real pipeline and score detection against the answers.

Shared by ``bench/detection.py`` and ``tests/integration/test_detection_answers.py``. The answer
file (``tests/fixtures/detection_answers.json``) was labelled by hand from the corpus; it says which
launches a person would announce, with their repos and titles, not what the code does.

The replay polls a lab's Hub orgs at the first step boundary after each timeline event that
changes its listing (``poll_plan``), so a launch whose repos go public minutes apart is seen by
one or several polls as it would be with a short poll interval.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from tracker.config import Settings
from tracker.domain import EventType
from tracker.pipeline import poll_once
from tracker.replay.clock import parse_time
from tracker.replay.corpus import CORPUS_DIR
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import Artifact, Event, Release
from tracker.watchlist import Watchlist, load_watchlist

ANSWERS_PATH = Path(__file__).resolve().parents[1] / "fixtures" / "detection_answers.json"
BASELINE_AT = datetime(2024, 12, 1, tzinfo=UTC)  # before the corpus window
END_AT = datetime(2026, 1, 1, tzinfo=UTC)
LISTING_EVENTS = frozenset({"hf_model_public", "hf_model_renamed", "hf_model_deleted"})


def load_answers() -> dict:  # type: ignore[type-arg]
    """The answer file as a dict: ``launches``, ``papers``, ``third_party``, ``ids``."""
    return json.loads(ANSWERS_PATH.read_text(encoding="utf-8"))


def timeline() -> list[dict]:  # type: ignore[type-arg]
    """The corpus timeline events, in order."""
    text = (CORPUS_DIR / "timeline.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def watchlist_with(hf_orgs: dict[str, tuple[str, ...]] | None = None) -> Watchlist:
    """The packaged watchlist, with some labs' Hub orgs replaced (``{"zhipu": ("zai-org",)}``)."""
    watchlist = load_watchlist()
    if not hf_orgs:
        return watchlist
    labs = tuple(
        dataclasses.replace(lab, hf_orgs=hf_orgs[lab.slug]) if lab.slug in hf_orgs else lab for lab in watchlist.labs
    )
    return Watchlist(labs=labs, subscriptions=watchlist.subscriptions, source=watchlist.source)


def poll_plan(watchlist: Watchlist, step: timedelta) -> Iterator[tuple[datetime, list[str]]]:
    """(poll time, labs) pairs: each listing change polled at the next multiple of ``step`` after it."""
    labs_for_org = watchlist.labs_for_org()
    due: dict[datetime, set[str]] = defaultdict(set)
    for e in timeline():
        if e["event"] not in LISTING_EVENTS or e["org"].lower() not in labs_for_org:
            continue
        at = parse_time(e["at"])
        if not BASELINE_AT < at <= END_AT:
            continue
        ticks = -(-(at - BASELINE_AT) // step)  # ceiling: the first poll at or after the change
        due[BASELINE_AT + ticks * step].add(labs_for_org[e["org"].lower()].slug)
    for at in sorted(due):
        yield at, sorted(due[at])


def replay(store: Store, settings: Settings, watchlist: Watchlist, *, step: timedelta = timedelta(hours=1)) -> None:
    """Baseline every watched lab at BASELINE_AT, then poll each listing change (``poll_plan``)."""
    with ReplayServer(now=BASELINE_AT) as hub:
        settings = settings.model_copy(update={"hf_endpoint": hub.hf_endpoint, "arxiv_endpoint": hub.arxiv_endpoint})
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        for at, labs in poll_plan(watchlist, step):
            hub.set_now(at)
            poll_once(settings, store, watchlist, sources=["hf"], labs=labs, clock=hub.clock.now)


@dataclass
class LaunchResult:
    """One answer launch as the replay stored and announced it."""

    title: str
    expected: list[str]
    found: bool
    whole: bool
    releases: int
    stored_title: str | None
    title_right: bool
    top_level: int
    replies: int


@dataclass
class DetectionScore:
    """Detection quality against the answer file (see ``score``)."""

    launches: list[LaunchResult]
    false_alerts: Counter[str] = field(default_factory=Counter)
    false_examples: list[str] = field(default_factory=list)
    org_moves: int = 0

    @property
    def found(self) -> int:
        return sum(r.found for r in self.launches)

    @property
    def split(self) -> int:
        return sum(r.releases > 1 for r in self.launches)

    @property
    def titles_right(self) -> int:
        return sum(r.title_right for r in self.launches)

    def lines(self) -> list[str]:
        n = len(self.launches)
        tops = Counter(r.top_level for r in self.launches)
        return [
            f"launches found: {self.found}/{n}",
            f"launches split: {self.split}; whole: {sum(r.whole for r in self.launches)}/{n}",
            f"titles exactly right: {self.titles_right}/{n} ({self.titles_right / n:.1%})",
            f"false alerts: {sum(self.false_alerts.values())} {dict(self.false_alerts)} {self.false_examples[:8]}",
            f"org_move notices: {self.org_moves}",
            f"top-level alerts per launch: {dict(sorted(tops.items()))}",
            f"thread replies: {sum(r.replies for r in self.launches)} over {n} launches",
        ]


def score(store: Store, answers: dict, *, moved: set[str] = frozenset()) -> DetectionScore:  # type: ignore[type-arg]
    """Compare what the replay stored and announced with the answers.

    A launch is *found* when one of its repos raised a ``release_detected``; *whole* when all its
    repos are in one release holding no other launch's repo; its title is *right* when that
    release's title is the answer's title or one of ``also_accept``. A detection event for a repo
    of no launch is a false alert: ``third-party``, ``moves`` (the ids in ``moved``) or ``decoys``.
    """
    ids: dict[str, str] = answers["ids"]
    with store.transaction() as session:
        arts = {a.external_id: (a.release_id, a.name) for a in session.scalars(select(Artifact))}
        titles = {r.id: r.title for r in session.scalars(select(Release))}
        events = session.execute(
            select(Event.type, Artifact.external_id).outerjoin(Artifact, Artifact.id == Event.artifact_id)
        ).all()
    members: dict[int, set[str]] = defaultdict(set)
    for ext, (rel, _) in arts.items():
        members[rel].add(ext)
    launch_of = {ids[r]: i for i, launch in enumerate(answers["launches"]) for r in launch["repos"]}
    third = {ids[r] for r in answers["third_party"]}
    top: Counter[int] = Counter()
    replies: Counter[int] = Counter()
    result = DetectionScore(launches=[])
    for etype, ext in events:
        if etype == EventType.ORG_MOVE.value:
            result.org_moves += 1
        if etype not in (EventType.RELEASE_DETECTED.value, EventType.VARIANT_ADDED.value) or ext is None:
            continue
        if ext in launch_of and ext not in moved:
            (top if etype == EventType.RELEASE_DETECTED.value else replies)[launch_of[ext]] += 1
        elif ext in arts and "/" in arts[ext][1]:  # a moved repo, or a model repo of no launch
            kind = "moves" if ext in moved else "third-party" if ext in third else "decoys"
            result.false_alerts[kind] += 1
            result.false_examples.append(arts[ext][1])
    for i, launch in enumerate(answers["launches"]):
        exts = [ids[r] for r in launch["repos"]]
        rels = {arts[e][0] for e in exts if e in arts}
        first = arts[exts[0]][0] if exts[0] in arts else None
        stored_title = titles.get(first) if first is not None else None
        others = {launch_of[e] for e in members.get(first, set()) if e in launch_of} if first else set()
        result.launches.append(
            LaunchResult(
                title=launch["title"],
                expected=[launch["title"], *launch["also_accept"]],
                found=top[i] > 0,
                whole=len(rels) == 1 and all(e in arts for e in exts) and others == {i},
                releases=len(rels),
                stored_title=stored_title,
                title_right=stored_title in (launch["title"], *launch["also_accept"]),
                top_level=top[i],
                replies=replies[i],
            )
        )
    return result


def moved_ids(watched_orgs: set[str]) -> set[str]:
    """Hub ids that moved into a watched org from an org not watched (timeline renames)."""
    return {
        e["_id"]
        for e in timeline()
        if e["event"] == "hf_model_renamed"
        and e["org"].lower() in watched_orgs
        and e["old_org"].lower() not in watched_orgs
    }
