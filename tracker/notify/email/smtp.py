"""The SMTP transport: ``TRACKER_SMTP_URL`` and sending one message over it (smtplib).

``smtp://[user:password@]host[:port]`` connects in plain text and upgrades with STARTTLS
(required; port 587 by default), ``smtps://...`` speaks TLS from the first byte (port 465 by
default). ``smtp://host:port?tls=off`` skips STARTTLS for a local dev relay. Certificates are
verified against the system CAs or ``TRACKER_SMTP_CA_FILE``. Failures become ``DeliveryError``:
authentication refused, a 5xx reply (recipient or sender refused, message rejected), a TLS
handshake failure (wrong port for the mode) and a server without STARTTLS are permanent;
connection errors, timeouts and 4xx replies (e.g. ``451`` greylisting) are transient and retried
by ``tracker.outbox.deliver`` with backoff.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tracker.config import Settings
from tracker.errors import ConfigError, DeliveryError
from tracker.notify.email.mime import header_text
from tracker.watchlist import is_address

log = logging.getLogger(__name__)
#: Seconds for the whole SMTP exchange when the caller does not say (``TRACKER_HTTP_DEADLINE``).
DEFAULT_DEADLINE_S = 45.0

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True, slots=True)
class SmtpUrl:
    """A parsed ``TRACKER_SMTP_URL``.

    Attributes:
        scheme (str): ``smtp`` (STARTTLS) or ``smtps`` (implicit TLS).
        host (str). port (int): 587 / 465 by default.
        username / password (str, optional): for AUTH (URL-decoded).
        starttls (bool): False only for ``smtp://...?tls=off``.
    """

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = True

    @property
    def implicit_tls(self) -> bool:
        """True for ``smtps://``."""
        return self.scheme == "smtps"

    @property
    def where(self) -> str:
        """``host:port`` for messages."""
        return f"{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpUrl:
    """Parse ``smtp://`` / ``smtps://`` URLs (see the module docstring).

    Raises:
        ConfigError: another scheme, no host, a bad port or ``tls`` value, or ``smtp://`` on
            port 465 (the implicit-TLS port: use ``smtps://``).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ConfigError(
            "TRACKER_SMTP_URL must start with smtp:// (STARTTLS) or smtps:// (implicit TLS), "
            f"got {scheme or 'no scheme'}://"
        )
    if not parts.hostname:
        raise ConfigError("TRACKER_SMTP_URL has no host (smtp://user:password@host:587)")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise ConfigError("TRACKER_SMTP_URL has an invalid port") from None
    tls = (parse_qs(parts.query).get("tls") or ["on"])[-1].lower()
    if tls not in ("on", "off"):
        raise ConfigError(f"TRACKER_SMTP_URL: tls must be on or off, got {tls!r}")
    if scheme == "smtp" and port == 465:
        raise ConfigError(
            "TRACKER_SMTP_URL: port 465 is the implicit-TLS port; use smtps://host:465 "
            "(smtp:// upgrades a plain connection with STARTTLS, usually on port 587)"
        )
    if scheme == "smtps" and tls == "off":
        raise ConfigError("TRACKER_SMTP_URL: smtps:// is always TLS; tls=off only applies to smtp://")
    return SmtpUrl(
        scheme=scheme,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        starttls=tls == "on",
    )


def secret_text(value: Any) -> str:
    """The plain text of a ``SecretStr`` setting (or of a str set without validation)."""
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


def email_problem(settings: Settings, address: str) -> str | None:
    """Return why ``email:<address>`` cannot be served with ``settings``, or None."""
    if settings.email.smtp_url is None:
        return "email is not configured yet (set TRACKER_SMTP_URL and TRACKER_EMAIL_FROM)"
    if not settings.email.from_address or not is_address(parseaddr(header_text(settings.email.from_address))[1]):
        return "TRACKER_EMAIL_FROM is not set to an address (e.g. 'tracker <tracker@example.org>')"
    if not is_address(address):
        return f"not a single email address: {address!r}"
    try:
        parse_smtp_url(secret_text(settings.email.smtp_url))
    except ConfigError as exc:
        return str(exc)
    return None


def _reply_error(exc: smtplib.SMTPResponseException, what: str, where: str) -> DeliveryError:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    permanent = exc.smtp_code >= 500
    return DeliveryError(f"SMTP {where}: {what}: {exc.smtp_code} {header_text(text)}", permanent=permanent)


_NO_GREETING_HINT = (
    " (no SMTP greeting within {timeout_s:g} s: if this is an implicit-TLS port such as 465, use smtps://)"
)


def send_smtp(
    url: SmtpUrl,
    msg: EmailMessage,
    *,
    envelope_from: str,
    to: str,
    timeout_s: float,
    ca_file: Path | None = None,
    deadline_s: float = DEFAULT_DEADLINE_S,
) -> None:
    """Send ``msg`` to ``to`` through the server of ``url`` (one connection, closed afterwards).

    ``timeout_s`` bounds each socket operation; ``deadline_s`` the whole exchange (connect,
    greeting, TLS, login, message, QUIT): a server that drips its greeting one byte at a time
    is cut off then (the socket is shut down by a timer) and the failure is transient.

    Raises:
        DeliveryError: permanent (authentication refused, 5xx reply, TLS handshake or
            certificate failure, no STARTTLS) or transient (connection refused or reset,
            timeout, 4xx reply); the message names the server and the reply.
    """
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    stage = ["connect"]  # the step in progress, for the error message
    client: smtplib.SMTP = (
        smtplib.SMTP_SSL(timeout=timeout_s, context=context) if url.implicit_tls else smtplib.SMTP(timeout=timeout_s)
    )
    fired = threading.Event()
    watchdog = threading.Timer(deadline_s, _cut_off, args=(client, fired))
    watchdog.daemon = True
    watchdog.start()
    try:
        _open_session(client, url, context=context, stage=stage)
        stage[0] = "send"
        refused = client.send_message(msg, from_addr=envelope_from, to_addrs=[to])
        if refused:  # only with several recipients; kept for completeness
            raise DeliveryError(f"SMTP {url.where}: recipients refused: {refused}", permanent=True)
        stage[0] = "QUIT"
        try:
            client.quit()
        except smtplib.SMTPException:
            log.info("SMTP %s: QUIT failed after a successful send (ignored)", url.where)
    except DeliveryError:
        raise
    except (smtplib.SMTPException, OSError) as exc:
        if fired.is_set():  # the deadline cut the socket
            raise DeliveryError(
                f"SMTP {url.where}: no complete exchange within {deadline_s:g} s (during {stage[0]}; "
                "TRACKER_HTTP_DEADLINE)"
            ) from exc
        raise _delivery_error(exc, url=url, stage=stage[0], to=to, timeout_s=timeout_s) from exc
    finally:
        watchdog.cancel()
        try:
            client.close()
        except OSError:
            log.debug("SMTP %s: close failed", url.where)


def _cut_off(client: smtplib.SMTP, fired: threading.Event) -> None:
    """Deadline passed: shut the socket down, so the blocked read in the sending thread returns."""
    fired.set()
    sock = getattr(client, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:  # already closed: the exchange ended as the timer fired
            return


def _open_session(client: smtplib.SMTP, url: SmtpUrl, *, context: ssl.SSLContext, stage: list[str]) -> None:
    """Connect ``client``, greet, upgrade to TLS and log in as ``url`` says; ``stage[0]`` names the step."""
    # Built without a host (so the deadline timer watches the connect too): give it the name the
    # TLS layer checks the certificate against (SMTP_SSL and STARTTLS read ``_host``).
    client._host = url.host
    client.connect(url.host, url.port)  # reads the greeting
    if not url.implicit_tls:
        stage[0] = "EHLO"
        client.ehlo()
        if url.starttls:
            if not client.has_extn("starttls"):
                client.close()
                raise DeliveryError(
                    f"SMTP {url.where}: the server does not offer STARTTLS; use smtps:// if it "
                    "speaks implicit TLS, or smtp://...?tls=off for a local relay",
                    permanent=True,
                )
            stage[0] = "STARTTLS"
            client.starttls(context=context)
            client.ehlo()
    if url.username:
        stage[0] = "AUTH"
        client.login(url.username, url.password or "")


def _delivery_error(exc: Exception, *, url: SmtpUrl, stage: str, to: str, timeout_s: float) -> DeliveryError:
    """Turn an smtplib, TLS or socket failure during ``stage`` into a DeliveryError (permanent or not)."""
    where = url.where
    no_greeting = stage == "connect" and not url.implicit_tls
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _reply_error(exc, "authentication refused (check the user:password in TRACKER_SMTP_URL)", where)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()), (550, b""))
        return _reply_error(smtplib.SMTPResponseException(code, reply), f"recipient {to} refused", where)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _reply_error(exc, f"sender {exc.sender} refused", where)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError(f"SMTP {where}: {stage} not supported by the server: {exc}", permanent=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply_error(exc, f"{stage} rejected", where)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return DeliveryError(
            f"SMTP {where}: TLS certificate not trusted ({exc.verify_message}); "
            "set TRACKER_SMTP_CA_FILE for a private CA",
            permanent=True,
        )
    if isinstance(exc, ssl.SSLError):
        hint = (
            "the server does not speak TLS from the first byte there: use smtp:// (STARTTLS, port 587) "
            "or the implicit-TLS port (465)"
            if url.implicit_tls
            else "the STARTTLS handshake failed"
        )
        return DeliveryError(f"SMTP {where}: TLS handshake failed ({exc.reason or exc}): {hint}", permanent=True)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        hint = _NO_GREETING_HINT.format(timeout_s=timeout_s) if no_greeting and "timed out" in str(exc) else ""
        return DeliveryError(f"SMTP {where}: connection lost during {stage}: {exc}{hint}")
    if isinstance(exc, TimeoutError):
        hint = _NO_GREETING_HINT.format(timeout_s=timeout_s) if no_greeting else ""
        return DeliveryError(f"SMTP {where}: timed out during {stage}{hint}")
    return DeliveryError(f"SMTP {where}: {stage} failed: {exc.__class__.__name__}: {exc}")
