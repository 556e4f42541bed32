"""Numbers and dates from outside: nonsense is logged and treated as absent, never raised."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from tracker import external

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("120", 120.0), (" 0 ", 0.0), ("1.5", 1.5), (30, 30.0), ("86400", 86400.0)],
)
def test_wait_seconds_reads_sane_values(value, expected):
    assert external.wait_seconds(value) == expected


@pytest.mark.parametrize(
    "value", ["-5", "inf", "-inf", "nan", "999999999999", "1e9999", "soon", "12, 12", True, float("inf"), -1]
)
def test_wait_seconds_nonsense_is_absent_and_logged(value, caplog):
    with caplog.at_level(logging.WARNING, logger="tracker.external"):
        assert external.wait_seconds(value, what="Slack Retry-After") is None
    assert "Slack Retry-After" in caplog.text and "treated as absent" in caplog.text


def test_wait_seconds_absent_is_silent(caplog):
    with caplog.at_level(logging.WARNING, logger="tracker.external"):
        assert external.wait_seconds(None) is None
        assert external.wait_seconds("  ") is None
    assert caplog.text == ""


def test_retry_after_http_date_past_and_future():
    assert external.retry_after_s("Mon, 07 Dec 2026 12:01:30 GMT", now=NOW) == 90.0
    assert external.retry_after_s("Mon, 07 Dec 2026 11:00:00 GMT", now=NOW) == 0.0
    # a date years away is not a wait anyone means
    assert external.retry_after_s("Fri, 07 Dec 2035 12:00:00 GMT", now=NOW) is None


@pytest.mark.parametrize("value", ["-5", "inf", "999999999999", "Wed, 99 Foo 2025", "NaN", "[/] later"])
def test_retry_after_nonsense(value):
    assert external.retry_after_s(value, now=NOW) is None


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("1024", 1024), (None, None), ("", None)])
def test_content_length_sane(value, expected):
    assert external.content_length(value) == expected


@pytest.mark.parametrize("value", ["-1", "12, 12", "1e9", "0x10", "9" * 30, str(1 << 41)])
def test_content_length_nonsense_is_absent(value):
    assert external.content_length(value) is None


def test_plausible_datetime_window():
    ok = datetime(2024, 5, 1, tzinfo=UTC)
    assert external.plausible_datetime(ok, what="d", now=NOW) == ok
    assert external.plausible_datetime(datetime(2024, 5, 1), what="d", now=NOW) == ok  # naive is UTC
    assert external.plausible_datetime(datetime(1999, 12, 31, tzinfo=UTC), what="d", now=NOW) is None
    assert external.plausible_datetime(datetime(2031, 1, 1, tzinfo=UTC), what="d", now=NOW) is None
    assert external.plausible_datetime(NOW + timedelta(days=1), what="d", now=NOW) is not None
    assert external.plausible_datetime(None, what="d", now=NOW) is None


def test_printable_shows_control_characters():
    assert external.printable("a\x1b[2J\r\nb\tc\x7f") == "a\\x1b[2J\\x0d\\x0ab\tc\\x7f"
    assert external.printable("x\ny", keep_newlines=True) == "x\ny"


def test_log_filter_keeps_outside_text_on_one_line(caplog):
    logger = logging.getLogger("tests.external.forged")
    caplog.handler.addFilter(external.PrintableLogFilter())
    with caplog.at_level(logging.WARNING, logger="tests.external.forged"):
        logger.warning("feed %s failed: %s", "x\nCRITICAL forged line", ValueError("\x1b[31mred"))
    [record] = caplog.records
    assert caplog.text.count("\n") == 1 and "x\\x0aCRITICAL forged line" in caplog.text
    assert "\\x1b[31mred" in record.getMessage()


@pytest.mark.parametrize("value", [10**20, -(10**20), float("nan"), 915_148_800, 1_924_992_000])
def test_from_epoch_never_raises(value):
    # overflow, NaN, 1999-01-01 and 2031-01-01: all unknown
    assert external.from_epoch(value, what="CreatedTime", now=NOW) is None


def test_from_epoch_reads_a_plausible_time():
    assert external.from_epoch(1_745_884_800, what="CreatedTime", now=NOW) == datetime(2025, 4, 29, tzinfo=UTC)
