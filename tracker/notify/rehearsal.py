"""A rehearsal transport: renders each delivery exactly as its channel would, and records it.

``tracker rehearse`` replays a real week through the real pipeline, fan-out and delivery path,
with every channel's transport replaced by ``RecordingNotifier``: Slack deliveries are rendered by
the Slack renderers (a release's first alert as the thread's parent, later ones as replies),
email by the email templates (subject and text body), Apprise by its Markdown renderer, the
JSON webhook as its body, the console as its line. Nothing leaves the machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tracker.notify.base import Outgoing, SendResult, ThreadRef


@dataclass(slots=True)
class Received:
    """What one subscription would have received: ``channel``, a ``summary`` line and the ``text``."""

    channel: str
    summary: str
    text: str


@dataclass(slots=True)
class Recorder:
    """Every rendered delivery, in sending order."""

    received: list[Received] = field(default_factory=list)
    _threads: dict[str, object] = field(default_factory=dict)

    def slack_threads(self, channel: str) -> object:
        """The channel's ``ReleaseThreads`` over a recording Slack API (kept: it remembers batches)."""
        if channel not in self._threads:
            from tracker.notify.slack.threads import ReleaseThreads

            self._threads[channel] = ReleaseThreads(api=_SlackRecorder(channel, self), webhook=None)  # type: ignore[arg-type]
        return self._threads[channel]

    def notifier(self, channel: str) -> RecordingNotifier:
        """The ``notifier_for`` factory of ``tracker.outbox``: one recording notifier per channel."""
        return RecordingNotifier(channel, self)


class RecordingNotifier:
    """Renders with the channel's own renderer and appends to its ``Recorder``; never fails."""

    def __init__(self, channel: str, recorder: Recorder):
        self.channel = channel
        self.name = f"rehearsal:{channel}"
        self._recorder = recorder

    def send(self, out: Outgoing) -> SendResult:
        """Render and record one delivery; a Slack release alert returns a thread for its variants."""
        scheme = self.channel.partition(":")[0]
        thread = None
        if scheme == "slack":
            done = _slack(out, self._recorder.slack_threads(self.channel))
            if isinstance(done, SendResult):
                return done  # posted (or folded) by the real thread logic, recorded by _SlackRecorder
            summary, text, thread = done
        elif scheme == "email":
            summary, text = _email(out)
        elif scheme == "apprise":
            from tracker.notify.apprise_notifier import render

            title, text = render(out)
            summary = out.message.headline if out.message else title
        elif scheme == "webhook":
            from tracker.notify.webhook import build_payload

            summary = out.message.headline if out.message else out.kind
            text = json.dumps(build_payload(out), default=str, ensure_ascii=False)[:2000]
        else:
            summary = out.message.headline if out.message else out.kind
            text = f"{summary} {out.message.url if out.message else ''}".strip()
        self._recorder.received.append(Received(self.channel, summary, text))
        return SendResult(external_ref={"rehearsal": True}, thread=thread)

    def find_sent(self, out: Outgoing) -> SendResult | None:
        """Nothing was really sent: None."""
        return None


class _SlackRecorder:
    """The part of ``SlackApi`` that ``ReleaseThreads`` uses, recording posts instead of sending.

    Replies and folds are decided by the real thread logic (``tracker.notify.slack.threads``);
    parent edits are counted on the parent's line.
    """

    channel_id = "CREHEARSAL"

    def __init__(self, channel: str, recorder: Recorder):
        self.channel, self.recorder = channel, recorder
        self.posted: dict[str, Received] = {}  # ts -> the recorded parent
        self.batches: set[tuple[str, str]] = set()
        self._n = 0

    def post(self, content, *, what: str, metadata=None, thread_ts: str | None = None, broadcast: bool = False):  # type: ignore[no-untyped-def]
        """``SlackApi.post``'s signature: a parent, or a reply (also in the channel when ``broadcast``)."""
        from tracker.notify.slack.blocks import render_text

        self._n += 1
        ts = f"{self._n}.000000"
        shown = ", also sent to the channel" if broadcast else ""
        prefix = f"  ↳ reply in thread {thread_ts}{shown}: " if thread_ts else f"[thread {ts}] "
        item = Received(self.channel, prefix + content.text[:200], render_text(content.blocks))
        self.recorder.received.append(item)
        batch = ((metadata or {}).get("event_payload") or {}).get("batch")
        if thread_ts and batch:
            self.batches.add((thread_ts, str(batch)))
        if not thread_ts:
            self.posted[ts] = item
        return {"channel": self.channel_id, "ts": ts}

    def update(self, thread: ThreadRef, content) -> None:  # type: ignore[no-untyped-def]
        """``SlackApi.update``: counted on the parent's line."""
        parent = self.posted.get(thread.ts)
        if parent is not None:
            parent.summary = parent.summary.split(" (edited", 1)[0] + f" (edited: {thread.variant_count}+ variants)"

    def batch_posted(self, thread: ThreadRef, batch_key: str) -> bool:
        """``SlackApi.batch_posted``: whether this rehearsal posted the batch in that thread."""
        return (thread.ts, batch_key) in self.batches


def _slack(out: Outgoing, threads: object) -> tuple[str, str, ThreadRef | None] | SendResult:
    from tracker.notify.slack.blocks import render_text
    from tracker.notify.slack.render import RENDERERS, Where, slack_kind

    where = Where(channel="#rehearsal", now=datetime.now(UTC))
    kind = slack_kind(out)
    if kind == "alert":
        return threads.send(out, where)  # type: ignore[attr-defined]
    content = RENDERERS[kind](out, where)
    return content.text[:200], render_text(content.blocks), None


def _email(out: Outgoing) -> tuple[str, str]:
    from tracker.notify.email.render import RENDERERS

    render = RENDERERS.get(out.kind)
    if render is None:
        return f"(email cannot send {out.kind})", ""
    rendered = render(out).rendered
    return f"Subject: {rendered.subject}", rendered.text
