"""Local servers that misbehave the way real ones do on a bad day (for the fault suite).

``FakeHub`` answers the Hub's model listing (``GET /api/models?author=ORG``) from synthetic repos and
can, per org: drip its body one byte every few seconds, hang, or answer 429 with the IETF
``RateLimit``/``RateLimit-Policy`` headers the Hub sends. ``DripSmtp`` is an SMTP server whose
greeting arrives one byte at a time. Every server records what it was asked.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.slack_server import SlackServer


def synthetic_repos(org: str, count: int, *, start: int = 0) -> list[dict[str, Any]]:
    """``count`` Hub listing items of ``org`` with stable distinct ``_id``s (24 hex digits)."""
    base = sum(org.encode()) * 1_000_000
    return [
        {
            "_id": f"{base + start + i:024x}",
            "id": f"{org}/Fault-{start + i}B-Instruct",
            "author": org,
            "private": False,
            "tags": ["license:apache-2.0"],
            "createdAt": "2025-05-01T00:00:00.000Z",
        }
        for i in range(count)
    ]


@dataclass
class OrgBehaviour:
    """How ``FakeHub`` answers one org: ``drip_s`` > 0 sends one body byte per ``drip_s`` seconds;
    ``rate_limited`` answers that many 429s first, with ``RateLimit`` ``t=`` = ``reset_s``."""

    drip_s: float = 0.0
    rate_limited: int = 0
    reset_s: int = 2
    remaining_header: str | None = None


@dataclass
class FakeHub:
    """A threaded local Hub: ``repos`` by org, ``behaviour`` by org, ``requests`` = (org, monotonic time)."""

    repos: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    behaviour: dict[str, OrgBehaviour] = field(default_factory=dict)
    requests: list[tuple[str, float]] = field(default_factory=list)
    dripping_to: list[int] = field(default_factory=list)  # client ports of the drips in progress

    def __enter__(self) -> FakeHub:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                hub._get(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        """The TCP port the hub listens on."""
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        """The base URL to set as ``TRACKER_HF_ENDPOINT``."""
        return f"http://127.0.0.1:{self.port}"

    def count(self, org: str) -> int:
        """Requests seen for ``org``'s listing."""
        return sum(1 for o, _ in self.requests if o == org)

    def _get(self, req: BaseHTTPRequestHandler) -> None:
        url = urlsplit(req.path)
        org = parse_qs(url.query).get("author", [""])[0]
        self.requests.append((org, time.monotonic()))
        how = self.behaviour.get(org, OrgBehaviour())
        if url.path != "/api/models" or org not in self.repos:
            return _send(req, 404, b'{"error": "not found"}')
        if how.rate_limited > 0:
            how.rate_limited -= 1
            headers = {
                "RateLimit": f'"api";r=0;t={how.reset_s}',
                "RateLimit-Policy": '"fixed window";"api";q=500;w=300',
            }
            return _send(req, 429, b'{"error": "rate limited"}', headers)
        body = json.dumps(self.repos[org]).encode()
        headers = {}
        if how.remaining_header is not None:
            headers["RateLimit"] = how.remaining_header
        if how.drip_s <= 0:
            return _send(req, 200, body, headers)
        req.send_response(200)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        self.dripping_to.append(int(req.client_address[1]))
        try:
            for i in range(len(body)):
                if self.behaviour.get(org, OrgBehaviour()).drip_s <= 0:  # recovered: send the rest at once
                    req.wfile.write(body[i:])
                    break
                req.wfile.write(body[i : i + 1])
                req.wfile.flush()
                time.sleep(how.drip_s)
        except OSError:  # the client gave up: that is the point
            return


def _send(req: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    req.send_response(status)
    req.send_header("Content-Type", "application/json")
    req.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        req.send_header(name, value)
    req.end_headers()
    req.wfile.write(body)


class DripSmtp:
    """A TCP server whose SMTP greeting (``220 ...``) arrives one byte every ``drip_s`` seconds."""

    def __init__(self, drip_s: float = 2.0):
        self.drip_s = drip_s
        self.connections = 0
        self.held_s: list[float] = []  # how long each connection stayed open (seconds)
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self.port = int(self._sock.getsockname()[1])
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        opened = time.monotonic()
        try:
            for byte in b"220 slow.example ESMTP hello\r\n" * 100:
                if self._stop.is_set():
                    break
                conn.sendall(bytes([byte]))
                time.sleep(self.drip_s)
        except OSError:  # the client cut the connection: that is the point
            pass
        finally:
            self.held_s.append(time.monotonic() - opened)
            conn.close()

    def close(self) -> None:
        """Stop accepting and end every drip."""
        self._stop.set()
        self._sock.close()


def pid_of_client_port(port: int, server_port: int) -> int | None:
    """The pid of the local process whose TCP socket goes from local ``port`` to ``server_port`` (Linux ``/proc``).

    Both ends must match: an ephemeral port can be in use at once by another connection to another
    server (a database connection of this very test process), and killing that one would kill the
    test runner. This process is never returned.
    """
    import os

    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote = (int(f.rsplit(":", 1)[1], 16) for f in fields[1:3])
            if (local, remote) == (port, server_port):
                inodes.add(fields[9])
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(pid)
        except OSError:
            continue
    return None


class DripSlack(SlackServer):
    """The local Slack Web API whose answers, while ``drip_s`` > 0, arrive one byte per ``drip_s`` seconds.

    The request is handled (a ``chat.postMessage`` is posted) before its answer starts dripping,
    as on a real Slack whose response is slow: the client cannot know whether it posted.
    """

    drip_s: float = 0.0

    def _reply(self, req: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str]) -> None:  # type: ignore[override]
        if self.drip_s <= 0:
            SlackServer._reply(req, status, body, headers)
            return
        data = json.dumps(body).encode() if not isinstance(body, str) else body.encode()
        head = f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        try:
            for i in range(len(head) + len(data)):
                req.wfile.write((head.encode() + data)[i : i + 1])
                req.wfile.flush()
                time.sleep(self.drip_s)
        except OSError:  # the client gave up (its deadline): stop dripping
            req.close_connection = True
