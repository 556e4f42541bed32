"""Follow-ups of an announced release on Slack, and informational notices (pure rendering + placement).

With a bot token every follow-up works on the release's parent message in the channel
(``Outgoing.thread``), never as a new top-level post:

* ``release_withdrawn`` / ``release_restored``: the parent is edited in place (``chat.update``)
  to say "withdrawn after 41 min", or back to the announcement;
* ``paper_linked``: the parent is edited to show the report's link, and ONE reply in its thread
  says "Technical report: <title> (arXiv <id>)", also shown in the channel (``reply_broadcast``)
  when the delivery's payload says ``broadcast`` (a report long after its weights); when it says
  ``in_parent`` (the parent was posted after the report joined, so it shows it) nothing is posted;
* ``launch_linked``: one reply in the paper's thread pointing to the launch.

A channel with no parent message for the release (it never got the alert) gets nothing. An
incoming webhook cannot edit or reply: a follow-up is one stand-alone message naming the release.
An ``org_move`` notice is one top-level informational message (``notice_content``).
"""

from __future__ import annotations

import logging

from tracker.domain import EventType
from tracker.notify.base import Outgoing, SendResult, ThreadRef
from tracker.notify.content import Message
from tracker.notify.slack.api import SlackApi, SlackWebhook, delivery_metadata
from tracker.notify.slack.blocks import flag, release_content, short_lab, withdrawn_text
from tracker.notify.slack.errors import SlackDeliveryError
from tracker.notify.slack.mrkdwn import FALLBACK_TEXT_MAX, Block, SlackContent, add_context, escape, link, section
from tracker.notify.slack.mrkdwn import truncate as clamp

log = logging.getLogger(__name__)

#: Follow-ups that only edit the parent message.
EDITS = frozenset({EventType.RELEASE_WITHDRAWN, EventType.RELEASE_RESTORED})


def follow_up_line(message: Message) -> str:
    """The follow-up's one line, escaped mrkdwn: the note, linked to what it names."""
    if message.event == EventType.RELEASE_WITHDRAWN:
        return f":no_entry: *{escape(message.title)}* was {escape(withdrawn_text(message) or 'withdrawn')}"
    if message.event == EventType.RELEASE_RESTORED:
        return f":leftwards_arrow_with_hook: *{escape(message.title)}* is listed again"
    if message.linked is not None and message.linked.url:
        icon = ":page_facing_up:" if message.event == EventType.PAPER_LINKED else ":package:"
        return f"{icon} {link(message.linked.url, message.note)}"
    return escape(message.note)


def reply_content(message: Message) -> SlackContent:
    """A follow-up as a reply in the release's thread."""
    line = follow_up_line(message)
    return SlackContent([section(line)], clamp(escape(f"{message.title}: {message.note}"), FALLBACK_TEXT_MAX))


def stand_alone_content(message: Message) -> SlackContent:
    """A follow-up as a stand-alone message naming the release (no thread to reply in)."""
    lab = escape(short_lab(message.lab_name))
    name = link(message.release_url, message.title) if message.release_url else escape(message.title)
    head = f"{flag(message.country)} *{lab} · {name}*".strip()
    return SlackContent(
        [section(f"{head}\n{follow_up_line(message)}")],
        clamp(escape(message.headline), FALLBACK_TEXT_MAX),
    )


def notice_content(message: Message) -> SlackContent:
    """An informational notice (an org move): what happened, and why it is not a release alert."""
    lab = f"{flag(message.country)} *{escape(short_lab(message.lab_name))}*".strip()
    blocks: list[Block] = [section(f":information_source: {lab}: {escape(message.title)}")]
    add_context(blocks, [escape(f) for f in message.facts])
    return SlackContent(blocks, clamp(escape(message.headline), FALLBACK_TEXT_MAX))


def send_follow_up(api: SlackApi | None, webhook: SlackWebhook | None, out: Outgoing, message: Message) -> SendResult:
    """Place one follow-up (see the module docstring) and return the thread to keep.

    Raises:
        SlackDeliveryError: the edit (withdrawal, restoration) or the reply failed; a failed
            edit after a reply is out is only reported in ``external_ref["update_error"]``.
    """
    if webhook is not None:
        if out.payload.get("in_parent"):
            return SendResult(external_ref={"webhook": True, "folded": True})
        webhook.post(stand_alone_content(message), "the follow-up message")
        return SendResult(external_ref={"webhook": True, "follow_up": True})
    assert api is not None
    thread = out.thread
    if thread is None:  # this channel never got the release's message: nothing to edit or answer
        return SendResult(external_ref={"folded": True, "no_parent": True})
    parent = release_content(message, variant_count=thread.variant_count)
    ref: dict = {"channel": thread.channel_id, "ts": thread.ts}
    if message.event in EDITS:
        api.update(thread, parent)
        return SendResult(external_ref={**ref, "edited": True}, thread=thread)
    if out.payload.get("in_parent"):  # the parent was built after the report joined: it shows it
        return SendResult(external_ref={**ref, "folded": True}, thread=thread)
    data = api.post(
        reply_content(message),
        what="the follow-up reply",
        metadata=delivery_metadata(out),
        thread_ts=thread.ts,
        broadcast=bool(out.payload.get("broadcast")),
    )
    ref = {"channel": data.get("channel") or thread.channel_id, "ts": str(data.get("ts", "")), "thread_ts": thread.ts}
    if message.event == EventType.PAPER_LINKED:
        try:
            api.update(thread, parent)
        except SlackDeliveryError as exc:  # the reply is out: do not resend it
            log.warning("Slack parent %s/%s not updated with the report: %s", thread.channel_id, thread.ts, exc)
            ref["update_error"] = str(exc)
    return SendResult(external_ref=ref, thread=ThreadRef(thread.channel_id, thread.ts, thread.variant_count))
