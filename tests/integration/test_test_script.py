"""`scripts/test` (the README's test command) on a machine where nothing the tests need is running.

The shared PostgreSQL, Redis and chromium of this machine must not be touched, so the "fresh
machine" is simulated: the test URLs point at free loopback ports (nothing answers there) and
PATH is a copy of the system's without ``chromium``. The script must start a private PostgreSQL
and Redis on those ports, run the selected tests against them, skip the browser test with a loud
reason, and stop what it started.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A free port below the ephemeral range (32768+), so no outgoing connection takes it meanwhile."""
    for port in random.sample(range(20000, 32000), 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-32000")


def answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def path_without_chromium(tmp_path: Path) -> str:
    """A PATH of links to every executable of the current PATH except ``chromium``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for directory in [str(Path(sys.executable).parent), *os.environ["PATH"].split(os.pathsep), "/usr/sbin", "/sbin"]:
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            target = bin_dir / entry.name
            if entry.name != "chromium" and not target.exists() and os.access(entry.path, os.X_OK):
                target.symlink_to(entry.path)
    return str(bin_dir)


@pytest.mark.skipif(not (shutil.which("initdb") or list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))),
                    reason="needs the local PostgreSQL server binaries")  # fmt: skip
def test_scripts_test_starts_missing_services_skips_the_browser_test_loudly_and_cleans_up(tmp_path: Path) -> None:
    pg_port, redis_port = free_port(), free_port()
    # Directly under the temp dir, readable by all: as root the private cluster runs as `postgres`.
    services_dir = tempfile.mkdtemp(prefix="tracker-test-services-")
    os.chmod(services_dir, 0o755)
    assert not answers(pg_port) and not answers(redis_port)
    env = {
        **os.environ,
        "PATH": path_without_chromium(tmp_path),
        "PYTHON": sys.executable,
        "TRACKER_TEST_INSTALL_CHROMIUM": "0",
        "TRACKER_TEST_SERVICES_DIR": services_dir,
        "TRACKER_TEST_POSTGRES_URL": f"postgresql+psycopg://postgres@127.0.0.1:{pg_port}/test",
        "TRACKER_TEST_REDIS_URL": f"redis://127.0.0.1:{redis_port}/15",
    }
    env.pop("TRACKER_TEST_SKIP_BROWSER", None)
    selection = [
        "tests/integration/test_database_fixtures.py::test_clean_leaves_no_rows_and_restarts_ids",
        "tests/integration/test_dashboard_browser.py",
    ]
    result = subprocess.run(
        [str(ROOT / "scripts" / "test"), "-n", "0", "-q", "-rs", "-p", "no:cacheprovider", *selection],
        cwd=tmp_path,  # the script finds the checkout itself
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    shutil.rmtree(services_dir, ignore_errors=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"PostgreSQL is not answering on 127.0.0.1:{pg_port}: starting one" in output
    assert f"Redis 127.0.0.1:{redis_port} is up" in output
    assert "SKIPPING the dashboard browser test: chromium is not installed" in output
    # the fixtures test passes; every test of the browser module is skipped, none fails
    assert re.search(r"\b1 passed, [1-9]\d* skipped in ", output), output
    assert "stopping the PostgreSQL this run started" in output
    assert not answers(pg_port) and not answers(redis_port), "the script left its servers running"
