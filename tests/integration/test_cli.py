"""The ``tracker`` command as a user runs it: a subprocess against the replay hub.

Covers the end-to-end scenario through the console script path on SQLite and on
PostgreSQL (``tracker db upgrade`` first), exit codes, and the JSON shape of DESIGN.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.databases import PostgresDatabase
from tests.factories import QWEN_AUTHORS, qwen, watchlist_toml
from tracker.config import Settings
from tracker.pipeline import poll_once
from tracker.replay.server import ReplayServer
from tracker.store import Store
from tracker.watchlist import parse_watchlist

QWEN_ONLY = watchlist_toml(qwen(name="Qwen (Alibaba Cloud)", arxiv_queries=[QWEN_AUTHORS]))


def run_tracker(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``tracker ARGS`` (the console-script module) with a clean TRACKER_* environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "HF_"))}
    base.update({"COLUMNS": "200", "TRACKER_ARXIV_MIN_INTERVAL": "0", "TRACKER_HTTP_MAX_RETRIES": "2"})
    base.update(env)
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", *args], env=base, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def hub():
    with ReplayServer(now=datetime(2025, 4, 27, tzinfo=UTC)) as server:
        yield server


def _env(tmp_path: Path, hub: ReplayServer, **extra: str) -> dict[str, str]:
    wl = tmp_path / "watchlist.toml"
    wl.write_text(QWEN_ONLY)
    return {
        "TRACKER_DATA_DIR": str(tmp_path / "data"),
        "TRACKER_HF_ENDPOINT": hub.hf_endpoint,
        # these processes poll with the real clock while the hub serves 2025: lift the org-move
        # age rule, which would read every repo as years old (tracker.grouping.moves)
        "TRACKER_MOVE_MIN_AGE_DAYS": "36500",
        "TRACKER_ARXIV_ENDPOINT": hub.arxiv_endpoint,
        "TRACKER_WATCHLIST": str(wl),
        **extra,
    }


def _scenario(env: dict[str, str], hub: ReplayServer) -> list[dict]:
    first = run_tracker(["poll"], env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "baseline recorded" in first.stdout
    assert "No new releases detected." in first.stdout

    hub.set_now(datetime(2025, 4, 29, tzinfo=UTC))
    second = run_tracker(["poll"], env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "NEW RELEASE" in second.stdout and "Qwen/Qwen3-8B" in second.stdout
    assert "Traceback" not in second.stderr

    third = run_tracker(["poll"], env)
    assert third.returncode == 0 and "No new releases detected." in third.stdout

    out = run_tracker(["releases", "--lab", "qwen", "--since", "2025-04-28", "--format", "json"], env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _assert_release_shape(rows: list[dict]) -> None:
    assert rows, "the Qwen3 launch must be listed"
    keys = {
        "id",
        "lab",
        "lab_name",
        "country",
        "title",
        "kind",
        "released_at",
        "first_seen_at",
        "baseline",
        "url",
        "artifacts",
        "papers",
    }
    assert all(keys <= set(r) for r in rows)
    qwen3 = [r for r in rows if r["title"] == "Qwen3"]
    assert len(qwen3) == 1
    names = {a["name"] for a in qwen3[0]["artifacts"]}
    assert {"Qwen/Qwen3-8B", "Qwen/Qwen3-235B-A22B", "Qwen/Qwen3-30B-A3B-FP8"} <= names
    art = next(a for a in qwen3[0]["artifacts"] if a["name"] == "Qwen/Qwen3-235B-A22B")
    assert set(art) >= {"source", "external_id", "name", "url", "created_at", "first_seen_at", "variant"}
    assert set(art["variant"]) == {"kinds", "size_label", "params_total_b", "params_active_b", "quantization"}
    assert art["variant"]["params_total_b"] == 235 and art["variant"]["params_active_b"] == 22
    assert qwen3[0]["released_at"].endswith("Z") and qwen3[0]["baseline"] is False
    dates = [r["released_at"] for r in rows]
    assert dates == sorted(dates, reverse=True), "newest first"


@pytest.mark.slow
def test_cli_scenario_on_sqlite(tmp_path: Path, hub: ReplayServer) -> None:
    rows = _scenario(_env(tmp_path, hub), hub)
    _assert_release_shape(rows)
    assert (tmp_path / "data" / "tracker.db").exists(), "embedded SQLite in the data dir, created automatically"


@pytest.mark.slow
@pytest.mark.postgres
def test_cli_scenario_on_postgres(tmp_path: Path, hub: ReplayServer, postgres: PostgresDatabase) -> None:
    postgres.empty_schema()
    env = _env(tmp_path, hub, TRACKER_DATABASE_URL=postgres.url)
    not_yet = run_tracker(["poll"], env)
    assert not_yet.returncode == 2 and "tracker db upgrade" in not_yet.stderr
    upgraded = run_tracker(["db", "upgrade"], env)
    assert upgraded.returncode == 0, upgraded.stderr
    _assert_release_shape(_scenario(env, hub))


def test_invalid_watchlist_exits_2_naming_lab_and_key(tmp_path: Path) -> None:
    wl = tmp_path / "bad.toml"
    wl.write_text('[[labs]]\nslug = "qwen"\nname = "Qwen"\ncountry = "CN"\nhf_org = ["Qwen"]\n')
    result = run_tracker(["poll"], {"TRACKER_DATA_DIR": str(tmp_path), "TRACKER_WATCHLIST": str(wl)})
    assert result.returncode == 2
    assert "bad.toml" in result.stderr and "'qwen'" in result.stderr and "hf_org" in result.stderr
    assert "Traceback" not in result.stderr


def test_all_sources_failing_exits_1_with_reason(tmp_path: Path) -> None:
    wl = tmp_path / "w.toml"
    wl.write_text(QWEN_ONLY)
    env = {
        "TRACKER_DATA_DIR": str(tmp_path),
        "TRACKER_WATCHLIST": str(wl),
        "TRACKER_HF_ENDPOINT": "http://127.0.0.1:9",
        "TRACKER_ARXIV_ENDPOINT": "http://127.0.0.1:9/api/query",
        "TRACKER_HTTP_TIMEOUT": "2",
    }
    result = run_tracker(["poll"], env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "failed" in result.stdout and "Traceback" not in result.stderr + result.stdout
    assert "No source could be polled" in result.stdout and "No new releases detected." not in result.stdout


def test_unknown_lab_exits_2(tmp_path: Path) -> None:
    result = run_tracker(["poll", "--lab", "nope"], {"TRACKER_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and "unknown lab 'nope'" in result.stderr


def test_help_explains_the_tool() -> None:
    result = run_tracker(["--help"], {})
    assert result.returncode == 0
    for command in ("poll", "releases", "labs", "db", "demo", "run"):
        assert command in result.stdout


def test_a_report_after_its_launch_is_listed_with_it_and_by_tracker_papers(tmp_path: Path, hub: ReplayServer) -> None:
    # Polled in-process on the hub's clock (``tracker poll`` dates detections by the wall clock,
    # which would put the 2025 report years after its launch), then listed by the CLI.
    env = _env(tmp_path, hub)
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        hf_endpoint=hub.hf_endpoint,
        arxiv_endpoint=hub.arxiv_endpoint,
        arxiv_min_interval=0,
    )
    store = Store.open(settings, migrate=True)
    watchlist = parse_watchlist(QWEN_ONLY, source="test")
    for day in (
        datetime(2025, 4, 27, tzinfo=UTC),
        datetime(2025, 4, 29, tzinfo=UTC),
        datetime(2025, 5, 15, tzinfo=UTC),
    ):
        hub.set_now(day)  # baseline, the Qwen3 launch, the Qwen3 Technical Report (05-14)
        poll_once(settings, store, watchlist, clock=hub.clock.now)
    store.dispose()
    releases = json.loads(run_tracker(["releases", "--since", "2025-04-28", "--format", "json"], env).stdout)
    assert "Qwen3 Technical Report" not in {r["title"] for r in releases}, "listed once, with its launch"
    (launch,) = [r for r in releases if r["title"] == "Qwen3" and r["released_at"].startswith("2025-04-29")]
    assert "2505.09388" in {p["arxiv_id"] for p in launch["papers"]}
    papers = run_tracker(["papers", "--format", "json"], env)
    assert papers.returncode == 0, papers.stderr
    (report,) = [p for p in json.loads(papers.stdout) if p["arxiv_id"] == "2505.09388"]
    assert report["launch_id"] == launch["id"] and report["launch"] == "Qwen3"
    kind = json.loads(run_tracker(["releases", "--kind", "paper", "--format", "json"], env).stdout)
    assert "Qwen3 Technical Report" in {r["title"] for r in kind}, "papers stay queryable"
    table = run_tracker(["papers"], env)
    assert table.returncode == 0 and "Qwen3 Technical Report" in table.stdout
