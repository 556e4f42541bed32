"""Set up what the test suite needs on this machine, then run pytest with the given arguments.

The suite needs PostgreSQL (``TRACKER_TEST_POSTGRES_URL``, default the local server's database
``test``), Redis (``TRACKER_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/15``), the test
extras, and Debian's ``chromium`` for the dashboard browser test. For each one missing:

* test extras: ``pip install -e '.[test]'`` into the running interpreter;
* PostgreSQL not answering on the URL's host and port: a private cluster (``initdb`` + ``pg_ctl``
  from the local PostgreSQL binaries, trust auth, data under ``$TMPDIR/tracker-test-services/``) on that
  port, else the compose service ``test-postgres`` (profile ``test``) published on that port;
* Redis not answering: ``redis-server`` on that port (no persistence), else compose ``test-redis``;
* chromium missing: ``apt-get install chromium`` when running as root with apt (unless
  ``TRACKER_TEST_INSTALL_CHROMIUM=0``); when it is still missing the browser test is skipped
  (``TRACKER_TEST_SKIP_BROWSER`` carries the reason) and a banner says so before and after pytest.

Services this script started are stopped when pytest ends (``TRACKER_TEST_KEEP_SERVICES=1`` keeps
them). Services already running are used as they are and never stopped. Exit status: pytest's, or
2 when a service cannot be started (with what to do instead).

Standard library only: it runs before the project's dependencies are installed.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
#: Private servers' data (outside the checkout: PostgreSQL runs as ``postgres`` and must reach it).
STATE = Path(os.environ.get("TRACKER_TEST_SERVICES_DIR", Path(tempfile.gettempdir()) / "tracker-test-services"))
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
WAIT_S = 30.0


def say(message: str) -> None:
    """One line of progress on stderr, prefixed so it stands apart from pytest's output."""
    print(f"scripts/test: {message}", file=sys.stderr, flush=True)


def banner(message: str) -> None:
    """A message nobody scrolls past (a skipped browser test)."""
    line = "!" * 78
    print(f"\n{line}\n!! {message}\n{line}\n", file=sys.stderr, flush=True)


class SetupError(RuntimeError):
    """A service the tests need is down and could not be started; the message says what to do."""


def answers(host: str, port: int, probe: bytes = b"") -> bool:
    """True when something accepts a TCP connection on host:port (and answers ``probe``, if given)."""
    try:
        with socket.create_connection((host, port), timeout=2) as conn:
            if probe:
                conn.sendall(probe)
                return bool(conn.recv(64))
            return True
    except OSError:
        return False


def wait_until(check, what: str) -> None:
    """Poll ``check()`` for up to WAIT_S seconds; SetupError naming ``what`` when it never holds."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise SetupError(f"{what} did not come up within {WAIT_S:.0f} s")


def ensure_test_extras() -> None:
    """Install the project with its test extras when pytest or a test plugin is missing."""
    try:
        import playwright  # noqa: F401
        import pytest  # noqa: F401
        import xdist  # noqa: F401
    except ImportError:
        say("installing the project with its test extras (pip install -e '.[test]')")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"], check=True)


def compose(*args: str) -> list[str] | None:
    """The docker compose command line with ``args``, or None when docker is not usable here."""
    if shutil.which("docker") is None:
        return None
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        return None
    return ["docker", "compose", "-f", str(ROOT / "docker-compose.yml"), "--profile", "test", *args]


def postgres_bin(name: str) -> str | None:
    """A PostgreSQL server binary on PATH or under Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name)
    if found:  # resolved: run as `postgres`, a link in a private directory would be out of its reach
        return os.path.realpath(found)
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def as_postgres_user(argv: list[str]) -> list[str]:
    """``argv`` run as the ``postgres`` user when we are root (PostgreSQL refuses to run as root)."""
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


class Services:
    """Starts what is missing and remembers how to stop exactly that."""

    def __init__(self) -> None:
        self.stops: list[tuple[str, list[str]]] = []

    def postgres(self, url: str) -> None:
        """Make sure a PostgreSQL server answers at ``url``; start a private one when none does."""
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 5432
        if answers(host, port):
            return
        say(f"PostgreSQL is not answering on {host}:{port}: starting one")
        user = parts.username or "postgres"
        database = parts.path.strip("/") or "postgres"
        initdb, pg_ctl = postgres_bin("initdb"), postgres_bin("pg_ctl")
        if initdb and pg_ctl:
            self._private_postgres(initdb, pg_ctl, host, port, user, database)
            return
        command = compose("up", "-d", "--wait", "test-postgres")
        if command is None:
            raise SetupError(
                f"no PostgreSQL on {host}:{port}, no local PostgreSQL binaries and no docker: install "
                "PostgreSQL (apt-get install postgresql) or set TRACKER_TEST_POSTGRES_URL"
            )
        env = {**os.environ, "TRACKER_TEST_PG_PORT": str(port)}
        subprocess.run(command, check=True, env=env)
        self.stops.append(("PostgreSQL (compose)", compose("rm", "-sf", "test-postgres") or []))
        wait_until(lambda: answers(host, port), f"PostgreSQL on {host}:{port}")

    def _private_postgres(self, initdb: str, pg_ctl: str, host: str, port: int, user: str, database: str) -> None:
        data = STATE / f"postgres-{port}"
        if not (data / "PG_VERSION").exists():
            data.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(data, "postgres")
            say(f"initdb {data} (superuser {user}, trust auth on loopback)")
            subprocess.run(
                as_postgres_user([initdb, "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8"]),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        options = f"-h {host} -p {port} -k {data} -c fsync=off -c full_page_writes=off"
        log = data / "server.log"
        started = subprocess.run(
            as_postgres_user([pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]),
            capture_output=True,
            text=True,
        )
        if started.returncode != 0:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else [started.stderr]
            raise SetupError(f"PostgreSQL did not start on {host}:{port}: {' / '.join(tail)}")
        self.stops.append(("PostgreSQL", as_postgres_user([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"])))
        wait_until(lambda: answers(host, port), f"PostgreSQL on {host}:{port}")
        createdb = Path(initdb).with_name("createdb")  # the same version's, beside initdb
        if database != "postgres":
            made = subprocess.run(
                [str(createdb), "-h", host, "-p", str(port), "-U", user, database], capture_output=True, text=True
            )
            if made.returncode != 0 and "already exists" not in made.stderr:
                raise SetupError(f"createdb {database} failed: {made.stderr.strip()}")
        say(f"PostgreSQL {host}:{port} is up (data {data})")

    def redis(self, url: str) -> None:
        """Make sure a Redis server answers at ``url``; start a private one when none does."""
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 6379
        if answers(host, port, b"PING\r\n"):
            return
        say(f"Redis is not answering on {host}:{port}: starting one")
        server = shutil.which("redis-server")
        if server:
            workdir = STATE / f"redis-{port}"
            workdir.mkdir(parents=True, exist_ok=True)
            pidfile = workdir / "redis.pid"
            subprocess.run(
                [server, "--daemonize", "yes", "--bind", host, "--port", str(port), "--save", "",
                 "--appendonly", "no", "--dir", str(workdir), "--pidfile", str(pidfile)],
                check=True,
            )  # fmt: skip
            cli = shutil.which("redis-cli")
            stop = [cli, "-h", host, "-p", str(port), "shutdown", "nosave"] if cli else ["pkill", "-F", str(pidfile)]
            self.stops.append(("Redis", stop))
        else:
            command = compose("up", "-d", "--wait", "test-redis")
            if command is None:
                raise SetupError(
                    f"no Redis on {host}:{port}, no redis-server binary and no docker: install Redis "
                    "(apt-get install redis-server) or set TRACKER_TEST_REDIS_URL"
                )
            subprocess.run(command, check=True, env={**os.environ, "TRACKER_TEST_REDIS_PORT": str(port)})
            self.stops.append(("Redis (compose)", compose("rm", "-sf", "test-redis") or []))
        wait_until(lambda: answers(host, port, b"PING\r\n"), f"Redis on {host}:{port}")
        say(f"Redis {host}:{port} is up")

    def stop(self) -> None:
        """Stop what this run started, newest first."""
        for name, command in reversed(self.stops):
            if command:
                say(f"stopping the {name} this run started")
                subprocess.run(command, capture_output=True)


def chromium_skip_reason() -> str | None:
    """None when chromium is on PATH (installed now if possible); else why the browser test is skipped."""
    if shutil.which("chromium"):
        return None
    wanted = os.environ.get("TRACKER_TEST_INSTALL_CHROMIUM", "1") != "0"
    if wanted and os.geteuid() == 0 and shutil.which("apt-get"):
        say("chromium is missing: installing it for the dashboard browser test (apt-get install chromium)")
        update = subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
        install = subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], capture_output=True)
        if update.returncode == 0 and install.returncode == 0 and shutil.which("chromium"):
            return None
        return "chromium is not installed and `apt-get install chromium` did not make it available"
    how = "TRACKER_TEST_INSTALL_CHROMIUM=0" if not wanted else "not root or no apt-get"
    return f"chromium is not installed ({how}); install it (apt-get install chromium) to run the dashboard test"


def main(argv: list[str]) -> int:
    """Set up, run pytest with ``argv``, tear down what was started; returns the exit status."""
    os.chdir(ROOT)
    os.environ.setdefault("TRACKER_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    os.environ.setdefault("TRACKER_TEST_REDIS_URL", DEFAULT_REDIS)
    services = Services()
    try:
        ensure_test_extras()
        services.postgres(os.environ["TRACKER_TEST_POSTGRES_URL"])
        services.redis(os.environ["TRACKER_TEST_REDIS_URL"])
        skip = chromium_skip_reason()
        if skip:
            os.environ["TRACKER_TEST_SKIP_BROWSER"] = skip
            banner(f"SKIPPING the dashboard browser test: {skip}")
        status = subprocess.run([sys.executable, "-m", "pytest", *argv]).returncode
        if skip:
            banner(f"the dashboard browser test was SKIPPED: {skip}")
        return status
    except (SetupError, subprocess.CalledProcessError, OSError) as exc:
        say(f"cannot set up the test services: {exc}")
        return 2
    finally:
        if os.environ.get("TRACKER_TEST_KEEP_SERVICES") != "1":
            services.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
