"""CLI parity for the history: ``tracker cadence``, ``tracker stats countries``, ``tracker chart``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.factories import packaged
from tests.integration.test_cli import run_tracker
from tracker.config import Settings
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store with mistral and qwen replayed from 2025-06-30 to 2025-08-01 (daily, Hub only)."""
    path = tmp_path_factory.mktemp("stats-cli")
    watchlist = packaged("mistral", "qwen")
    with ReplayServer(now=datetime(2025, 6, 30, tzinfo=UTC)) as hub:
        settings = Settings(
            _env_file=None,
            data_dir=path,
            hf_endpoint=hub.hf_endpoint,
            arxiv_endpoint=hub.arxiv_endpoint,
            arxiv_min_interval=0,
        )
        store = Store.open(settings)
        poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        now = hub.now()
        while now < datetime(2025, 8, 1, tzinfo=UTC):
            now = hub.set_now(now + timedelta(days=1))
            poll_once(settings, store, watchlist, sources=["hf"], clock=hub.clock.now)
        store.dispose()
    return path


def test_cadence_table(data_dir: Path) -> None:
    result = run_tracker(
        ["cadence", "--lab", "mistral", "--weeks", "4", "--as-of", "2025-08-01T00:00:00Z"],
        {"TRACKER_DATA_DIR": str(data_dir)},
    )
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "mistral" in line)
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    # W28 W29 W30 W31 | /wk 12w | median | max gap | since | streak (see test_api for the hand check)
    assert cells[1:5] == ["1", "1", "1", "·"]
    assert cells[5] == "0.50" and cells[7] == "102.3" and cells[8] == "7.0" and cells[9] == "3"
    unknown = run_tracker(["cadence", "--lab", "nope"], {"TRACKER_DATA_DIR": str(data_dir)})
    assert unknown.returncode == 2 and "no stored lab 'nope'" in unknown.stderr


def test_stats_countries(data_dir: Path) -> None:
    result = run_tracker(
        ["stats", "countries", "--months", "2", "--as-of", "2025-07-31"], {"TRACKER_DATA_DIR": str(data_dir)}
    )
    assert result.returncode == 0, result.stderr
    july = next(line for line in result.stdout.splitlines() if "2025-07" in line)
    # CN: 4 qwen releases (launches and waves: repos of a family published > 48 h after its
    # launch are a separate release); FR: 3 mistral launches
    assert "57% (4)" in july and "43% (3)" in july
    assert "Downloads" in result.stdout


def test_chart_png_and_svg(data_dir: Path, tmp_path: Path) -> None:
    env = {"TRACKER_DATA_DIR": str(data_dir)}
    png, svg = tmp_path / "cadence.png", tmp_path / "countries.svg"
    assert run_tracker(["chart", "cadence", "--out", str(png), "--as-of", "2025-08-01"], env).returncode == 0
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert run_tracker(["chart", "countries", "--out", str(svg), "--as-of", "2025-08-01"], env).returncode == 0
    assert "<svg" in svg.read_text()
    bad = run_tracker(["chart", "cadence", "--out", str(tmp_path / "x.gif")], env)
    assert bad.returncode == 2 and ".png or .svg" in bad.stderr
