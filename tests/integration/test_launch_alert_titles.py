"""A launch's alerts carry its title over every repo the poll stored, not its first repo's alone.

Names are invented: the title rules (``grouping.titles``) keep some suffixes (context lengths,
``-Thinking``) and drop others (sizes, ``-Instruct``, ``FP8``); whichever repo of a launch is
stored first, its alert must say what the launch is called once all of them are in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import lab_config, observation
from tracker.config import Settings
from tracker.domain import Observation, SourceKind, SourceResult
from tracker.pipeline import PollReport, apply_result
from tracker.store import Store
from tracker.store.models import Event, Release

BASELINE = datetime(2025, 9, 1, 12, tzinfo=UTC)
LIVE = BASELINE + timedelta(days=3)
LAB = lab_config(slug="acme", name="Acme", country="US", hf_orgs=("acme",))
OLD = observation("acme/Legacy-1-7B", created_at=BASELINE - timedelta(days=90))


def _repos(*names: str, tags: tuple[str, ...] = ()) -> list[Observation]:
    """New repos created a minute apart in the order given (the order the poll stores them)."""
    start = LIVE - timedelta(hours=1)
    return [
        observation(n, created_at=start + timedelta(minutes=i), attrs={"tags": list(tags)}) for i, n in enumerate(names)
    ]


def _poll(store: Store, settings: Settings, at: datetime, observations: list[Observation]) -> PollReport:
    result = SourceResult(source=SourceKind.HF, lab="acme", observations=observations, complete_scopes={"hf:acme"})
    with store.transaction() as session:
        report = apply_result(session, settings=settings, lab=LAB, result=result, now=at)
    assert report.error is None
    return report


@pytest.mark.parametrize(
    ("names", "tags", "title"),
    [
        # a kept suffix (context length) that differs between the repos: the family's shared words
        (("acme/Zeta-3-80k", "acme/Zeta-3-40k"), (), "Zeta-3"),
        # a kept word on the first repo only, a dropped one on the second
        (("acme/Nova-2-30B-Thinking", "acme/Nova-2-30B-Instruct", "acme/Nova-2-8B-Instruct-FP8"), (), "Nova-2"),
        # only dropped suffixes differ: the first repo's title was already the launch's
        (("acme/Orca-5-8B", "acme/Orca-5-8B-FP8", "acme/Orca-5-70B-Instruct"), (), "Orca-5"),
        # two families joined by a shared new paper: the other family never changes the title
        (("acme/Vela-4-16k", "acme/Vela-4-Embed-1B", "acme/Vela-4-4k"), ("arxiv:2508.01234",), "Vela-4"),
    ],
)
def test_every_alert_of_a_launch_stored_in_one_poll_carries_its_settled_title(
    store: Store, backend_settings: Settings, names: tuple[str, ...], tags: tuple[str, ...], title: str
) -> None:
    _poll(store, backend_settings, BASELINE, [OLD])
    report = _poll(store, backend_settings, LIVE, [OLD, *_repos(*names, tags=tags)])
    with store.transaction() as session:
        (release,) = session.scalars(select(Release).where(Release.baseline.is_(False))).all()
        assert release.title == title, "the stored launch"
        events = session.scalars(select(Event).order_by(Event.id)).all()
        assert [e.type for e in events] == ["release_detected"] + ["variant_added"] * (len(names) - 1)
        assert [e.payload["artifact"]["name"] for e in events] == list(names), "in arrival order"
        assert {e.payload["title"] for e in events} == {title}, "every alert names the launch"
    assert [d.title for d in report.detections] == [title] * len(names)
    assert [d.artifact for d in report.detections] == list(names)


def test_a_repo_of_a_later_poll_leaves_the_sent_alert_as_it_was(store: Store, backend_settings: Settings) -> None:
    # the first alert went out alone; a repo an hour later settles the stored title and its own alert
    _poll(store, backend_settings, BASELINE, [OLD])
    first, second = _repos("acme/Zeta-3-80k", "acme/Zeta-3-40k")
    _poll(store, backend_settings, LIVE, [OLD, first])
    _poll(store, backend_settings, LIVE + timedelta(hours=1), [OLD, first, second])
    with store.transaction() as session:
        assert session.scalars(select(Release.title).where(Release.baseline.is_(False))).one() == "Zeta-3"
        titles = [e.payload["title"] for e in session.scalars(select(Event).order_by(Event.id))]
    assert titles == ["Zeta-3-80k", "Zeta-3"]
