"""What each kind of Slack message looks like: pure renderers chosen from a table (no I/O).

``slack_kind(out)`` names what a delivery is for Slack: an ``alert`` about a release (its
placement, parent or reply, is decided by ``tracker.notify.slack.threads``), a ``cadence`` alert
about a lab, the weekly ``pulse``, a ``test`` message, or any other ``payload``.
``RENDERERS[role](out, where)`` turns a delivery into ``SlackContent`` for one message role:

* ``parent``: the release (or paper) message, the parent of the release's thread;
* ``reply``: a poll's new variants, as a reply in that thread;
* ``follow_up``: the same as a stand-alone message naming the release (no thread to reply in);
* ``cadence``: a ``lab_quiet`` / ``lab_burst`` alert;
* ``notice``: an informational notice (an org move), top-level, never a release alert;
* ``radar``: a radar alert (an org outside the watchlist crossed the alert score), top-level;
* ``pulse``: the blocks and text frozen into the pulse delivery's payload, and its chart;
* ``test``: the sample message, unless the payload brings its own blocks;
* ``payload``: ``payload["blocks"]`` (trusted: built with the Block Kit builders) with
  ``payload["text"]``, or a plain ``text``/``title`` that is escaped here.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tracker.domain import EventType
from tracker.notify.base import Outgoing
from tracker.notify.content import CADENCE_EVENTS, RADAR_EVENTS, Message
from tracker.notify.slack.blocks import alert_content, test_content, variant_content
from tracker.notify.slack.follow_ups import notice_content
from tracker.notify.slack.mrkdwn import SlackChart, SlackContent, escape
from tracker.notify.slack.pulse_blocks import cadence_alert_content
from tracker.notify.slack.radar_blocks import radar_alert_content


@dataclass(frozen=True, slots=True)
class Where:
    """What a renderer may say about the sending side.

    Attributes:
        channel (str): the channel as configured (``#models``), or a phrase for a webhook's channel.
        now (datetime): the sending time (UTC).
    """

    channel: str
    now: datetime


Renderer = Callable[[Outgoing, Where], SlackContent]


def slack_kind(out: Outgoing) -> str:
    """How Slack treats a delivery: ``alert``, ``cadence``, ``notice``, ``radar``, ``pulse``, ``test`` or ``payload``.

    An alert without its message (its event is gone) has nothing to render but its payload.
    """
    message = out.message
    if out.kind == "pulse":
        return "pulse"
    if message is not None and message.event in CADENCE_EVENTS:
        return "cadence"
    if message is not None and message.event == EventType.ORG_MOVE:
        return "notice"
    if message is not None and message.event in RADAR_EVENTS:
        return "radar"
    if out.kind == "alert" and message is not None:
        return "alert"
    return "test" if out.kind == "test" else "payload"


def _message(out: Outgoing) -> Message:
    if out.message is None:
        raise ValueError(f"delivery {out.delivery_id} has no alert content")
    return out.message


def render_parent(out: Outgoing, where: Where) -> SlackContent:
    """The release (or paper) message of an alert: the parent of the release's thread."""
    return alert_content(_message(out))


def render_reply(out: Outgoing, where: Where) -> SlackContent:
    """A poll's new variants, as a reply in the release's thread."""
    return variant_content(_message(out))


def render_follow_up(out: Outgoing, where: Where) -> SlackContent:
    """A poll's new variants as a stand-alone message that names the release (no thread around it)."""
    return variant_content(_message(out), follow_up=True)


def render_cadence(out: Outgoing, where: Where) -> SlackContent:
    """A ``lab_quiet`` / ``lab_burst`` alert."""
    return cadence_alert_content(_message(out))


def render_notice(out: Outgoing, where: Where) -> SlackContent:
    """An informational notice (an org move)."""
    return notice_content(_message(out))


def render_radar(out: Outgoing, where: Where) -> SlackContent:
    """A radar alert: an org outside the watchlist crossed the alert score (top-level, once per org)."""
    return radar_alert_content(_message(out))


def render_pulse(out: Outgoing, where: Where) -> SlackContent:
    """The pulse as frozen into its payload (``blocks``, ``text``) and its chart (``chart_png_b64``), if any."""
    payload = out.payload
    chart = None
    if payload.get("chart_png_b64"):
        chart = SlackChart(
            png=base64.b64decode(payload["chart_png_b64"]),
            filename=payload.get("chart_filename") or "pulse.png",
            title=payload.get("chart_title") or "Releases per ISO week",
        )
    return SlackContent(list(payload.get("blocks") or []), str(payload.get("text") or "Weekly pulse"), chart=chart)


def render_payload(out: Outgoing, where: Where) -> SlackContent:
    """``payload["blocks"]`` with ``payload["text"]``, or the escaped ``text``/``title`` (the kind as a last resort)."""
    blocks = list(out.payload.get("blocks") or [])
    if blocks:
        return SlackContent(blocks, str(out.payload.get("text") or out.kind))
    return SlackContent([], escape(out.payload.get("text") or out.payload.get("title") or out.kind))


def render_test(out: Outgoing, where: Where) -> SlackContent:
    """The sample message of ``tracker slack test``, unless the payload brings its own blocks."""
    if out.payload.get("blocks"):
        return render_payload(out, where)
    return test_content(channel=where.channel, now=where.now)


#: The renderer of each message role (see the module docstring).
RENDERERS: dict[str, Renderer] = {
    "parent": render_parent,
    "reply": render_reply,
    "follow_up": render_follow_up,
    "cadence": render_cadence,
    "notice": render_notice,
    "radar": render_radar,
    "pulse": render_pulse,
    "test": render_test,
    "payload": render_payload,
}
