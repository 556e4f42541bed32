"""A local Slack-Web-API-compatible HTTP server for tests (loopback, no internet).

Implements what tracker uses, with Slack's JSON shapes (``ok``, ``error``, ``ts``, ``channel``):
``auth.test``, ``chat.postMessage`` (threads via ``thread_ts``, ``metadata``), ``chat.update``,
``conversations.history`` / ``conversations.replies`` (metadata only with
``include_all_metadata``), ``conversations.list``; and an incoming webhook at
``/webhook/...`` (answers ``ok`` as text, errors as plain-text bodies with HTTP statuses).

It checks the bearer token (``invalid_auth``), channel existence/membership/archival
(``channel_not_found``, ``not_in_channel``, ``is_archived``) and Block Kit limits
(``invalid_blocks``: >50 blocks, header >150, section text >3000, field >2000, >10 fields).
``fail_next`` injects responses (429 with ``Retry-After``, error codes, 5xx). Every request is
recorded in ``calls`` (method, parsed arguments, headers).

Usage::

    with SlackServer(token="xoxb-test", channels={"C0MODELS": "models"}) as slack:
        settings = Settings(slack_api_url=slack.api_url, slack_bot_token="xoxb-test", ...)
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Call:
    """One recorded request: Web API ``method`` (or ``webhook``), its arguments and headers."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    http_verb: str


@dataclass
class Channel:
    """A fake channel: ``member`` says whether the bot was invited."""

    id: str
    name: str
    member: bool = True
    archived: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)  # top-level + replies, in order


@dataclass
class Injected:
    status: int
    body: Any
    headers: dict[str, str]


def block_errors(blocks: list[dict[str, Any]]) -> list[str]:
    """Block Kit limit violations Slack answers with ``invalid_blocks`` (a subset of the rules)."""
    errors = []
    if len(blocks) > 50:
        errors.append(f"{len(blocks)} blocks > 50")
    for i, b in enumerate(blocks):
        kind = b.get("type")
        if kind == "header":
            t = b.get("text") or {}
            if t.get("type") != "plain_text" or not t.get("text") or len(t["text"]) > 150:
                errors.append(f"block {i}: header text must be plain_text of 1-150 chars")
        elif kind == "section":
            if "text" not in b and "fields" not in b:
                errors.append(f"block {i}: section needs text or fields")
            if "text" in b and not 1 <= len(b["text"].get("text", "")) <= 3000:
                errors.append(f"block {i}: section text must be 1-3000 chars")
            fields = b.get("fields") or []
            if len(fields) > 10:
                errors.append(f"block {i}: more than 10 fields")
            for f in fields:
                if not 1 <= len(f.get("text", "")) <= 2000:
                    errors.append(f"block {i}: field must be 1-2000 chars")
        elif kind == "context":
            elements = b.get("elements") or []
            if not 1 <= len(elements) <= 10:
                errors.append(f"block {i}: context needs 1-10 elements")
            for e in elements:
                if e.get("type") in ("mrkdwn", "plain_text") and not 1 <= len(e.get("text", "")) <= 3000:
                    errors.append(f"block {i}: context text must be 1-3000 chars")
        elif kind not in ("divider", "actions", "image", "rich_text"):
            errors.append(f"block {i}: unknown type {kind!r}")
    return errors


class SlackServer:
    """The fake Slack (Web API + one incoming webhook) on 127.0.0.1; a context manager.

    Args:
        token (str): the bot token accepted (others get ``invalid_auth``).
        channels (dict[str, str]): channel id -> name; the bot is a member of all of them.
    """

    def __init__(self, *, token: str = "xoxb-test-token", channels: dict[str, str] | None = None):
        self.token = token
        self.channels: dict[str, Channel] = {
            cid: Channel(cid, name) for cid, name in (channels or {"C0MODELS": "models"}).items()
        }
        self.calls: list[Call] = []
        self.webhook_messages: list[dict[str, Any]] = []
        self._inject: dict[str, list[Injected]] = {}
        self._lock = threading.Lock()
        self._ts = 1745884800_000100  # 2025-04-29T00:00:00Z, microseconds
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> SlackServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                server._handle(self)

            def do_POST(self) -> None:
                server._handle(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def api_url(self) -> str:
        """Base URL for ``TRACKER_SLACK_API_URL`` (ends with ``/api/``)."""
        return self.url + "/api/"

    @property
    def webhook_url(self) -> str:
        """An incoming-webhook URL served by this server."""
        return self.url + "/webhook/T0TEAM/B0HOOK/secret"

    # ------------------------------------------------------------------ test helpers

    def fail_next(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        body: Any = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (``chat.postMessage``, ``webhook``...) fail.

        ``error`` gives Slack's ``{"ok": false, "error": ...}`` (Web API) or the text body
        (webhook); ``status`` 429 with ``headers={"Retry-After": "3"}`` simulates rate limits.
        """
        if body is None:
            body = error if method == "webhook" else {"ok": False, "error": error or "internal_error"}
        with self._lock:
            self._inject.setdefault(method, []).extend(Injected(status, body, headers or {}) for _ in range(times))

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of one method, in order."""
        return [c for c in self.calls if c.method == method]

    def top_level(self, channel_id: str) -> list[dict[str, Any]]:
        """Top-level messages of a channel (not thread replies), oldest first."""
        return [m for m in self.channels[channel_id].messages if m.get("thread_ts") in (None, m["ts"])]

    def replies(self, channel_id: str, ts: str) -> list[dict[str, Any]]:
        """Thread replies under ``ts`` (without the parent), oldest first."""
        return [m for m in self.channels[channel_id].messages if m.get("thread_ts") == ts and m["ts"] != ts]

    # ------------------------------------------------------------------ HTTP

    def _next_ts(self) -> str:
        self._ts += 100
        return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        headers = dict(req.headers.items())
        args: dict[str, Any] = dict(parse_qsl(parts.query))
        ctype = req.headers.get("Content-Type", "")
        if raw and "json" in ctype:
            args.update(json.loads(raw))
        elif raw:
            args.update(parse_qsl(raw.decode()))
        if parts.path.startswith("/webhook/"):
            method = "webhook"
        elif parts.path.startswith("/api/"):
            method = parts.path[len("/api/") :]
        else:
            self._reply(req, 404, "not found", {})
            return
        with self._lock:
            self.calls.append(Call(method, args, headers, req.command))
            injected = self._inject.get(method)
            inj = injected.pop(0) if injected else None
        if inj is not None:
            self._reply(req, inj.status, inj.body, inj.headers)
            return
        if method == "webhook":
            self._webhook(req, args)
            return
        auth = headers.get("Authorization", "")
        if not auth:
            self._reply(req, 200, {"ok": False, "error": "not_authed"}, {})
            return
        if auth != f"Bearer {self.token}":
            self._reply(req, 200, {"ok": False, "error": "invalid_auth"}, {})
            return
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            self._reply(req, 200, {"ok": False, "error": "unknown_method"}, {})
            return
        with self._lock:
            body = handler(args)
        self._reply(req, 200, body, {})

    @staticmethod
    def _reply(req: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str]) -> None:
        data = (json.dumps(body) if not isinstance(body, str) else body).encode()
        req.send_response(status)
        req.send_header(
            "Content-Type",
            "application/json; charset=utf-8" if not isinstance(body, str) else "text/plain; charset=utf-8",
        )
        req.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            req.send_header(k, v)
        req.end_headers()
        req.wfile.write(data)

    def _webhook(self, req: BaseHTTPRequestHandler, args: dict[str, Any]) -> None:
        if "blocks" in args and block_errors(args["blocks"]):
            self._reply(req, 400, "invalid_blocks", {})
            return
        if not args.get("text") and not args.get("blocks"):
            self._reply(req, 400, "no_text", {})
            return
        with self._lock:
            self.webhook_messages.append(args)
        self._reply(req, 200, "ok", {})

    # ------------------------------------------------------------------ Web API methods

    def _channel(self, ref: str | None, *, by_name: bool = True) -> Channel | dict[str, Any]:
        if not ref:
            return {"ok": False, "error": "channel_not_found"}
        if ref in self.channels:
            ch = self.channels[ref]
        else:
            name = ref.lstrip("#")
            found = [c for c in self.channels.values() if c.name == name] if by_name else []
            if not found:
                return {"ok": False, "error": "channel_not_found"}
            ch = found[0]
        if ch.archived:
            return {"ok": False, "error": "is_archived"}
        return ch

    def _api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://tracker-test.slack.com/",
            "team": "Tracker Test",
            "user": "tracker",
            "team_id": "T0TEAM",
            "user_id": "U0BOT",
            "bot_id": "B0BOT",
        }

    def _api_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        ch = self._channel(args.get("channel"))
        if isinstance(ch, dict):
            return ch
        if not ch.member:
            return {"ok": False, "error": "not_in_channel"}
        blocks = args.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if blocks is not None and block_errors(blocks):
            return {"ok": False, "error": "invalid_blocks", "errors": block_errors(blocks)}
        if not args.get("text") and not blocks:
            return {"ok": False, "error": "no_text"}
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        thread_ts = args.get("thread_ts")
        if thread_ts and not any(m["ts"] == thread_ts for m in ch.messages):
            return {"ok": False, "error": "thread_not_found"}
        ts = self._next_ts()
        msg = {
            "type": "message",
            "ts": ts,
            "text": args.get("text", ""),
            "blocks": blocks or [],
            "user": "U0BOT",
            "bot_id": "B0BOT",
        }
        if metadata:
            msg["metadata"] = metadata
        if thread_ts:
            msg["thread_ts"] = thread_ts
        ch.messages.append(msg)
        public = {k: v for k, v in msg.items() if k != "metadata"}
        return {"ok": True, "channel": ch.id, "ts": ts, "message": public}

    def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        ch = self._channel(args.get("channel"), by_name=False)  # Slack wants the id here
        if isinstance(ch, dict):
            return ch
        blocks = args.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if blocks is not None and block_errors(blocks):
            return {"ok": False, "error": "invalid_blocks"}
        for msg in ch.messages:
            if msg["ts"] == args.get("ts"):
                msg["text"] = args.get("text", msg["text"])
                if blocks is not None:
                    msg["blocks"] = blocks
                msg["edited"] = {"user": "U0BOT", "ts": self._next_ts()}
                return {"ok": True, "channel": ch.id, "ts": msg["ts"], "text": msg["text"]}
        return {"ok": False, "error": "message_not_found"}

    @staticmethod
    def _flag(value: Any) -> bool:
        return str(value).lower() in ("1", "true")

    def _shown(self, msg: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
        if self._flag(args.get("include_all_metadata")):
            return dict(msg)
        return {k: v for k, v in msg.items() if k != "metadata"}

    def _api_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        ch = self._channel(args.get("channel"), by_name=False)
        if isinstance(ch, dict):
            return ch
        if not ch.member:
            return {"ok": False, "error": "not_in_channel"}
        limit = int(args.get("limit") or 100)
        top = [m for m in ch.messages if m.get("thread_ts") in (None, m["ts"])]
        newest_first = list(reversed(top))[:limit]
        return {"ok": True, "messages": [self._shown(m, args) for m in newest_first], "has_more": len(top) > limit}

    def _api_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        ch = self._channel(args.get("channel"), by_name=False)
        if isinstance(ch, dict):
            return ch
        ts = args.get("ts")
        thread = [m for m in ch.messages if m["ts"] == ts or m.get("thread_ts") == ts]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        limit = int(args.get("limit") or 100)
        return {"ok": True, "messages": [self._shown(m, args) for m in thread[:limit]], "has_more": len(thread) > limit}

    def _api_conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        chans = [
            {"id": c.id, "name": c.name, "is_member": c.member, "is_archived": c.archived}
            for c in self.channels.values()
            if not (c.archived and self._flag(args.get("exclude_archived")))
        ]
        return {"ok": True, "channels": chans, "response_metadata": {"next_cursor": ""}}
