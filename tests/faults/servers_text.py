"""Local servers that hand tracker hostile text, broken feeds and nonsense numbers (fault suite).

``SourceServer`` is one loopback HTTP server standing in for the Hugging Face Hub
(``GET /api/models?author=ORG``; ``/api/models/<repo>`` answers 404), the arXiv API
(``GET /api/query``, answered by a per-query function of ``start``/``max_results``) and lab blogs
(``GET /feeds/<name>``, raw bytes as given). Any org can instead answer an error with a body of
our choosing (an upstream ``[/] maintenance``). Every request is recorded.

The tests run the ``tracker`` console script of this tree as a subprocess (``poll_env`` here,
``run_tracker`` in ``tests.faults.conftest``), the way a user does, so what is checked is what a
user would see.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.faults.conftest import tracker_env
from tracker.config import Settings

ArxivHandler = Callable[[int, int], bytes]


def hub_repo(org: str, name: str, *, number: int, created: str = "2026-11-20T00:00:00.000Z") -> dict[str, Any]:
    """One Hub listing item: ``_id`` (24 hex digits, distinct per ``org``/``number``), ``id``, dates."""
    return {
        "_id": f"{sum(org.encode()):08x}{number:016x}",
        "id": f"{org}/{name}",
        "author": org,
        "private": False,
        "tags": ["license:apache-2.0"],
        "createdAt": created,
        "lastModified": created,
    }


def atom_entry(arxiv_id: str, title: str, published: str | None) -> str:
    """An arXiv API ``<entry>``; ``published`` None leaves the element out."""
    date = f"<published>{published}</published>" if published is not None else ""
    return (
        f"<entry><id>http://arxiv.org/abs/{arxiv_id}v1</id><title>{title}</title>{date}"
        f"<author><name>Fault Team</name></author></entry>"
    )


def arxiv_feed(total: int, start: int, entries: list[str]) -> bytes:
    """An arXiv API response page: OpenSearch counts and the given entries."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"<opensearch:totalResults>{total}</opensearch:totalResults>"
        f"<opensearch:startIndex>{start}</opensearch:startIndex>"
        f"<opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>" + "".join(entries) + "</feed>"
    ).encode()


@dataclass
class SourceServer:
    """The Hub, arXiv and blog feeds on 127.0.0.1 (a context manager); mutate the dicts between polls.

    Attributes:
        hub (dict[str, list[dict]]): listing items by org.
        hub_errors (dict[str, tuple[int, str]]): orgs answering ``(status, text body)`` instead.
        arxiv (dict[str, ArxivHandler]): ``search_query`` -> ``handler(start, max_results)`` -> body.
        feeds (dict[str, bytes]): feed bodies by name (served at ``/feeds/<name>``).
        requests (list[tuple[str, dict[str, str]]]): every request's path and query parameters.
    """

    hub: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    hub_errors: dict[str, tuple[int, str]] = field(default_factory=dict)
    arxiv: dict[str, ArxivHandler] = field(default_factory=dict)
    feeds: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def __enter__(self) -> SourceServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                server.requests.append((parts.path, params))
                status, body, ctype = server._answer(parts.path, params)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def _answer(self, path: str, params: dict[str, str]) -> tuple[int, bytes, str]:
        if path == "/api/models":
            org = params.get("author", "")
            if org in self.hub_errors:
                status, text = self.hub_errors[org]
                return status, text.encode(), "text/plain; charset=utf-8"
            return 200, json.dumps(self.hub.get(org, [])).encode(), "application/json"
        if path.startswith("/api/models/"):
            return 404, b'{"error": "Repository not found"}', "application/json"
        if path == "/api/query":
            handler = self.arxiv.get(params.get("search_query", ""))
            if handler is None:
                return 200, arxiv_feed(0, 0, []), "application/atom+xml"
            body = handler(int(params.get("start", 0)), int(params.get("max_results", 100)))
            return 200, body, "application/atom+xml"
        if path.startswith("/feeds/") and path[len("/feeds/") :] in self.feeds:
            return 200, self.feeds[path[len("/feeds/") :]], "application/rss+xml"
        return 404, b"not found", "text/plain"


def poll_env(settings: Settings, watchlist: Path, sources: str, **extra: str) -> dict[str, str]:
    """Environment of a ``tracker`` subprocess polling ``sources`` (``TRACKER_SOURCES``) for the labs
    of ``watchlist`` into the test's database (``settings``: data dir and URL): ``tracker_env``
    plus one HTTP retry (a broken answer fails at once) and INFO logs; ``extra`` wins."""
    return tracker_env(
        settings.data_dir,
        TRACKER_DATABASE_URL=settings.resolved_database_url,
        TRACKER_WATCHLIST=str(watchlist),
        TRACKER_SOURCES=sources,
        **{"TRACKER_HTTP_MAX_RETRIES": "1", "TRACKER_LOG_LEVEL": "INFO", **extra},
    )


def assert_clean(proc: subprocess.CompletedProcess[str]) -> None:
    """No traceback and no rich markup error anywhere in a finished command's output."""
    both = proc.stdout + proc.stderr
    assert "Traceback" not in both, both
    assert "MarkupError" not in both, both
