"""``tracker --help`` starts where a newcomer starts (poll, run, demo...), and lists every command."""

from __future__ import annotations

import re

import typer
from typer.testing import CliRunner

import tracker.cli  # noqa: F401  (registers every command)
from tracker.cli.app import HELP_ORDER, app
from workers.cli import register


def test_help_lists_getting_started_commands_first_and_every_command_once() -> None:
    register(app)  # run, worker, beat: as the console script does
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "120"})

    assert result.exit_code == 0, result.output
    listed = re.findall(r"^│ ([a-z][a-z-]+)\s{2,}", result.stdout, flags=re.MULTILINE)
    registered = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert listed[:5] == ["poll", "run", "demo", "rehearse", "releases"]
    assert sorted(listed) == registered
    assert set(HELP_ORDER) == set(registered), "HELP_ORDER names exactly the registered commands"
