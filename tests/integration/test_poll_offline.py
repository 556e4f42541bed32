"""``tracker poll`` with the network down: each unreachable host costs one request's retries.

The Hub and arXiv endpoints point at local ports that refuse connections. The first request to
each host uses its retries and marks the host; every other unit's request to it fails at once
without a connection attempt. Attempts are counted at the real network transport (no timing),
and the poll says which hosts were unreachable and what to check, on stderr. Health is recorded
for every unit as for any failed poll, and nothing else is written.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.factories import lab, watchlist_toml
from tracker.config import Settings
from tracker.http import HttpClient
from tracker.store import Store
from tracker.store.models import Artifact, Event, Release, SourceState

LABS = ("alpha", "beta", "gamma")
WATCHLIST = watchlist_toml(
    *(
        lab(
            slug, name=f"{slug.title()} AI", hf_orgs=[f"{slug.title()}Org"], arxiv_queries=[f'au:"{slug.title()} Team"']
        )
        for slug in LABS
    )
)


def refused_port() -> int:
    """A local port nothing listens on (bound for a free number, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Ports of the requests handed to the real network transport (= connection attempts)."""
    sent: list[int] = []
    real = httpx.AsyncHTTPTransport.handle_async_request

    async def counting(self, request):  # type: ignore[no-untyped-def]
        sent.append(request.url.port)
        return await real(self, request)

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", counting)
    monkeypatch.setattr(HttpClient, "backoff_base_s", 0)  # no backoff sleeps between attempts
    return sent


def test_offline_poll_tries_each_host_once_and_says_which_is_unreachable(
    store: Store,
    backend_settings: Settings,
    attempts: list[int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tracker.cli.app import app

    hf_port, arxiv_port = refused_port(), refused_port()
    watchlist = tmp_path / "watchlist.toml"
    watchlist.write_text(WATCHLIST)
    for name in [k for k in os.environ if k.startswith(("TRACKER_", "HF_"))]:
        monkeypatch.delenv(name)
    env = {
        "TRACKER_DATA_DIR": str(backend_settings.data_dir),
        "TRACKER_DATABASE_URL": backend_settings.resolved_database_url,
        "TRACKER_WATCHLIST": str(watchlist),
        "TRACKER_SOURCES": "hf,arxiv",
        "TRACKER_HF_ENDPOINT": f"http://127.0.0.1:{hf_port}",
        "TRACKER_ARXIV_ENDPOINT": f"http://127.0.0.1:{arxiv_port}/api/query",
        "TRACKER_ARXIV_MIN_INTERVAL": "0",
        "TRACKER_HTTP_MAX_RETRIES": "3",
        "TRACKER_HTTP_CONCURRENCY": "1",  # units one after another: exact attempt counts
        "COLUMNS": "250",
    }
    runner = CliRunner()

    result = runner.invoke(app, ["poll"], env=env)

    assert result.exit_code == 1, result.output  # every unit failed
    # One request's 3 attempts per host; without the mark it would be 3 labs x 3 attempts each.
    assert attempts.count(hf_port) == 3 and attempts.count(arxiv_port) == 3
    stderr_lines = result.stderr.splitlines()
    assert (
        f"127.0.0.1:{hf_port} unreachable (network error: Connection refused): 3 labs not polled (hf); "
        "check your network or TRACKER_HF_ENDPOINT"
    ) in stderr_lines
    assert (
        f"127.0.0.1:{arxiv_port} unreachable (network error: Connection refused): 3 labs not polled "
        "(arxiv); check your network or TRACKER_ARXIV_ENDPOINT"
    ) in stderr_lines
    assert "polling" not in result.stderr  # no progress display when stderr is not a terminal
    assert "unreachable (" not in result.stdout  # stdout stays the summary table
    assert "Poll summary" in result.stdout and result.stdout.count("failed") >= 6

    def health() -> dict[tuple[str, str], tuple[int, str]]:
        with store.transaction() as session:
            return {
                (s.source, s.lab_slug): (s.consecutive_failures, s.last_error or "")
                for s in session.scalars(select(SourceState))
            }

    first = health()
    assert set(first) == {(source, lab) for source in ("hf", "arxiv") for lab in LABS}
    assert {failures for failures, _ in first.values()} == {1}
    assert "gave up after 3 attempts" in first[("hf", "alpha")][1]
    assert "unreachable earlier in this poll cycle" in first[("hf", "gamma")][1]
    assert "unreachable earlier in this poll cycle" in first[("arxiv", "beta")][1]

    second = runner.invoke(app, ["poll"], env=env)  # the next cycle tries each host again

    assert second.exit_code == 1, second.output
    assert attempts.count(hf_port) == 6 and attempts.count(arxiv_port) == 6
    assert {failures for failures, _ in health().values()} == {2}
    with store.transaction() as session:  # a failed listing writes health only
        assert [session.scalar(select(func.count()).select_from(m)) for m in (Release, Artifact, Event)] == [0, 0, 0]
        assert all(not (s.cursor or {}).get("baselined_scopes") for s in session.scalars(select(SourceState)))
