"""A launch's report joins its launch; papers are attributed on evidence (both backends).

Runs the real storing step (``tracker.pipeline.apply.apply_result``) on results written here for
an invented lab, "Acme AI (Rocket)": weights and papers in either order, a paper alone, a
namesake's paper, a paper tagged by a lab repo, then the history lists.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import lab_config, observation
from tracker.config import Settings
from tracker.domain import ArtifactKind, EventType, Observation, SourceKind, SourceResult
from tracker.pipeline.apply import apply_result
from tracker.pipeline.report import PollReport
from tracker.sources.arxiv_query import lab_queries
from tracker.store import Store
from tracker.store import queries as q
from tracker.store.models import Artifact, Event, PaperCandidate, Release

LAB = lab_config(
    slug="acme",
    name="Acme AI (Rocket)",
    country="US",
    hf_orgs=("AcmeAI",),
    arxiv_teams=("Acme Team",),
    arxiv_authors=("Jin Xu", "An Yang"),
)
T0 = datetime(2025, 5, 1, 12, tzinfo=UTC)


@pytest.fixture
def run(store: Store, backend_settings: Settings) -> Iterator[Runner]:
    runner = Runner(store, backend_settings)
    runner.hf(at=T0 - timedelta(days=30))  # first listings: history, so what follows is live
    runner.arxiv(at=T0 - timedelta(days=30))
    yield runner


class Runner:
    def __init__(self, store: Store, settings: Settings):
        self.store = store
        self.settings = settings
        self.hf_seen: list[Observation] = []
        self.papers_seen: list[Observation] = []

    def _apply(self, result: SourceResult, at: datetime) -> PollReport:
        with self.store.transaction() as session:
            return apply_result(session, settings=self.settings, lab=LAB, result=result, now=at)

    def hf(self, *repos: Observation, at: datetime) -> None:
        self.hf_seen += repos
        result = SourceResult(SourceKind.HF, "acme", observations=list(self.hf_seen), complete_scopes={"hf:AcmeAI"})
        self._apply(result, at)

    def arxiv(self, *papers: Observation, at: datetime) -> PollReport:
        self.papers_seen += papers
        scopes = {f"arxiv:{query}" for query in lab_queries(LAB, self.settings.papers.category_list)}
        result = SourceResult(SourceKind.ARXIV, "acme", observations=list(self.papers_seen), complete_scopes=scopes)
        return self._apply(result, at)

    def session(self) -> AbstractContextManager[Session]:
        return self.store.transaction()


def repo(name: str, *, arxiv: tuple[str, ...] = ()) -> Observation:
    return observation(f"AcmeAI/{name}", attrs={"tags": [f"arxiv:{i}" for i in arxiv], "arxiv_ids": list(arxiv)})


def paper(arxiv_id: str, title: str, authors: list[str], published: datetime, summary: str = "") -> Observation:
    return Observation(
        source=SourceKind.ARXIV,
        external_id=arxiv_id,
        name=title,
        org=None,
        url=f"https://arxiv.org/abs/{arxiv_id}",
        kind=ArtifactKind.PAPER,
        created_at=published,
        version=1,
        attrs={"authors": authors, "summary": summary, "categories": ["cs.CL"]},
    )


def events(session: Session, type_: EventType) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.type == type_.value).order_by(Event.id)))


def release_of(session: Session, external_id: str) -> Release:
    return session.scalars(select(Artifact).where(Artifact.external_id == external_id)).one().release


def mark_dispatched(run: Runner, at: datetime) -> None:
    with run.store.transaction() as session:
        for event in session.scalars(select(Event).where(Event.dispatched_at.is_(None))):
            event.dispatched_at = at


REPORT = ["Acme Team", "Alice Smith"]


def test_report_after_its_launch_joins_it_and_is_not_announced_again(run: Runner) -> None:
    run.hf(repo("Rocket3-8B"), repo("Rocket3-70B"), at=T0)
    mark_dispatched(run, T0 + timedelta(minutes=1))  # the launch's alert went out
    later = T0 + timedelta(days=16)
    polled = run.arxiv(paper("2505.00001", "Rocket3 Technical Report", REPORT, later), at=later + timedelta(hours=3))
    assert polled.new_artifacts == 1 and polled.detections == [], "tracker poll shows no new release for a report"
    with run.session() as session:
        launch = release_of(session, "id-AcmeAI/Rocket3-8B")
        report = release_of(session, "2505.00001")
        assert report.merged_into_id == launch.id
        detected = [e for e in events(session, EventType.RELEASE_DETECTED) if e.release_id == report.id]
        assert len(detected) == 1 and detected[0].cancelled_at is not None and detected[0].dispatched_at is not None
        (linked,) = events(session, EventType.PAPER_LINKED)
        assert linked.release_id == launch.id and linked.dispatched_at is None
        assert linked.payload == {
            "paper_release_id": report.id,
            "arxiv_id": "2505.00001",
            "title": "Rocket3 Technical Report",
            "url": "https://arxiv.org/abs/2505.00001",
            "published_at": later.isoformat(),
            "after_launch_s": 16 * 86400,
        }
        candidate = session.scalars(select(PaperCandidate)).one()
        assert candidate.decision == "attributed" and candidate.evidence[0] == "team author 'Acme Team'"


def test_a_report_before_the_launch_alert_went_out_needs_no_follow_up(run: Runner) -> None:
    run.hf(repo("Rocket3-8B"), at=T0)
    run.arxiv(paper("2505.00001", "Rocket3 Technical Report", REPORT, T0), at=T0 + timedelta(minutes=20))
    with run.session() as session:
        assert release_of(session, "2505.00001").merged_into_id == release_of(session, "id-AcmeAI/Rocket3-8B").id
        assert events(session, EventType.PAPER_LINKED) == []


def test_a_paper_held_for_its_weights_is_absorbed_by_a_same_hour_launch(run: Runner) -> None:
    run.arxiv(paper("2505.00002", "Rocket3 Technical Report", REPORT, T0), at=T0)
    with run.session() as session:
        (held,) = events(session, EventType.RELEASE_DETECTED)
        assert held.not_before == T0 + timedelta(seconds=run.settings.papers.hold_s)
    run.hf(repo("Rocket3-8B"), at=T0 + timedelta(minutes=40))
    with run.session() as session:
        launch = release_of(session, "id-AcmeAI/Rocket3-8B")
        held = session.get(Event, held.id)
        assert held.cancelled_at is not None, "the held paper alert is never sent"
        assert release_of(session, "2505.00002").merged_into_id == launch.id
        live = [e for e in events(session, EventType.RELEASE_DETECTED) if e.cancelled_at is None]
        assert [e.release_id for e in live] == [launch.id], "one top-level alert for both"
        assert events(session, EventType.LAUNCH_LINKED) == []
        assert [p.external_id for p, _ in q.papers_for_release(session=session, release_id=launch.id)] == ["2505.00002"]


def test_weights_after_an_announced_paper_link_back_to_it(run: Runner) -> None:
    run.arxiv(paper("2505.00003", "Rocket3 Technical Report", REPORT, T0), at=T0)
    mark_dispatched(run, T0 + timedelta(hours=2))  # the paper alert went out after its hold
    run.hf(repo("Rocket3-8B"), at=T0 + timedelta(days=5))
    with run.session() as session:
        launch = release_of(session, "id-AcmeAI/Rocket3-8B")
        report = release_of(session, "2505.00003")
        assert report.merged_into_id == launch.id
        (linked,) = events(session, EventType.LAUNCH_LINKED)
        assert linked.release_id == report.id
        assert linked.payload == {"launch_release_id": launch.id, "title": launch.title, "url": launch.url}
        assert [e.release_id for e in events(session, EventType.RELEASE_DETECTED) if e.dispatched_at is None] == [
            launch.id
        ]


def test_a_paper_with_no_launch_in_the_window_stays_a_paper_alert(run: Runner) -> None:
    run.hf(repo("Rocket3-8B"), at=T0)
    late = T0 + timedelta(days=run.settings.papers.launch_after_days + 5)
    run.arxiv(paper("2507.00004", "Rocket3 Technical Report", REPORT, late), at=late)
    run.arxiv(paper("2507.00005", "Sparse Attention at Scale", REPORT, late), at=late + timedelta(hours=1))
    with run.session() as session:
        for arxiv_id in ("2507.00004", "2507.00005"):
            alone = release_of(session, arxiv_id)
            assert alone.merged_into_id is None
            (event,) = [e for e in events(session, EventType.RELEASE_DETECTED) if e.release_id == alone.id]
            assert event.cancelled_at is None and event.not_before is not None


def test_a_namesake_paper_fine_tuning_the_labs_model_is_not_stored(run: Runner) -> None:
    run.hf(repo("Rocket3-8B"), at=T0)
    decoy = paper(
        "2505.00006",
        "Efficient Legal Question Answering with a Fine-tuned Rocket3",
        ["Jin Xu", "Maria Gonzalez"],
        T0 + timedelta(days=3),
        summary="We fine-tune Rocket3-8B (AcmeAI) on court records.",
    )
    run.arxiv(decoy, at=T0 + timedelta(days=3))
    with run.session() as session:
        assert session.scalars(select(Artifact).where(Artifact.external_id == "2505.00006")).all() == []
        candidate = session.scalars(select(PaperCandidate)).one()
        assert candidate.decision == "rejected" and candidate.artifact_id is None
        assert candidate.evidence == ["one known author only: 'Jin Xu' (a namesake as likely as not)"]
        assert candidate.authors == ["Jin Xu", "Maria Gonzalez"]
        launch = release_of(session, "id-AcmeAI/Rocket3-8B")
        assert events(session, EventType.RELEASE_DETECTED)[-1].release_id == launch.id


def test_a_paper_tagged_by_a_lab_repo_is_attributed_whatever_its_authors(run: Runner) -> None:
    run.hf(repo("Rocket3-8B", arxiv=("2505.00007",)), at=T0)
    mark_dispatched(run, T0 + timedelta(minutes=1))
    run.arxiv(paper("2505.00007", "A Study of Long Context", ["Nobody Known"], T0), at=T0 + timedelta(days=1))
    with run.session() as session:
        candidate = session.scalars(select(PaperCandidate)).one()
        assert candidate.decision == "attributed"
        assert candidate.evidence == ["arxiv tag on AcmeAI/Rocket3-8B"]
        launch = release_of(session, "id-AcmeAI/Rocket3-8B")
        assert release_of(session, "2505.00007").merged_into_id == launch.id
        assert candidate.artifact_id is not None


def test_history_lists_a_launch_once_with_its_papers(run: Runner) -> None:
    run.hf(repo("Rocket3-8B"), at=T0)
    run.arxiv(paper("2505.00008", "Rocket3 Technical Report", REPORT, T0), at=T0 + timedelta(hours=1))
    run.arxiv(paper("2505.00009", "Sparse Attention at Scale", REPORT, T0), at=T0 + timedelta(hours=2))
    with run.session() as session:
        rows = q.list_release_dicts(session=session, flt=q.ReleaseFilter(since=T0 - timedelta(days=1)))
        assert [(r["title"], r["kind"]) for r in rows] == [("Sparse Attention at Scale", "paper"), ("Rocket3", "model")]
        assert [p["arxiv_id"] for p in rows[1]["papers"]] == ["2505.00008"]
        orm_rows = q.list_releases(session=session, flt=q.ReleaseFilter(since=T0 - timedelta(days=1)))
        assert len(orm_rows) == 2
        papers = q.list_release_dicts(session=session, flt=q.ReleaseFilter(kind="paper"))
        assert {r["papers"][0]["arxiv_id"] for r in papers} == {"2505.00008", "2505.00009"}
        assert {a.external_id for a in q.list_papers(session=session, lab="acme")} == {"2505.00008", "2505.00009"}


def test_a_rejected_paper_is_decided_again_when_a_lab_repo_tags_it(run: Runner) -> None:
    run.arxiv(paper("2505.00010", "A Study of Long Context", ["Nobody Known"], T0), at=T0)
    run.arxiv(at=T0 + timedelta(hours=1))  # the same listing: skipped whole
    with run.session() as session:
        assert session.scalars(select(PaperCandidate)).one().decision == "rejected"
    run.hf(repo("Rocket3-8B", arxiv=("2505.00010",)), at=T0 + timedelta(hours=2))
    run.arxiv(at=T0 + timedelta(hours=3))  # the same listing again, now looked at
    with run.session() as session:
        candidate = session.scalars(select(PaperCandidate)).one()
        assert candidate.decision == "attributed" and candidate.evidence == ["arxiv tag on AcmeAI/Rocket3-8B"]
        launch = release_of(session, "id-AcmeAI/Rocket3-8B")
        assert release_of(session, "2505.00010").merged_into_id == launch.id
