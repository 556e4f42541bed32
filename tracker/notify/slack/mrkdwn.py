"""Slack text primitives: mrkdwn escaping, safe links, truncation, Block Kit limits (no I/O).

Safety: every external string (repo names, titles, card text, abstracts, authors, licences)
goes through ``escape`` (``&`` -> ``&amp;``, ``<`` -> ``&lt;``, ``>`` -> ``&gt;``) before it is
placed in a text object, so a repo called ``<!channel>`` renders as text and pings no one; the
only ``<...>`` sequences in the output are links built with ``link`` (http/https targets only,
``|`` and ``>`` percent-encoded). mrkdwn text objects also carry ``verbatim: true`` so Slack
does not auto-link channel names or URLs inside them.

Limits (Slack Block Kit reference): header ``plain_text`` 150 characters, section text 3000,
section field 2000, 10 fields per section, 10 context elements, 50 blocks per message.
``truncate`` cuts escaped text without splitting an entity (``&amp;``) or a link (``<url|label>``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

HEADER_MAX = 150
SECTION_TEXT_MAX = 3000
FIELD_MAX = 2000
CONTEXT_TEXT_MAX = 2000
FALLBACK_TEXT_MAX = 3000
MAX_FIELDS = 10
MAX_BLOCKS = 50
ELLIPSIS = "…"

Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SlackChart:
    """An image posted into the message's thread with the files API (bot token only).

    Attributes:
        png (bytes): the image. filename (str): shown in Slack. title (str): the file's title.
    """

    png: bytes
    filename: str
    title: str


@dataclass(frozen=True, slots=True)
class SlackContent:
    """What ``chat.postMessage``/``chat.update``/a webhook sends: Block Kit blocks + fallback text.

    Attributes:
        blocks (list[dict]): at most 50 blocks, every text within its limit.
        text (str): escaped mrkdwn fallback (notifications, screen readers), at most 3000 chars.
        chart (SlackChart, optional): uploaded into the message's thread after it is posted.
    """

    blocks: list[Block]
    text: str
    chart: SlackChart | None = None


def escape(text: object) -> str:
    """Escape ``&``, ``<`` and ``>`` (Slack's three control characters) in an external string."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, label: object) -> str:
    """Return a safe mrkdwn link ``<url|label>``; just the escaped label if the URL is not http(s).

    The label is escaped; in the URL ``&``/``<``/``>`` are escaped and ``|``/``>``/spaces are
    percent-encoded, so neither part can close the link early or smuggle a mention.
    """
    label_s = escape(label).replace("|", "¦")
    if not url or not re.match(r"^https?://", url, re.IGNORECASE):
        return label_s
    safe = (
        url.replace("|", "%7C")
        .replace(">", "%3E")
        .replace("<", "%3C")
        .replace(" ", "%20")
        .replace("\n", "")
        .replace("&", "&amp;")
    )
    return f"<{safe}|{label_s}>"


def truncate(text: str, limit: int) -> str:
    """Cut already-escaped mrkdwn to ``limit`` characters, ending with ``…`` when cut.

    Never leaves half an entity (``&am``) or half a link (``<https://x|lab``): the cut moves
    back before the ``&`` or ``<`` that starts it. Every ``&`` and ``<`` in escaped text starts
    an entity or one of our links, which is what makes this safe.
    """
    if len(text) <= limit:
        return text
    cut = text[: max(limit - len(ELLIPSIS), 0)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    lt = cut.rfind("<")
    if lt != -1 and ">" not in cut[lt:]:
        cut = cut[:lt]
    return cut + ELLIPSIS


def plain(text: str, limit: int = HEADER_MAX) -> dict[str, Any]:
    """A ``plain_text`` object from escaped text, truncated to ``limit``."""
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    """A ``mrkdwn`` object (``verbatim``: no auto-linking) from escaped text, truncated to ``limit``."""
    return {"type": "mrkdwn", "text": truncate(text, limit) or " ", "verbatim": True}


def section(text: str) -> Block:
    """A section block with escaped mrkdwn text (3000 chars max)."""
    return {"type": "section", "text": mrkdwn(text)}


def fields_section(fields: Sequence[str]) -> Block:
    """A section of two-column fields (at most 10, 2000 chars each)."""
    return {"type": "section", "fields": [mrkdwn(f, FIELD_MAX) for f in fields[:MAX_FIELDS]]}


def context(parts: Iterable[str]) -> Block:
    """A context block (small grey text): the non-empty escaped parts joined by `` · ``."""
    return {"type": "context", "elements": [mrkdwn("  ·  ".join(p for p in parts if p), CONTEXT_TEXT_MAX)]}


def add_context(blocks: list[Block], parts: Iterable[str]) -> None:
    """Append a context block of the non-empty ``parts``; nothing when all are empty."""
    parts = [p for p in parts if p]
    if parts:
        blocks.append(context(parts))


def fit_blocks(blocks: list[Block]) -> list[Block]:
    """Keep at most 50 blocks; the last one then says how many were left out."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    dropped = len(blocks) - (MAX_BLOCKS - 1)
    return [*blocks[: MAX_BLOCKS - 1], context([f"{dropped} more block(s) not shown"])]
