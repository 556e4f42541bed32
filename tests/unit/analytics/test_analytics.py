"""Cadence and country-share formulas on hand-computed examples (tracker.analytics)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tracker.analytics import (
    build_cadence,
    build_country_share,
    build_download_share,
    iso_week,
    month_start,
    week_start,
)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# now: Wednesday 2025-05-07 12:00 UTC, in ISO week 2025-W19 (Monday 2025-05-05).
NOW = _utc(2025, 5, 7, 12)
RELEASES = [
    _utc(2025, 4, 29, 6),  # W18 (listed out of order on purpose)
    _utc(2025, 4, 7),  # W15
    _utc(2025, 4, 14, 12),  # W16
    _utc(2025, 4, 28, 6),  # W18
    _utc(2025, 5, 6),  # W19
    _utc(2025, 5, 10),  # after now: ignored
]


def test_week_helpers() -> None:
    assert week_start(date(2025, 5, 7)) == date(2025, 5, 5)
    assert week_start(_utc(2025, 5, 11, 23, 59)) == date(2025, 5, 5)  # Sunday belongs to the week before Monday
    assert iso_week(date(2025, 5, 5)) == "2025-W19"
    assert iso_week(date(2024, 12, 30)) == "2025-W01"  # ISO year differs from the calendar year
    assert month_start(_utc(2025, 1, 15, 8), months_back=2) == _utc(2024, 11, 1)


def test_gaps_median_longest_and_days_since_last() -> None:
    c = build_cadence("qwen", RELEASES, now=NOW, weeks=6)
    # gaps: 04-07 00:00 -> 04-14 12:00 = 7.5 d; -> 04-28 06:00 = 13.75 d; -> 04-29 06:00 = 1 d;
    # -> 05-06 00:00 = 6.75 d
    assert c.gaps_days == (7.5, 13.75, 1.0, 6.75)
    assert c.median_gap_days == pytest.approx((6.75 + 7.5) / 2)  # 7.125
    assert c.longest_gap_days == 13.75
    assert c.days_since_last == 1.5  # 05-06 00:00 -> 05-07 12:00
    assert c.releases == 5
    assert c.first_release_at == _utc(2025, 4, 7) and c.last_release_at == _utc(2025, 5, 6)


def test_releases_per_iso_week_zero_filled_current_week_last() -> None:
    c = build_cadence("qwen", RELEASES, now=NOW, weeks=6)
    assert [(w.week, w.start, w.releases) for w in c.weekly] == [
        ("2025-W14", date(2025, 3, 31), 0),
        ("2025-W15", date(2025, 4, 7), 1),
        ("2025-W16", date(2025, 4, 14), 1),
        ("2025-W17", date(2025, 4, 21), 0),
        ("2025-W18", date(2025, 4, 28), 2),
        ("2025-W19", date(2025, 5, 5), 1),
    ]


def test_trailing_rates() -> None:
    c = build_cadence("qwen", RELEASES, now=NOW)
    # 4 weeks back = 2025-04-09 12:00: 04-14, 04-28, 04-29, 05-06 -> 4 / 4
    assert c.rates[4] == 1.0
    assert c.rates[8] == 5 / 8
    assert c.rates[12] == 5 / 12


def test_streak_counts_back_from_current_week() -> None:
    assert build_cadence("qwen", RELEASES, now=NOW).streak_weeks == 2  # W19, W18; W17 empty
    # Monday of W20, nothing yet this week: the week is in progress, the streak still stands.
    assert build_cadence("qwen", RELEASES, now=_utc(2025, 5, 12, 10)).streak_weeks == 2
    # W21: the whole of W20 passed without a release: broken.
    assert build_cadence("qwen", RELEASES[:-1], now=_utc(2025, 5, 19, 10)).streak_weeks == 0


def test_no_or_one_release() -> None:
    empty = build_cadence("mistral", [], now=NOW, weeks=2)
    assert (empty.releases, empty.median_gap_days, empty.longest_gap_days, empty.days_since_last) == (
        0,
        None,
        None,
        None,
    )
    assert empty.streak_weeks == 0 and empty.rates == {4: 0.0, 8: 0.0, 12: 0.0}
    assert [w.releases for w in empty.weekly] == [0, 0]
    one = build_cadence("mistral", [_utc(2025, 5, 1)], now=NOW)
    assert one.gaps_days == () and one.median_gap_days is None and one.days_since_last == 6.5
    d = one.to_dict()
    assert d["last_release_at"] == "2025-05-01T00:00:00Z" and d["rate_4w"] == 0.25
    with pytest.raises(ValueError):
        build_cadence("x", [], now=NOW, weeks=0)


def test_country_share_per_month_zero_filled() -> None:
    rows = [
        ("CN", _utc(2025, 4, 3)),
        ("CN", _utc(2025, 4, 20)),
        ("US", _utc(2025, 4, 25)),
        ("FR", _utc(2025, 6, 1)),
        ("US", _utc(2025, 7, 1)),
    ]  # July is outside [since, until)
    months = build_country_share(rows, since=_utc(2025, 4, 1), until=_utc(2025, 7, 1))
    assert [m.month for m in months] == ["2025-04", "2025-05", "2025-06"]
    april, may, june = months
    assert april.total == 3 and april.counts == {"CN": 2, "US": 1}
    assert april.shares == {"CN": pytest.approx(2 / 3), "US": pytest.approx(1 / 3)}
    assert may.total == 0 and may.shares == {}
    assert june.shares == {"FR": 1.0}
    assert april.to_dict()["shares"] == {"CN": 0.6667, "US": 0.3333}


def test_download_share_latest_snapshot_per_artifact() -> None:
    rows = [
        ("CN", 1, _utc(2025, 4, 10), 100),
        ("CN", 1, _utc(2025, 4, 20), 150),
        ("US", 2, _utc(2025, 4, 15), 50),
        ("CN", 3, _utc(2025, 5, 2), 300),
        ("US", 2, _utc(2025, 5, 3), 100),
        ("FR", 4, _utc(2025, 5, 3), None),
    ]
    months, latest = build_download_share(rows)
    april, may = months
    assert (april.month, april.counts, april.shares) == ("2025-04", {"CN": 150, "US": 50}, {"CN": 0.75, "US": 0.25})
    assert may.counts == {"CN": 300, "US": 100}
    # overall latest: artifact 1 -> 150 (April), 2 -> 100, 3 -> 300: CN 450 / 550
    assert latest.month == "latest" and latest.counts == {"CN": 450, "US": 100}
    assert latest.shares["CN"] == pytest.approx(450 / 550)
