"""Reports of real launches on the shared corpus (replay hub, packaged watchlist, both backends).

Kimi K2's report came 17 days after its weights, MiniMax-M1's five hours after: neither is a new
release; each joins its launch with one ``paper_linked`` event (the launch's alert had gone out).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from tests.factories import packaged
from tracker.config import Settings
from tracker.domain import EventType
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.store.models import Artifact, Event


def _dispatch(store: Store, now: datetime) -> None:
    """What the outbox dispatcher does with due events (cancelled ones are already marked)."""
    with store.transaction() as session:
        session.execute(
            update(Event)
            .where(Event.dispatched_at.is_(None), Event.not_before.is_(None) | (Event.not_before <= now))
            .values(dispatched_at=now)
        )


@pytest.mark.parametrize(
    ("lab", "baseline", "weights", "report", "arxiv_id", "launch_title"),
    [
        ("moonshot", (2025, 7, 1), (2025, 7, 11, 13, 10), (2025, 7, 28, 6, 0), "2507.20534", "Kimi-K2"),
        ("minimax", (2025, 6, 1), (2025, 6, 16, 10, 10), (2025, 6, 16, 15, 20), "2506.13585", "MiniMax-M1"),
    ],
)
def test_a_real_report_after_its_launch_joins_it(
    store: Store,
    backend_settings: Settings,
    lab: str,
    baseline: tuple[int, ...],
    weights: tuple[int, ...],
    report: tuple[int, ...],
    arxiv_id: str,
    launch_title: str,
) -> None:
    watchlist = packaged(lab)
    with ReplayServer(now=datetime(*baseline, tzinfo=UTC)) as hub:
        settings = backend_settings.model_copy(
            update={"hf_endpoint": hub.hf_endpoint, "arxiv_endpoint": hub.arxiv_endpoint}
        )
        poll_once(settings, store, watchlist, sources=["hf", "arxiv"], clock=hub.clock.now)
        for at in (datetime(*weights, tzinfo=UTC), datetime(*report, tzinfo=UTC)):
            hub.set_now(at)
            _dispatch(store, at)
            poll_once(settings, store, watchlist, sources=["hf", "arxiv"], clock=hub.clock.now)
    with store.transaction() as session:
        paper = session.scalars(select(Artifact).where(Artifact.external_id == arxiv_id)).one()
        launch_id = paper.release.merged_into_id
        assert launch_id is not None, "the report joined its launch"
        events = list(session.scalars(select(Event).where(Event.created_at >= datetime(*weights, tzinfo=UTC))))
        top_level = [e for e in events if e.type == EventType.RELEASE_DETECTED.value and e.cancelled_at is None]
        assert [e.payload["title"] for e in top_level] == [launch_title], "one top-level alert: the launch"
        (linked,) = [e for e in events if e.type == EventType.PAPER_LINKED.value]
        assert linked.release_id == launch_id and linked.payload["arxiv_id"] == arxiv_id
        expected = datetime(*report, tzinfo=UTC) - datetime(*weights, tzinfo=UTC)
        assert abs(linked.payload["after_launch_s"] - expected.total_seconds()) < timedelta(hours=2).total_seconds()
