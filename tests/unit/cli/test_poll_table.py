"""``tracker poll``'s table when a host cannot be reached: one short note per unit, the reason and
what to check once per host below it (not the same error repeated in every row)."""

from __future__ import annotations

import io
from types import SimpleNamespace

from rich.console import Console

from tracker.cli.poll import describe_unreachable, render_poll
from tracker.config import Settings

REFUSED = "network error: Connection refused"


def _failed(lab: str, host: str) -> SimpleNamespace:
    failure = SimpleNamespace(
        scope=f"hf:{lab}-org",
        error=f"GET http://{host}/api/models?author={lab}-org&full=true: not sent: {host} was unreachable "
        f"earlier in this poll cycle ({REFUSED}); the next cycle tries again",
    )
    return SimpleNamespace(
        source="hf", lab=lab, status="failed", requests=1, not_modified=0, new_artifacts=0, new_releases=0,
        variants=0, renamed=0, withdrawn=0, skipped=None, error=None, failures=[failure], baseline=False,
        backfilled=0, detections=[], unreachable={host: REFUSED},
    )  # fmt: skip


def test_units_of_an_unreachable_host_get_a_short_note_and_one_line_below() -> None:
    host = "hub.example.test:8443"
    reports = [_failed(f"lab{i}", host) for i in range(5)]
    out = io.StringIO()

    render_poll(reports, out=Console(file=out, width=200))
    lines = describe_unreachable(reports, Settings(hf_endpoint=f"http://{host}"))

    table = out.getvalue()
    assert table.count(f"not polled: {host} unreachable; see below the table") == 5
    assert "was unreachable earlier in this poll cycle" not in table
    assert lines == [
        f"{host} unreachable ({REFUSED}): 5 labs not polled (hf); check your network or TRACKER_HF_ENDPOINT"
    ]


def test_a_failure_that_is_not_an_unreachable_host_keeps_its_error() -> None:
    report = _failed("lab0", "hub.example.test")
    report.unreachable = {}
    report.failures[0].error = "HTTP 500 from the Hub (gave up after 4 attempts)"
    out = io.StringIO()

    render_poll([report], out=Console(file=out, width=250))

    assert "HTTP 500 from the Hub (gave up after 4 attempts)" in out.getvalue()
