"""The reader's relative-adoption line: ratio formatting, bucket and age named, no line without a ratio."""

from __future__ import annotations

import pytest

from tracker.adoption.relative import Relative, adoption_sentence


def rel(ratio: float | None, *, bucket: str | None = "10-100B", age: float = 14.0, peers: int = 5) -> Relative:
    return Relative(
        release_id=1,
        bucket=bucket,
        age_days=age,
        downloads=320 if ratio is not None else None,
        peer_median=100.0 if ratio is not None else None,
        peers=peers,
        downloads_ratio=ratio,
        derivatives=0,
        derivatives_ratio=None,
    )


@pytest.mark.parametrize(
    ("ratio", "pace"),
    [
        (3.2, "Adopted 3.2× faster than a typical 10–100B release"),
        (3.249, "Adopted 3.2× faster than"),
        (12.6, "Adopted 13× faster than"),
        (1.0, "Adopted about as fast as a typical"),
        (0.97, "Adopted about as fast as"),
        (0.42, "Adopted at 0.4× the pace of a typical"),
        (0.0, "Adopted at under 0.1× the pace of"),
    ],
)
def test_ratio_formatting(ratio: float, pace: str) -> None:
    line = adoption_sentence(rel(ratio))
    assert line is not None and line.startswith(pace)


def test_names_bucket_age_and_peers() -> None:
    assert adoption_sentence(rel(3.2)) == (
        "Adopted 3.2× faster than a typical 10–100B release (downloads at 14 days, "
        "against the median of 5 earlier 10–100B releases at the same age)"
    )
    assert "at 1 day," in (adoption_sentence(rel(2.0, age=1.0)) or "")
    assert "at 0.5 days," in (adoption_sentence(rel(2.0, age=0.5)) or "")
    assert "a typical over-250B release" in (adoption_sentence(rel(2.0, bucket=">250B")) or "")
    assert "a typical under-10B release" in (adoption_sentence(rel(2.0, bucket="<10B")) or "")


def test_no_ratio_no_line() -> None:
    assert adoption_sentence(None) is None
    assert adoption_sentence(rel(None, peers=2)) is None
    assert adoption_sentence(rel(2.0, bucket=None)) is None
