"""Test doubles: a recording notifier, a settable clock, an outbox-event factory, a webhook receiver."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy.orm import Session

from tracker.domain import EventType
from tracker.errors import DeliveryError
from tracker.notify import Outgoing, SendResult, ThreadRef
from tracker.store.models import Artifact, Event, Lab, Release


class FakeClock:
    """A clock that only moves when told: ``clock()`` returns the current aware UTC time."""

    def __init__(self, now: datetime | None = None):
        self.now = now or datetime(2025, 4, 28, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@dataclass
class RecordingNotifier:
    """A Notifier that records every send; optional scripted failures, a gate and a memory.

    Attributes:
        sent (list[Outgoing]): every successful send, in order.
        failures (list[DeliveryError]): raised by the next sends, first first (then success).
        remembers (bool): ``find_sent`` reports an earlier send of the same delivery id (like Slack
            metadata search); False means "cannot tell" (None).
        preexisting (set[int]): delivery ids ``find_sent`` reports as sent although ``send`` never
            ran here (a send whose worker died before recording it).
        gate (threading.Event, optional): ``send`` waits for it (to hold a send in flight).
        entered (threading.Event): set when a ``send`` starts.
        thread_ts (str, optional): when set, a send without ``out.thread`` returns this new parent
            thread; a send with one returns it with ``variant_count + 1``.
    """

    name: str = "recording"
    sent: list[Outgoing] = field(default_factory=list)
    failures: list[DeliveryError] = field(default_factory=list)
    remembers: bool = True
    preexisting: set[int] = field(default_factory=set)
    gate: threading.Event | None = None
    entered: threading.Event = field(default_factory=threading.Event)
    thread_ts: str | None = None
    find_calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, out: Outgoing) -> SendResult:
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(30), "test gate never opened"
        with self._lock:
            if self.failures:
                raise self.failures.pop(0)
            self.sent.append(out)
        thread = None
        if self.thread_ts is not None:
            if out.thread is None:
                thread = ThreadRef(channel_id="C1", ts=self.thread_ts, variant_count=1)
            else:
                thread = ThreadRef(out.thread.channel_id, out.thread.ts, out.thread.variant_count + 1)
        return SendResult(external_ref={"n": len(self.sent)}, thread=thread)

    def find_sent(self, out: Outgoing) -> SendResult | None:
        self.find_calls += 1
        if out.delivery_id in self.preexisting:
            return SendResult(external_ref={"found": True})
        if not self.remembers:
            return None
        with self._lock:
            found = any(o.delivery_id == out.delivery_id for o in self.sent)
        return SendResult(external_ref={"found": True}) if found else None

    def counts(self) -> Counter[int]:
        """Sends per delivery id."""
        return Counter(o.delivery_id for o in self.sent)


def add_alert_event(
    session: Session,
    *,
    lab: str = "qwen",
    country: str = "CN",
    kind: str = "model",
    title: str = "Qwen3",
    name: str = "Qwen/Qwen3-8B",
    kinds: Sequence[str] = ("instruct",),
    params_total_b: float | None = 8.0,
    licence: str | None = "apache-2.0",
    significance: float | None = None,
    event_type: EventType = EventType.RELEASE_DETECTED,
    release: Release | None = None,
    now: datetime | None = None,
) -> Event:
    """Insert a lab (if needed), a release (unless given), an artifact and its outbox event."""
    from sqlalchemy import select

    now = now or datetime(2025, 4, 28, 12, tzinfo=UTC)
    lab_row = session.scalars(select(Lab).where(Lab.slug == lab)).first()
    if lab_row is None:
        lab_row = Lab(slug=lab, name=lab.title(), country=country)
        session.add(lab_row)
        session.flush()
    if release is None:
        release = Release(
            lab_id=lab_row.id,
            family=title.lower(),
            title=title,
            kind=kind,
            url=f"https://x/{name}",
            released_at=now,
            first_seen_at=now,
            baseline=False,
            significance=significance,
        )
        session.add(release)
        session.flush()
    artifact = Artifact(
        source="hf" if kind == "model" else "arxiv",
        external_id=f"id-{name}",
        kind=kind,
        lab_id=lab_row.id,
        release_id=release.id,
        name=name,
        org=lab,
        url=f"https://x/{name}",
        first_seen_at=now,
        kinds=list(kinds),
        params_total_b=params_total_b,
        attrs={"license": licence} if licence else {},
    )
    session.add(artifact)
    session.flush()
    event = Event(
        type=event_type.value,
        release_id=release.id,
        artifact_id=artifact.id,
        created_at=now,
        payload={
            "lab": lab,
            "lab_name": lab.title(),
            "country": country,
            "release_id": release.id,
            "title": title,
            "kind": kind,
            "artifact": {
                "name": name,
                "url": f"https://x/{name}",
                "kinds": list(kinds),
                "params_total_b": params_total_b,
            },
        },
    )
    session.add(event)
    session.flush()
    return event


class WebhookReceiver:
    """A local HTTP server recording JSON POSTs (the far end of ``webhook:`` channels).

    ``responses`` scripts the next answers as ``(status, headers)``; after them every call gets 200.
    """

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.responses: list[tuple[int, dict[str, str]]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    status, headers = receiver.responses.pop(0) if receiver.responses else (200, {})
                    if status < 300:
                        receiver.calls.append(
                            {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
                        )
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def keys(self) -> Counter[str]:
        """Received calls per ``Idempotency-Key``."""
        with self._lock:
            return Counter(c["headers"].get("Idempotency-Key") for c in self.calls)
