"""Email: named message kinds rendered from templates, sent over SMTP (smtplib).

**Kinds** (warehouse style): each kind is a folder ``templates/<kind>/`` with
``subject.txt``, ``body.txt`` and ``body.html`` (Jinja2; HTML autoescaped, text not).
``digest`` renders a ``tracker.briefings.digest.Digest`` from the delivery payload with its cadence chart
inline; ``alert`` renders one release alert (``tracker.notify.messages.Message``) for an email
subscription without a digest period.

**Message** (``build_email``): ``email.message.EmailMessage`` with ``policy.SMTP`` (CRLF, header
folding, lines under 998 octets: long body lines make the body quoted-printable). Always both
parts: ``multipart/alternative`` [``text/plain``, ``multipart/related`` [``text/html``,
``image/png`` with a ``Content-ID`` referenced as ``cid:`` from the HTML]]. Headers Date,
Message-ID (``<tracker.<kind>.<delivery id>.<key hash>@<From domain>>``, the same on every
attempt), From, To, Subject (UTF-8 encoded words), List-Unsubscribe when a link is configured.
Every external string that goes into a header has its whitespace runs (CR, LF, tabs, Unicode
line separators) collapsed to one space, so an arXiv title with line breaks can neither break
nor inject a header.

**Transport** (``TRACKER_SMTP_URL``): ``smtp://[user:password@]host[:port]`` connects in plain
text and upgrades with STARTTLS (required; port 587 by default), ``smtps://...`` speaks TLS from
the first byte (port 465 by default). ``smtp://host:port?tls=off`` skips STARTTLS for a local dev
relay. Certificates are verified against the system CAs or ``TRACKER_SMTP_CA_FILE``. Failures
become ``DeliveryError``: authentication refused, a 5xx reply (recipient or sender refused,
message rejected), a TLS handshake failure (wrong port for the mode) and a server without
STARTTLS are permanent; connection errors, timeouts and 4xx replies (e.g. ``451`` greylisting)
are transient and retried by ``tracker.outbox.deliver`` with backoff.
"""

from __future__ import annotations

import hashlib
import logging
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tracker.config import Settings
from tracker.domain import as_utc, utcnow
from tracker.errors import ConfigError, DeliveryError
from tracker.notify import Outgoing, SendResult
from tracker.notify.content import Digest
from tracker.watchlist import is_address

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
#: Longest Subject kept (characters; a longer one is cut with an ellipsis).
SUBJECT_MAX = 160
CHART_CID = "cadence-chart"


def header_text(value: Any, *, limit: int | None = None) -> str:
    """Return ``value`` as one header-safe line: every whitespace run (CR, LF, tab, U+2028...)
    becomes one space; cut to ``limit`` characters with an ellipsis."""
    text = " ".join(str(value).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text



# --------------------------------------------------------------------------- SMTP URL


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
        raise ConfigError("TRACKER_SMTP_URL must start with smtp:// (STARTTLS) or smtps:// (implicit TLS), "
                          f"got {scheme or 'no scheme'}://")
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
        raise ConfigError("TRACKER_SMTP_URL: port 465 is the implicit-TLS port; use smtps://host:465 "
                          "(smtp:// upgrades a plain connection with STARTTLS, usually on port 587)")
    if scheme == "smtps" and tls == "off":
        raise ConfigError("TRACKER_SMTP_URL: smtps:// is always TLS; tls=off only applies to smtp://")
    return SmtpUrl(scheme=scheme, host=parts.hostname, port=port,
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password is not None else None,
                   starttls=tls == "on")


def _secret(value: Any) -> str:
    """The plain text of a ``SecretStr`` setting (or of a str set without validation)."""
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


def email_problem(settings: Settings, address: str) -> str | None:
    """Return why ``email:<address>`` cannot be served with ``settings``, or None."""
    if settings.smtp_url is None:
        return "email is not configured yet (set TRACKER_SMTP_URL and TRACKER_EMAIL_FROM)"
    if not settings.email_from or not is_address(parseaddr(header_text(settings.email_from))[1]):
        return "TRACKER_EMAIL_FROM is not set to an address (e.g. 'tracker <tracker@example.org>')"
    if not is_address(address):
        return f"not a single email address: {address!r}"
    try:
        parse_smtp_url(_secret(settings.smtp_url))
    except ConfigError as exc:
        return str(exc)
    return None


# --------------------------------------------------------------------------- rendering


@cache
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("tracker.notify.email", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["days"] = lambda d: "-" if d is None else f"{d:.0f}"
    env.filters["pct"] = lambda x: f"{100 * x:.0f}%"
    env.filters["rate"] = lambda x: f"{x:.1f}"
    return env


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """One email's rendered parts. subject: one line (unfolded); text / html: the bodies."""

    subject: str
    text: str
    html: str


def render_email(kind: str, context: dict[str, Any]) -> RenderedEmail:
    """Render ``templates/<kind>/{subject.txt, body.txt, body.html}`` with ``context``.

    Raises:
        jinja2.TemplateNotFound: unknown kind.
    """
    env = _environment()
    subject = env.get_template(f"{kind}/subject.txt").render(context)
    return RenderedEmail(
        subject=header_text(subject, limit=SUBJECT_MAX),
        text=env.get_template(f"{kind}/body.txt").render(context),
        html=env.get_template(f"{kind}/body.html").render(context),
    )


def digest_context(payload: dict[str, Any], *, chart_src: str | None) -> dict[str, Any]:
    """Template context of a digest delivery payload (``{"digest", "unsubscribe_url"}``).

    Args:
        chart_src (str, optional): the chart's image URL: ``cid:...`` in an email, a file name
            in a preview; None = no chart.
    """
    digest = Digest.from_dict(payload["digest"])
    return {"d": digest, "chart_src": chart_src, "unsubscribe_url": payload.get("unsubscribe_url")}


def render_digest(payload: dict[str, Any], *, chart_src: str | None = f"cid:{CHART_CID}") -> RenderedEmail:
    """Render a digest delivery payload (see ``digest_context``)."""
    return render_email("digest", digest_context(payload, chart_src=chart_src))


def render_alert(out: Outgoing) -> RenderedEmail:
    """Render an alert delivery (its ``Message``) as an email.

    Raises:
        DeliveryError: permanent, when the delivery has no message (its event is gone).
    """
    if out.message is None:
        raise DeliveryError(f"delivery {out.delivery_id}: no alert content (event missing)", permanent=True)
    return render_email("alert", {"m": out.message})


# --------------------------------------------------------------------------- message


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
            html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>",
                                  filename=f"{cid}.png", disposition="inline")
    return msg


# --------------------------------------------------------------------------- transport


def _reply_error(exc: smtplib.SMTPResponseException, what: str, where: str) -> DeliveryError:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    permanent = exc.smtp_code >= 500
    return DeliveryError(f"SMTP {where}: {what}: {exc.smtp_code} {header_text(text)}", permanent=permanent)


def send_smtp(url: SmtpUrl, msg: EmailMessage, *, envelope_from: str, to: str, timeout_s: float,
              ca_file: Path | None = None) -> None:
    """Send ``msg`` to ``to`` through the server of ``url`` (one connection, closed afterwards).

    Raises:
        DeliveryError: permanent (authentication refused, 5xx reply, TLS handshake or
            certificate failure, no STARTTLS) or transient (connection refused or reset,
            timeout, 4xx reply); the message names the server and the reply.
    """
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    client: smtplib.SMTP | None = None
    stage = "connect"
    try:
        if url.implicit_tls:
            client = smtplib.SMTP_SSL(url.host, url.port, timeout=timeout_s, context=context)
        else:
            client = smtplib.SMTP(url.host, url.port, timeout=timeout_s)
            stage = "EHLO"
            client.ehlo()
            if url.starttls:
                if not client.has_extn("starttls"):
                    raise DeliveryError(f"SMTP {url.where}: the server does not offer STARTTLS; use smtps:// if it "
                                        "speaks implicit TLS, or smtp://...?tls=off for a local relay",
                                        permanent=True)
                stage = "STARTTLS"
                client.starttls(context=context)
                client.ehlo()
        if url.username:
            stage = "AUTH"
            client.login(url.username, url.password or "")
        stage = "send"
        refused = client.send_message(msg, from_addr=envelope_from, to_addrs=[to])
        if refused:  # only with several recipients; kept for completeness
            raise DeliveryError(f"SMTP {url.where}: recipients refused: {refused}", permanent=True)
        stage = "QUIT"
        try:
            client.quit()
        except smtplib.SMTPException:
            log.info("SMTP %s: QUIT failed after a successful send (ignored)", url.where)
    except DeliveryError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise _reply_error(exc, "authentication refused (check the user:password in TRACKER_SMTP_URL)",
                           url.where) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()), (550, b""))
        raise _reply_error(smtplib.SMTPResponseException(code, reply), f"recipient {to} refused", url.where) from exc
    except smtplib.SMTPSenderRefused as exc:
        raise _reply_error(exc, f"sender {exc.sender} refused", url.where) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(f"SMTP {url.where}: {stage} not supported by the server: {exc}", permanent=True) from exc
    except smtplib.SMTPResponseException as exc:
        raise _reply_error(exc, f"{stage} rejected", url.where) from exc
    except ssl.SSLCertVerificationError as exc:
        raise DeliveryError(f"SMTP {url.where}: TLS certificate not trusted ({exc.verify_message}); "
                            "set TRACKER_SMTP_CA_FILE for a private CA", permanent=True) from exc
    except ssl.SSLError as exc:
        hint = ("the server does not speak TLS from the first byte there: use smtp:// (STARTTLS, port 587) "
                "or the implicit-TLS port (465)") if url.implicit_tls else "the STARTTLS handshake failed"
        raise DeliveryError(f"SMTP {url.where}: TLS handshake failed ({exc.reason or exc}): {hint}",
                            permanent=True) from exc
    except smtplib.SMTPServerDisconnected as exc:
        hint = ""
        if stage == "connect" and not url.implicit_tls and "timed out" in str(exc):
            hint = (f" (no SMTP greeting within {timeout_s:g} s: if this is an implicit-TLS port such as 465, "
                    "use smtps://)")
        raise DeliveryError(f"SMTP {url.where}: connection lost during {stage}: {exc}{hint}") from exc
    except (TimeoutError, socket.timeout) as exc:
        hint = (f" (no SMTP greeting within {timeout_s:g} s: if this is an implicit-TLS port such as 465, use smtps://)"
                if stage == "connect" and not url.implicit_tls else "")
        raise DeliveryError(f"SMTP {url.where}: timed out during {stage}{hint}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {url.where}: {stage} failed: {exc.__class__.__name__}: {exc}") from exc
    finally:
        if client is not None:
            try:
                client.close()
            except OSError:
                log.debug("SMTP %s: close failed", url.where)


class EmailNotifier:
    """The ``email:`` channel: renders a delivery (digest or alert) and sends it over SMTP.

    Args:
        url (SmtpUrl): the server. sender (str): the From header. to (str): the recipient.
        timeout_s (float): seconds for connect and each SMTP command.
        ca_file (Path, optional): CA bundle for TLS.
        clock (callable, optional): returns the current UTC time (Date header).
    """

    name = "email"

    def __init__(self, *, url: SmtpUrl, sender: str, to: str, timeout_s: float = 30.0,
                 ca_file: Path | None = None, clock: Any = utcnow):
        self.url, self.sender, self.to = url, header_text(sender), to
        self.timeout_s, self.ca_file, self.clock = timeout_s, ca_file, clock

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
        assert settings.smtp_url is not None and settings.email_from is not None
        return cls(url=parse_smtp_url(_secret(settings.smtp_url)), sender=settings.email_from,
                   to=target, timeout_s=settings.smtp_timeout_s, ca_file=settings.smtp_ca_file)

    def build(self, out: Outgoing) -> EmailMessage:
        """Return the MIME message for a delivery (``digest`` or ``alert``; others are permanent errors)."""
        images: dict[str, bytes] = {}
        unsubscribe = None
        if out.kind == "digest":
            from tracker.briefings.digest import Digest, render_chart

            try:
                digest = Digest.from_dict(out.payload["digest"])
            except (KeyError, TypeError) as exc:
                raise DeliveryError(f"delivery {out.delivery_id}: not a digest payload ({exc})", permanent=True) from exc
            rendered = render_digest(out.payload)
            images[CHART_CID] = render_chart(digest)
            unsubscribe = out.payload.get("unsubscribe_url")
        elif out.kind == "alert":
            rendered = render_alert(out)
        else:
            raise DeliveryError(f"delivery {out.delivery_id}: email cannot send kind {out.kind!r}", permanent=True)
        return build_email(rendered, sender=self.sender, to=self.to, msg_id=message_id(out, self.sender),
                           date=self.clock(), images=images, unsubscribe_url=unsubscribe)

    def send(self, out: Outgoing) -> SendResult:
        """Send one delivery; returns ``external_ref={"message_id": ...}``.

        Raises:
            DeliveryError: see ``send_smtp``.
        """
        msg = self.build(out)
        send_smtp(self.url, msg, envelope_from=parseaddr(self.sender)[1], to=self.to,
                  timeout_s=self.timeout_s, ca_file=self.ca_file)
        log.info("email %s sent to %s (%s)", out.kind, self.to, msg["Message-ID"])
        return SendResult(external_ref={"message_id": str(msg["Message-ID"])})

    def find_sent(self, out: Outgoing) -> SendResult | None:
        """SMTP cannot tell whether an earlier send arrived: None (at-least-once; the Message-ID
        is the same on a resend, so clients that de-duplicate by it show one message)."""
        return None
