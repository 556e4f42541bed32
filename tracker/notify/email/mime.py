"""The MIME message of an email delivery: headers, both bodies and inline images (pure).

``build_email`` makes an ``email.message.EmailMessage`` with ``policy.SMTP`` (CRLF, header
folding, lines under 998 octets: long body lines make the body quoted-printable). Always both
parts: ``multipart/alternative`` [``text/plain``, ``multipart/related`` [``text/html``,
``image/png`` with a ``Content-ID`` referenced as ``cid:`` from the HTML]]. Headers Date,
Message-ID (``<tracker.<kind>.<delivery id>.<key hash>@<From domain>>``, the same on every
attempt, so clients that de-duplicate by it show a resend once), From, To, Subject (UTF-8
encoded words), List-Unsubscribe when a link is configured. Every external string that goes into
a header has its whitespace runs (CR, LF, tabs, Unicode line separators) collapsed to one space
(``header_text``), so an arXiv title with line breaks can neither break nor inject a header.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from tracker.domain import as_utc
from tracker.notify.base import Outgoing

#: Longest Subject kept (characters; a longer one is cut with an ellipsis).
SUBJECT_MAX = 160


def header_text(value: Any, *, limit: int | None = None) -> str:
    """Return ``value`` as one header-safe line: every whitespace run (CR, LF, tab, U+2028...)
    becomes one space; cut to ``limit`` characters with an ellipsis."""
    text = " ".join(str(value).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """One email's rendered parts. subject: one line (unfolded); text / html: the bodies."""

    subject: str
    text: str
    html: str


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "tracker.invalid"


def message_id(out: Outgoing, sender: str) -> str:
    """Return the delivery's Message-ID, identical on every attempt of the delivery."""
    tag = hashlib.sha256(out.idempotency_key.encode("utf-8")).hexdigest()[:12]
    kind = re.sub(r"[^a-z0-9]", "", out.kind.lower()) or "mail"
    return f"<tracker.{kind}.{out.delivery_id}.{tag}@{_domain(sender)}>"


def build_email(
    rendered: RenderedEmail,
    *,
    sender: str,
    to: str,
    msg_id: str,
    date: datetime,
    images: dict[str, bytes] | None = None,
    unsubscribe_url: str | None = None,
) -> EmailMessage:
    """Build the MIME message (pure; see the module docstring for the structure).

    Args:
        rendered (RenderedEmail): subject and both bodies.
        sender (str): the From header (``tracker <tracker@example.org>``).
        to (str): one recipient address.
        msg_id (str): the Message-ID (with angle brackets).
        date (datetime): the Date header (UTC).
        images (dict[str, bytes], optional): Content-ID (without brackets) -> PNG bytes, inline
            in a ``multipart/related`` with the HTML part.
        unsubscribe_url (str, optional): sets ``List-Unsubscribe: <url>``.

    Returns:
        EmailMessage: with ``policy.SMTP`` (CRLF line ends, folded headers).
    """
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = header_text(rendered.subject, limit=SUBJECT_MAX)
    msg["From"] = header_text(sender)
    msg["To"] = header_text(to)
    msg["Date"] = format_datetime(as_utc(date), usegmt=True)
    msg["Message-ID"] = header_text(msg_id)
    if unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{header_text(unsubscribe_url)}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    if images:
        html_part = msg.get_payload()[1]
        for cid, png in images.items():
            html_part.add_related(
                png, maintype="image", subtype="png", cid=f"<{cid}>", filename=f"{cid}.png", disposition="inline"
            )
    return msg
