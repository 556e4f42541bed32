"""Email notifier: a delivery rendered by its kind, built into one MIME message, sent over SMTP.

Rendering by kind (``digest``, ``alert``) is ``tracker.notify.email.render``; the MIME message
(headers, both parts, inline images) is ``tracker.notify.email.mime``; the SMTP transport
(``TRACKER_SMTP_URL``: STARTTLS or implicit TLS, which failures are permanent) is
``tracker.notify.email.smtp``.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from tracker.config import Settings
from tracker.domain import utcnow
from tracker.errors import DeliveryError
from tracker.notify.base import Outgoing, SendResult
from tracker.notify.email.mime import build_email, header_text, message_id
from tracker.notify.email.render import RENDERERS
from tracker.notify.email.smtp import DEFAULT_DEADLINE_S, SmtpUrl, email_problem, parse_smtp_url, secret_text, send_smtp

log = logging.getLogger(__name__)


class EmailNotifier:
    """The ``email:`` channel: renders a delivery (digest or alert) and sends it over SMTP.

    Args:
        url (SmtpUrl): the server. sender (str): the From header. to (str): the recipient.
        timeout_s (float): seconds for connect and each SMTP command.
        deadline_s (float): seconds for the whole exchange of one message (``TRACKER_HTTP_DEADLINE``).
        ca_file (Path, optional): CA bundle for TLS.
        clock (callable, optional): returns the current UTC time (Date header).
    """

    name = "email"

    def __init__(
        self,
        *,
        url: SmtpUrl,
        sender: str,
        to: str,
        timeout_s: float = 30.0,
        ca_file: Path | None = None,
        clock: Any = utcnow,
        deadline_s: float = DEFAULT_DEADLINE_S,
    ):
        self.url, self.sender, self.to = url, header_text(sender), to
        self.timeout_s, self.ca_file, self.clock = timeout_s, ca_file, clock
        self.deadline_s = deadline_s

    @classmethod
    def from_settings(cls, settings: Settings, *, target: str) -> EmailNotifier:
        """Build from ``TRACKER_SMTP_URL``, ``TRACKER_EMAIL_FROM``, ``TRACKER_SMTP_TIMEOUT_S``,
        ``TRACKER_SMTP_CA_FILE`` for the recipient ``target``.

        Raises:
            DeliveryError: permanent, when email is not configured or ``target`` is not an address.
        """
        problem = email_problem(settings, target)
        if problem is not None:
            raise DeliveryError(f"email:{target}: {problem}", permanent=True)
        assert settings.email.smtp_url is not None and settings.email.from_address is not None
        return cls(
            url=parse_smtp_url(secret_text(settings.email.smtp_url)),
            sender=settings.email.from_address,
            to=target,
            timeout_s=settings.email.smtp_timeout_s,
            ca_file=settings.email.smtp_ca_file,
            deadline_s=settings.http.deadline,
        )

    def build(self, out: Outgoing) -> EmailMessage:
        """Return the MIME message for a delivery.

        Raises:
            DeliveryError: permanent, for a kind email cannot send (``digest``, ``alert``, ``report`` only)
                or a delivery without its content.
        """
        render = RENDERERS.get(out.kind)
        if render is None:
            raise DeliveryError(f"delivery {out.delivery_id}: email cannot send kind {out.kind!r}", permanent=True)
        content = render(out)
        return build_email(
            content.rendered,
            sender=self.sender,
            to=self.to,
            msg_id=message_id(out, self.sender),
            date=self.clock(),
            images=content.images,
            unsubscribe_url=content.unsubscribe_url,
        )

    def send(self, out: Outgoing) -> SendResult:
        """Send one delivery; returns ``external_ref={"message_id": ...}``.

        Raises:
            DeliveryError: see ``build`` and ``tracker.notify.email.smtp.send_smtp``.
        """
        msg = self.build(out)
        send_smtp(
            self.url,
            msg,
            envelope_from=parseaddr(self.sender)[1],
            to=self.to,
            timeout_s=self.timeout_s,
            ca_file=self.ca_file,
            deadline_s=self.deadline_s,
        )
        log.info("email %s sent to %s (%s)", out.kind, self.to, msg["Message-ID"])
        return SendResult(external_ref={"message_id": str(msg["Message-ID"])})

    def find_sent(self, out: Outgoing) -> SendResult | None:
        """SMTP cannot tell whether an earlier send arrived: None (at-least-once; the Message-ID
        is the same on a resend, so clients that de-duplicate by it show one message)."""
        return None
