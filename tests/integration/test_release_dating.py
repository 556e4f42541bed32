"""What a release's date rests on, and no second release for a launch that began before the baseline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.factories import lab_config, observation
from tracker.config import Settings
from tracker.domain import SourceKind, SourceResult
from tracker.pipeline import apply_result
from tracker.store import Store
from tracker.store.models import Event, Release

BASELINE = datetime(2025, 7, 25, 12, tzinfo=UTC)
CREATED = datetime(2025, 7, 16, 9, tzinfo=UTC)  # created in private long before it went public
LAB = lab_config(slug="acme", name="Acme", country="US", hf_orgs=("acme",))


def _poll(store: Store, settings: Settings, at: datetime, *names: str) -> None:
    result = SourceResult(
        source=SourceKind.HF,
        lab="acme",
        observations=[observation(n, created_at=CREATED) for n in names],
        complete_scopes={"hf:acme"},
    )
    with store.transaction() as session:
        assert apply_result(session, settings=settings, lab=LAB, result=result, now=at).error is None


def _releases(store: Store) -> list[tuple[str, str | None, int | None, bool]]:
    with store.transaction() as session:
        rows = session.scalars(select(Release).order_by(Release.id)).all()
        return [(r.title, r.released_at_source, r.family_release_id, r.baseline) for r in rows]


def test_baseline_is_dated_by_creation_and_says_so(store: Store, backend_settings: Settings) -> None:
    _poll(store, backend_settings, BASELINE, "acme/Zeta-2507-235B")
    _poll(store, backend_settings, BASELINE + timedelta(hours=30), "acme/Zeta-2507-235B", "acme/Nova-8B")
    assert _releases(store) == [("Zeta-2507", "created_at", None, True), ("Nova", "first_seen", None, False)]


def test_a_repo_soon_after_the_baseline_joins_the_launch_it_belongs_to(
    store: Store, backend_settings: Settings
) -> None:
    # the baseline release is dated 07-16 (creation), but it was listed only on 07-25: a repo of
    # the same launch on 07-26 joins it instead of becoming a second "Zeta-2507"
    _poll(store, backend_settings, BASELINE, "acme/Zeta-2507-235B")
    _poll(store, backend_settings, BASELINE + timedelta(hours=30), "acme/Zeta-2507-235B", "acme/Zeta-2507-30B")
    assert [t for t, *_ in _releases(store)] == ["Zeta-2507"]
    with store.transaction() as session:
        (event,) = session.scalars(select(Event)).all()
        assert event.type == "variant_added"


def test_a_repo_days_after_the_baseline_is_a_wave_of_it(store: Store, backend_settings: Settings) -> None:
    _poll(store, backend_settings, BASELINE, "acme/Zeta-2507-235B")
    _poll(store, backend_settings, BASELINE + timedelta(days=6), "acme/Zeta-2507-235B", "acme/Zeta-2507-30B")
    _, wave = _releases(store)
    with store.transaction() as session:
        first_id = session.scalars(select(Release.id).where(Release.baseline.is_(True))).one()
        wave_row = session.scalars(select(Release).where(Release.baseline.is_(False))).one()
        assert wave_row.attrs["wave"] == {"family_title": "Zeta-2507", "new_sizes": "30B"}
    assert wave == ("Zeta-2507", "first_seen", first_id, False)
