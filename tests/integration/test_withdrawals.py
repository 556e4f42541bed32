"""Whole-release withdrawals through the real apply step (both backends), on invented repos.

A launch public for 40 minutes and then deleted gets a ``release_withdrawn`` held for the grace
period, and the family's next repo starts a new announced release; a repo restored within the
grace cancels the held event (nothing visible); one restored after the event went out gets a
``release_restored``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.factories import lab_config, observation
from tracker.config import Settings
from tracker.domain import SourceKind, SourceResult
from tracker.pipeline import apply_result
from tracker.store import Store
from tracker.store.models import Event, Release

T0 = datetime(2025, 3, 1, 12, tzinfo=UTC)
LAB = lab_config(slug="acme", name="Acme", country="US", hf_orgs=("acme",))


def _poll(store: Store, settings: Settings, at: datetime, *names: str) -> None:
    result = SourceResult(
        source=SourceKind.HF,
        lab="acme",
        observations=[observation(n, created_at=T0 - timedelta(days=1)) for n in names],
        complete_scopes={"hf:acme"},
    )
    with store.transaction() as session:
        report = apply_result(session, settings=settings, lab=LAB, result=result, now=at)
    assert report.error is None


def _events(store: Store, type_: str) -> list[Event]:
    with store.transaction() as session:
        rows = session.scalars(select(Event).where(Event.type == type_).order_by(Event.id)).all()
        session.expunge_all()
        return list(rows)


def _release_of(store: Store, title: str) -> Release:
    with store.transaction() as session:
        release = session.scalars(select(Release).where(Release.title == title).order_by(Release.id)).first()
        assert release is not None
        session.expunge(release)
        return release


def test_a_launch_withdrawn_after_40_minutes_then_the_real_launch(store: Store, backend_settings: Settings) -> None:
    _poll(store, backend_settings, T0, "acme/Old-7B")  # baseline
    t1 = T0 + timedelta(days=1)
    _poll(store, backend_settings, t1, "acme/Old-7B", "acme/Zeta-7B")
    _poll(store, backend_settings, t1 + timedelta(minutes=40), "acme/Old-7B")
    withdrawn = _events(store, "release_withdrawn")
    assert len(withdrawn) == 1
    event, first = withdrawn[0], _release_of(store, "Zeta")
    assert event.release_id == first.id and event.payload["public_for_s"] == 40 * 60
    assert event.not_before is not None and event.cancelled_at is None
    assert event.not_before.replace(tzinfo=UTC) == t1 + timedelta(minutes=40, seconds=3600)
    assert first.withdrawn_at is not None

    later = t1 + timedelta(days=3)
    _poll(store, backend_settings, later, "acme/Old-7B", "acme/Zeta-7B-Instruct")
    detected = _events(store, "release_detected")
    assert len(detected) == 2 and detected[1].release_id != first.id, "the real launch is announced"
    with store.transaction() as session:
        real = session.get(Release, detected[1].release_id)
        assert real is not None and real.family_release_id is None and real.withdrawn_at is None


def test_restored_within_the_grace_changes_nothing_visible(store: Store, backend_settings: Settings) -> None:
    _poll(store, backend_settings, T0, "acme/Old-7B")
    t1 = T0 + timedelta(days=1)
    _poll(store, backend_settings, t1, "acme/Old-7B", "acme/Zeta-7B")
    _poll(store, backend_settings, t1 + timedelta(minutes=10), "acme/Old-7B")
    _poll(store, backend_settings, t1 + timedelta(minutes=30), "acme/Old-7B", "acme/Zeta-7B")
    (event,) = _events(store, "release_withdrawn")
    assert event.cancelled_at is not None and event.dispatched_at is None
    assert _events(store, "release_restored") == []
    assert _release_of(store, "Zeta").withdrawn_at is None


def test_restored_after_the_notice_went_out(store: Store, backend_settings: Settings) -> None:
    _poll(store, backend_settings, T0, "acme/Old-7B")
    t1 = T0 + timedelta(days=1)
    _poll(store, backend_settings, t1, "acme/Old-7B", "acme/Zeta-7B")
    _poll(store, backend_settings, t1 + timedelta(minutes=10), "acme/Old-7B")
    with store.transaction() as session:  # the dispatcher sent it after the grace
        event = session.scalars(select(Event).where(Event.type == "release_withdrawn")).one()
        event.dispatched_at = t1 + timedelta(minutes=75)
    _poll(store, backend_settings, t1 + timedelta(hours=3), "acme/Old-7B", "acme/Zeta-7B")
    (restored,) = _events(store, "release_restored")
    assert restored.payload == {"restored_at": (t1 + timedelta(hours=3)).isoformat()}
    assert _events(store, "release_withdrawn")[0].cancelled_at is None


def test_baseline_history_withdrawn_is_marked_but_never_announced(store: Store, backend_settings: Settings) -> None:
    _poll(store, backend_settings, T0, "acme/Old-7B", "acme/Other-1B")
    _poll(store, backend_settings, T0 + timedelta(days=1), "acme/Other-1B")
    assert _events(store, "release_withdrawn") == []
    assert _release_of(store, "Old").withdrawn_at is not None
