"""Download series, crossovers, derivative shares and relative adoption on invented snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tracker.adoption.relative import MIN_PEERS, ReleaseFacts, relative_adoption, size_bucket
from tracker.adoption.series import Point, crossover, months_between, series_by, shares
from tracker.adoption.shares import DerivativeRow, derivative_counts_by_month, share_by_month


def _at(month: int, day: int = 28) -> datetime:
    return datetime(2025, month, day, tzinfo=UTC)


def _p(artifact: int, at: datetime, downloads: int | None, all_time: int | None = None, **kw: object) -> Point:
    fields = {"release_id": artifact, "lab": "a", "country": "CN", **kw}
    return Point(artifact, fields["release_id"], fields["lab"], fields["country"], at, downloads, all_time)


def test_monthly_is_the_last_snapshot_of_the_month_and_cumulative_prefers_all_time() -> None:
    months = months_between("2025-01", "2025-04")
    points = [
        _p(1, _at(1, 10), 50),
        _p(1, _at(1, 28), 100),  # the month's last snapshot wins
        _p(1, _at(2), 80),
        # March: no snapshot -> 0 monthly, cumulative carried
        _p(1, _at(4), 30, all_time=500),  # all-time known: it replaces the running sum
    ]
    s = series_by(points, "release", months)["1"]
    assert s.monthly == {"2025-01": 100, "2025-02": 80, "2025-03": 0, "2025-04": 30}
    assert s.cumulative == {"2025-01": 100, "2025-02": 180, "2025-03": 180, "2025-04": 500}
    assert s.basis.snapshots == 4 and s.basis.all_time_points == 1
    assert s.basis.days == pytest.approx((_at(4) - _at(1, 10)).total_seconds() / 86400)


def test_groups_sum_their_artifacts() -> None:
    months = ["2025-01"]
    points = [_p(1, _at(1), 10, country="CN"), _p(2, _at(1), 5, country="CN"), _p(3, _at(1), 20, country="US")]
    by = series_by(points, "country", months)
    assert by["CN"].monthly["2025-01"] == 15 and by["US"].monthly["2025-01"] == 20
    assert shares({k: v.monthly["2025-01"] for k, v in by.items()}) == {"CN": 15 / 35, "US": 20 / 35}
    with pytest.raises(ValueError):
        series_by(points, "planet", months)


def test_crossover_needs_a_month_behind_and_ignores_empty_months() -> None:
    months = months_between("2025-01", "2025-05")
    assert crossover({"2025-03": 5, "2025-04": 9}, {"2025-03": 6, "2025-04": 8}, months) == "2025-04"
    # ahead from its first month with data: never crossed
    assert crossover({"2025-02": 9, "2025-03": 9}, {"2025-02": 1, "2025-03": 1}, months) is None
    # both empty then a ahead: no month where b led
    assert crossover({"2025-05": 3}, {}, months) is None
    assert crossover({}, {"2025-01": 1}, months) is None


def test_derivative_share_counts_a_repo_once_per_group() -> None:
    rows = [
        DerivativeRow("x/q1", "quantized", "qwen", "CN", _at(1, 3)),
        DerivativeRow("x/q1", "quantized", "qwen", "CN", _at(1, 4)),  # same repo, second base
        DerivativeRow("x/l1", "finetune", "meta", "US", _at(1, 5)),
        DerivativeRow("x/l2", "finetune", "meta", "US", _at(2, 5)),
    ]
    assert derivative_counts_by_month(rows, "country") == {"2025-01": {"CN": 1, "US": 1}, "2025-02": {"US": 1}}
    assert share_by_month(rows, "lab")["2025-01"] == {"qwen": 0.5, "meta": 0.5}


@pytest.mark.parametrize(
    ("params", "bucket"),
    [
        (None, None),
        (0.6, "<10B"),
        (9.99, "<10B"),
        (10, "10-100B"),
        (235, "100-250B"),
        (250, "100-250B"),
        (671, ">250B"),
    ],
)
def test_size_buckets(params: float | None, bucket: str | None) -> None:
    assert size_bucket(params) == bucket


def _release(i: int, start: datetime, size: float) -> ReleaseFacts:
    return ReleaseFacts(i, "lab", f"R{i}", start, size)


def test_relative_adoption_against_the_median_of_earlier_peers_at_the_same_age() -> None:
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    facts = [_release(i, t0 + timedelta(days=10 * i), 30.0) for i in range(1, 5)]
    facts.append(_release(9, t0 + timedelta(days=5), 700.0))  # other bucket: never a peer
    points = []
    for f, value in zip(facts, (100, 200, 300, 1200, 10**6), strict=True):
        points.append(Point(f.release_id, f.release_id, "lab", "CN", f.released_at + timedelta(days=7), value, None))
    derivs = {4: [facts[3].released_at + timedelta(days=1)] * 6, 1: [t0 + timedelta(days=11)] * 2}
    now = facts[3].released_at + timedelta(days=7)
    rel = relative_adoption(facts, points, derivs, release_id=4, now=now)
    assert rel is not None and rel.bucket == "10-100B" and rel.age_days == 7.0
    assert rel.peers == MIN_PEERS and rel.peer_median == 200
    assert rel.downloads_ratio == 6.0
    assert rel.derivatives == 6 and rel.derivatives_ratio is None  # peers' median derivatives is 0
    # too few peers: no ratio, the figure says so by its peer count
    early = relative_adoption(facts, points, derivs, release_id=2, now=now, age_days=7)
    assert early is not None and early.peers == 1 and early.downloads_ratio is None


def test_downloads_at_age_interpolate_all_time_between_snapshots() -> None:
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    facts = [_release(i, t0 + timedelta(days=i), 30.0) for i in range(1, 6)]
    points = []
    for f in facts:  # monthly snapshots: none at age 10 exactly; all-time grows 100 a day
        for age in (20, 50):
            points.append(
                Point(f.release_id, f.release_id, "lab", "CN", f.released_at + timedelta(days=age), 0, 100 * age)
            )
    rel = relative_adoption(facts, points, {}, release_id=5, now=facts[4].released_at + timedelta(days=60), age_days=10)
    assert rel is not None and rel.downloads == 1000 and rel.peer_median == 1000 and rel.downloads_ratio == 1.0
