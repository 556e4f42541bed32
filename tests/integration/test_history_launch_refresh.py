"""A poll refreshes each launch's title and sizes once, not once per member (which was quadratic
and held SQLite's write lock for ~50 s on a 1,000-repo org), with the same result. A first listing
goes through the bulk baseline, which describes each launch once from its final members."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import lab_config, observation
from tracker.config import Settings
from tracker.domain import SourceKind, SourceResult
from tracker.pipeline import apply_result, launches
from tracker.store import Store
from tracker.store.models import Event, Release

BASELINE = datetime(2025, 7, 25, 12, tzinfo=UTC)
CREATED = datetime(2025, 7, 16, 9, tzinfo=UTC)
LAB = lab_config(slug="acme", name="Acme", country="US", hf_orgs=("acme",))
SIZES = ["0.5B", "1.5B", "3B", "7B", "14B", "32B", "72B"]


def _poll(store: Store, settings: Settings, at: datetime, names: list[str]) -> None:
    result = SourceResult(
        source=SourceKind.HF,
        lab="acme",
        observations=[observation(n, created_at=CREATED + timedelta(minutes=i)) for i, n in enumerate(names)],
        complete_scopes={"hf:acme"},
    )
    with store.transaction() as session:
        assert apply_result(session, settings=settings, lab=LAB, result=result, now=at).error is None


def _launches(store: Store) -> list[tuple[str, str | None, int]]:
    with store.transaction(write=False) as session:
        rows = session.scalars(select(Release).order_by(Release.id)).all()
        return [
            (r.title, (r.attrs or {}).get("size_summary"), len((r.attrs or {}).get("grouped_by") or [])) for r in rows
        ]


@pytest.mark.parametrize("first_listing", [True, False], ids=["first-listing", "later-poll"])
def test_a_poll_refreshes_each_launch_once_with_every_member(
    store: Store, backend_settings: Settings, monkeypatch: pytest.MonkeyPatch, first_listing: bool
) -> None:
    at = BASELINE
    if not first_listing:  # a later poll: the live path, with events
        _poll(store, backend_settings, BASELINE, ["acme/Old-1B"])
        at = BASELINE + timedelta(hours=1)
    calls: list[int] = []
    refresh = launches.refresh_launch

    def counting(session, release, family_title=None):  # type: ignore[no-untyped-def]
        calls.append(release.id)
        refresh(session, release, family_title)

    monkeypatch.setattr(launches, "refresh_launch", counting)
    names = [f"acme/Zeta-2507-{size}-Instruct" for size in SIZES] + [f"acme/Nova-{size}" for size in SIZES[:3]]
    _poll(store, backend_settings, at, names if first_listing else ["acme/Old-1B", *names])

    found = [row for row in _launches(store) if row[0] != "Old"]
    # the bulk baseline describes each launch once without refreshing it; the live path refreshes once
    assert sorted(calls) == sorted(set(calls)) and len(calls) == (0 if first_listing else 2) and len(found) == 2
    assert [(title, summary) for title, summary, _ in found] == [("Zeta-2507", "0.5B–72B"), ("Nova", "0.5B–3B")]
    assert [grouped for *_, grouped in found] == [len(SIZES), 3]  # every member's reason kept


def test_a_live_arrival_is_titled_before_its_event_is_written(store: Store, backend_settings: Settings) -> None:
    _poll(store, backend_settings, BASELINE, ["acme/Zeta-2507-7B"])
    _poll(store, backend_settings, BASELINE + timedelta(hours=30), ["acme/Zeta-2507-7B", "acme/Zeta-2507-72B"])

    assert _launches(store) == [("Zeta-2507", "7B–72B", 2)]
    with store.transaction(write=False) as session:
        (event,) = session.scalars(select(Event)).all()
    assert event.type == "variant_added"
