"""Text from outside is printed as data by the CLI: rich markup in it neither raises nor styles."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
import typer
from rich.console import Console

from tracker.cli.app import esc, handle_errors
from tracker.cli.poll import describe_detection, render_poll
from tracker.errors import TrackerError

HOSTILE = [
    "x/Model-[/]-7B",
    "[/INST] chat",
    "[/] maintenance",
    "[bold red]pwned[/]",
    "trailing\\",
    "[link=file:///etc]x[/link]",
]


def _report(name: str) -> SimpleNamespace:
    detection = SimpleNamespace(
        event="release_detected", lab="lab[/]", title=name, artifact=name, url=f"https://h/{name}"
    )
    return SimpleNamespace(
        source="hf",
        lab="lab[/]",
        status="partial",
        requests=1,
        not_modified=0,
        new_artifacts=1,
        new_releases=1,
        variants=0,
        renamed=0,
        withdrawn=0,
        skipped=None,
        error=None,
        failures=[SimpleNamespace(scope=f"hf:{name}", error=f"HTTP 503: {name}")],
        baseline=False,
        backfilled=0,
        detections=[detection],
    )


@pytest.mark.parametrize("name", HOSTILE)
def test_esc_prints_text_verbatim(name):
    out = Console(file=io.StringIO(), width=300, color_system=None)
    out.print(f"[bold]{esc(name)}[/]")
    assert out.file.getvalue().rstrip("\n") == name


def test_render_poll_shows_hostile_names_as_data():
    buf = io.StringIO()
    out = Console(file=buf, width=400, color_system=None)
    render_poll([_report(n) for n in HOSTILE], out=out)
    text = buf.getvalue()
    for name in HOSTILE:
        assert f"HTTP 503: {name}" in text
        assert f"https://h/{name}" in text
    assert "lab[/]" in describe_detection(_report("a").detections[0]).replace("\\[", "[")


def test_handle_errors_prints_an_upstream_error_body_verbatim(capsys):
    @handle_errors
    def failing():
        raise TrackerError("GET https://h/api: 503 [/] maintenance")

    with pytest.raises(typer.Exit) as exit_info:
        failing()
    assert exit_info.value.exit_code == 1
    assert "[/] maintenance" in capsys.readouterr().err


def test_radar_table_prints_outside_names_and_reasons_literally(capsys) -> None:
    from tracker.cli.radar import _show

    row = {
        "org": "[bold red]evil[/]",
        "score": 61.0,
        "status": "candidate",
        "reasons": [{"code": "trending", "points": 20.0, "text": "trending #1 ([link=http://x]x[/link]/m)"}],
        "first_seen_at": "2026-01-01T00:00:00+00:00",
        "best_repo_id": "[/]oops/\x1b[31mred",
        "derivatives": 2,
        "country": None,
        "excluded_reason": None,
    }
    _show([row], 60.0)
    out = capsys.readouterr().out
    assert "[bold red]evil[/]" in out and "[link=http://x]x[/link]" in out and "\x1b[31m" not in out
