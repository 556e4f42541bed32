"""The Hub's RateLimit headers: each draft's spelling, several policies, hostile values."""

from __future__ import annotations

import pytest

from tracker.http.ratelimit_headers import MAX_RESET_S, parse_ratelimit, wait_before_next


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"RateLimit": '"api";r=0;t=55'}, (0, 55)),
        ({"RateLimit": '"api";r=120;t=200'}, (120, 200)),
        ({"RateLimit": "limit=500, remaining=0, reset=42"}, (0, 42)),
        ({"RateLimit-Remaining": "0", "RateLimit-Reset": "7"}, (0, 7)),
        ({"RateLimit": '"api";r=3;t=10, "burst";r=0;t=30'}, (0, 30)),
        ({}, (None, None)),
    ],
)
def test_each_spelling_is_read(headers: dict[str, str], expected: tuple[float | None, float | None]) -> None:
    assert parse_ratelimit(headers) == expected


@pytest.mark.parametrize("t", ["-5", "inf", "nan", "999999999999", "soon", "1e400"])
def test_a_nonsensical_reset_is_absent(t: str) -> None:
    assert parse_ratelimit({"RateLimit": f'"api";r=0;t={t}'})[1] is None
    assert wait_before_next({"RateLimit": f'"api";r=0;t={t}'}) is None


def test_wait_only_when_the_budget_is_spent() -> None:
    assert wait_before_next({"RateLimit": '"api";r=0;t=12'}) == 12
    assert wait_before_next({"RateLimit": '"api";r=1;t=12'}) is None
    assert wait_before_next({"RateLimit": f'"api";r=0;t={MAX_RESET_S}'}) == MAX_RESET_S
