"""Replay the shared 2025 timeline's papers and launches, and score papers against the answers.

The packaged corpus (``tracker/replay/corpus``) is served by the replay hub; the packaged
watchlist is polled through the real pipeline (SQLite in a temporary folder): every watched lab's
Hub orgs and arXiv queries once at the baseline (2024-12-01), then each lab's Hub listing or arXiv
query ``--delay`` minutes after each of its timeline events. Before each poll, the events due by
then are marked dispatched (what ``tracker.outbox.dispatch`` does: ``not_before`` honoured,
cancelled events never sent), so a held paper is absorbed only by weights that really came
within its hold.

Printed, against ``tests/fixtures/detection_answers.json`` (labelled by hand):

* papers attributed right: stored under the answer's lab (baseline papers included);
* namesake/decoys attributed (target 0): stored papers the answers do not give to that lab, and
  invented decoys (for every lab: one of its known people, with namesakes, fine-tuning one of
  its stored families, the family named in the abstract and as a base in the title) run through
  the same attribution with the lab's stored families;
* reports announced separately after their launch (target 0): 'joins' papers whose own alert
  was sent;
* paper-only alerts: 'paper_alert' / 'before_launch' papers whose alert was sent (target: all);
* before-launch papers linked to their launch (launch_linked written);
* recall misses: the lab's papers not attributed, with the recorded reason.

Usage::

    python bench/detection_papers.py            # about a minute on 2 cores
    python bench/detection_papers.py --delay 30
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from tracker.config import Settings
from tracker.domain import EventType
from tracker.grouping.attribution import attribute, lab_identity
from tracker.pipeline import poll_once
from tracker.replay.clock import parse_time
from tracker.replay.corpus import CORPUS_DIR
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import Artifact, Event, Lab, PaperCandidate, Release
from tracker.watchlist import Watchlist, load_watchlist

ANSWERS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "detection_answers.json"
BASELINE_AT = datetime(2024, 12, 1, tzinfo=UTC)
END_AT = datetime(2026, 1, 1, tzinfo=UTC)
LISTING_EVENTS = frozenset({"hf_model_public", "hf_model_renamed", "hf_model_deleted"})


def plan(watchlist: Watchlist, delay: timedelta) -> list[tuple[datetime, str, list[str]]]:
    """(poll time, source, labs): each lab's source polled ``delay`` after each of its events."""
    labs_for_org = watchlist.labs_for_org()
    slugs = {lab.slug for lab in watchlist.labs}
    steps: dict[tuple[datetime, str], set[str]] = {}
    for line in (CORPUS_DIR / "timeline.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        event = json.loads(line)
        at = parse_time(event["at"])
        if not BASELINE_AT < at <= END_AT:
            continue
        if event["event"] == "arxiv_paper" and event.get("lab") in slugs:
            steps.setdefault((at + delay, "arxiv"), set()).add(event["lab"])
        elif event["event"] in LISTING_EVENTS and (event.get("org") or "").lower() in labs_for_org:
            steps.setdefault((at + delay, "hf"), set()).add(labs_for_org[event["org"].lower()].slug)
    return [(at, source, sorted(labs)) for (at, source), labs in sorted(steps.items())]


def dispatch_due(store: Store, now: datetime) -> None:
    """Mark every event due by ``now`` dispatched, as the outbox dispatcher would."""
    with store.transaction() as session:
        session.execute(
            update(Event)
            .where(Event.dispatched_at.is_(None), (Event.not_before.is_(None)) | (Event.not_before <= now))
            .values(dispatched_at=now)
        )


def replay(store: Store, settings: Settings, delay: timedelta) -> int:
    """Run the replay; returns the number of polls."""
    watchlist = load_watchlist()
    steps = plan(watchlist, delay)
    with ReplayServer(now=BASELINE_AT) as hub:
        settings = settings.model_copy(update={"hf_endpoint": hub.hf_endpoint, "arxiv_endpoint": hub.arxiv_endpoint})
        poll_once(settings, store, watchlist, sources=["hf", "arxiv"], clock=hub.clock.now)
        for at, source, labs in steps:
            hub.set_now(at)
            dispatch_due(store, at)
            poll_once(settings, store, watchlist, sources=[source], labs=labs, clock=hub.clock.now)
    dispatch_due(store, END_AT + timedelta(days=1))
    return len(steps) + 1


def decoys_attributed(store: Store, watchlist: Watchlist) -> tuple[int, int]:
    """(attributed, total) over invented namesake decoys, two per lab with known people or teams."""
    attributed = total = 0
    with store.transaction() as session:
        for lab in watchlist.labs:
            lab_id = session.scalar(select(Lab.id).where(Lab.slug == lab.slug))
            families = set(session.scalars(select(Release.family).where(Release.lab_id == lab_id))) if lab_id else set()
            family = sorted(families)[0] if families else lab.slug
            ident = lab_identity(lab)
            people = [*lab.arxiv_authors, *lab.arxiv_teams][:1]
            for person in people:
                for title in (
                    f"Efficient Clinical Question Answering by Fine-tuning {family} on Hospital Notes",
                    f"MedTune: A Medical Assistant Built on {family}",
                ):
                    # a namesake shares a personal name; a team name is never a namesake's, so the
                    # decoy then carries the person only when there is one
                    authors = [person, "Maria Gonzalez", "Peter Novak"] if lab.arxiv_authors else ["Maria Gonzalez"]
                    total += 1
                    decision = attribute(title=title, authors=authors, ident=ident, family_keys=families)
                    attributed += int(decision.attributed)
    return attributed, total


def score(store: Store) -> dict[str, object]:
    """The printed figures (see the module docstring)."""
    answers = {p["arxiv_id"]: p for p in json.loads(ANSWERS.read_text(encoding="utf-8"))["papers"]}
    with store.transaction() as session:
        stored = {
            a.external_id: (slug, release)
            for a, slug, release in session.execute(
                select(Artifact, Lab.slug, Release)
                .join(Lab, Lab.id == Artifact.lab_id)
                .join(Release, Release.id == Artifact.release_id)
                .where(Artifact.source == "arxiv")
            )
        }
        sent = {
            e.release_id
            for e in session.scalars(
                select(Event).where(
                    Event.type == EventType.RELEASE_DETECTED.value,
                    Event.cancelled_at.is_(None),
                    Event.dispatched_at.is_not(None),
                )
            )
        }
        linked_back = set(session.scalars(select(Event.release_id).where(Event.type == EventType.LAUNCH_LINKED.value)))
        candidates = list(session.scalars(select(PaperCandidate)))
        reasons = {c.arxiv_id: c.evidence for c in candidates}
        first_seen = {c.arxiv_id: c.first_seen_at for c in candidates}
    right = [i for i, p in answers.items() if i in stored and stored[i][0] == p["lab"]]
    wrong_lab = [i for i in stored if i not in answers or stored[i][0] != answers[i]["lab"]]
    joins = [i for i, p in answers.items() if p["outcome"] == "joins" and i in stored]
    separately = [i for i in joins if stored[i][1].id in sent]
    alone = [i for i, p in answers.items() if p["outcome"] in ("paper_alert", "before_launch")]
    alerted = [i for i in alone if i in stored and stored[i][1].id in sent]
    before = [i for i, p in answers.items() if p["outcome"] == "before_launch" and i in stored]
    return {
        "right": (len(right), len(answers)),
        "wrong_lab": wrong_lab,
        "separately": (separately, len(joins)),
        "alerted": (alerted, alone),
        "linked_back": ([i for i in before if stored[i][1].id in linked_back], before),
        "missed": {i: reasons.get(i, ["never returned by the lab's query"]) for i in answers if i not in stored},
        "not_alerted": {
            i: f"first seen {first_seen.get(i)}, stored {'as history' if stored[i][1].baseline else 'live'} "
            f"on {stored[i][1].first_seen_at}, evidence: {'; '.join(reasons.get(i, []))}"
            for i in alone
            if i in stored and i not in alerted
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay", type=float, default=10.0, help="minutes from an event to the poll that sees it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), arxiv_min_interval=0)
        store = Store.open(settings, migrate=True)
        started = time.perf_counter()
        polls = replay(store, settings, timedelta(minutes=args.delay))
        elapsed = time.perf_counter() - started
        result = score(store)
        decoys, decoy_total = decoys_attributed(store, load_watchlist())
        store.dispose()
    right, total = result["right"]
    separately, joins = result["separately"]
    alerted, alone = result["alerted"]
    linked, before = result["linked_back"]
    print(f"replay: {polls} polls in {elapsed:.0f} s (poll {args.delay:g} min after each event)")
    print(f"papers attributed right: {right}/{total}")
    print(
        f"namesake/decoys attributed: {len(result['wrong_lab']) + decoys} (target 0): "
        f"corpus papers under a wrong lab {len(result['wrong_lab'])} {result['wrong_lab']}, "
        f"invented decoys {decoys}/{decoy_total}"
    )
    print(f"reports announced separately after their launch: {len(separately)} of {joins} (target 0) {separately}")
    print(
        f"paper-only alerts: {len(alerted)}/{len(alone)} papers without a launch alerted "
        f"(missing: {sorted(set(alone) - set(alerted))})"
    )
    print(f"before-launch papers linked to their launch: {len(linked)}/{len(before)}")
    for arxiv_id, why in sorted(result["not_alerted"].items()):
        print(f"  not alerted {arxiv_id}: {why}")
    for arxiv_id, why in sorted(result["missed"].items()):
        print(f"  recall miss {arxiv_id}: {'; '.join(why)}")


if __name__ == "__main__":
    main()
