"""A real SMTP server on loopback for the email tests (aiosmtpd), recording what it receives.

``SmtpServer(mode=...)``:

* ``plain``: no TLS (``smtp://127.0.0.1:<port>?tls=off``);
* ``starttls``: offers STARTTLS and refuses mail before it (``smtp://``);
* ``implicit``: TLS from the first byte (``smtps://``).

TLS uses a throwaway CA and a certificate for 127.0.0.1 made by ``trustme`` in the test; the CA
file (``ca_file``) is what ``TRACKER_SMTP_CA_FILE`` points at. ``data_replies`` scripts the
answers to the next DATA commands (``"451 4.3.0 try again later"``), then mail is accepted;
``credentials`` turns AUTH on (required before MAIL). Used as a context manager.
"""

from __future__ import annotations

import email
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    """One accepted message: envelope and raw bytes (as sent, CRLF line ends)."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    def parsed(self) -> EmailMessage:
        """The message parsed with the modern email API."""
        return email.message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]


@dataclass
class _Handler:
    messages: list[Received] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.attempts += 1
            if self.data_replies:
                return self.data_replies.pop(0)
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content)
            )
        return "250 2.0.0 OK queued"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """aiosmtpd on 127.0.0.1 in a thread (see the module docstring).

    Args:
        tmp_path (Path): where the CA file is written (TLS modes).
        mode (str): ``plain`` | ``starttls`` | ``implicit``.
        data_replies (list[str], optional): replies to the next DATA commands, in order.
        credentials (tuple[str, str], optional): the only accepted AUTH user and password.
    """

    def __init__(
        self,
        tmp_path: Path,
        *,
        mode: str = "plain",
        data_replies: list[str] | None = None,
        credentials: tuple[str, str] | None = None,
    ):
        self.mode = mode
        self.handler = _Handler(data_replies=list(data_replies or []))
        self.port = _free_port()
        self.ca_file: Path | None = None
        kwargs: dict[str, Any] = {}
        if mode in ("starttls", "implicit"):
            ca = trustme.CA()
            cert = ca.issue_cert("127.0.0.1", "localhost")
            server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(server_ctx)
            self.ca_file = tmp_path / f"smtp-ca-{self.port}.pem"
            ca.cert_pem.write_to_path(str(self.ca_file))
            if mode == "starttls":
                kwargs.update(tls_context=server_ctx, require_starttls=True)
            else:
                kwargs.update(ssl_context=server_ctx)
        if credentials is not None:
            user, password = credentials

            def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
                ok = isinstance(auth_data, LoginPassword) and (
                    auth_data.login.decode(),
                    auth_data.password.decode(),
                ) == (user, password)
                return AuthResult(success=ok, handled=False)

            # aiosmtpd only counts STARTTLS as TLS for AUTH; an implicit-TLS session is encrypted anyway
            kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=mode == "starttls")
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    @property
    def messages(self) -> list[Received]:
        """Accepted messages, in order."""
        return self.handler.messages

    @property
    def attempts(self) -> int:
        """DATA commands received (accepted or answered from ``data_replies``)."""
        return self.handler.attempts

    def url(self, user: str | None = None, password: str | None = None) -> str:
        """The ``TRACKER_SMTP_URL`` for this server's mode."""
        auth = f"{user}:{password}@" if user else ""
        if self.mode == "implicit":
            return f"smtps://{auth}127.0.0.1:{self.port}"
        suffix = "?tls=off" if self.mode == "plain" else ""
        return f"smtp://{auth}127.0.0.1:{self.port}{suffix}"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
