"""Email content by kind: each kind's templates, rendered by a pure function chosen from a table.

**Kinds** (warehouse style): each kind is a folder ``templates/<kind>/`` with ``subject.txt``,
``body.txt`` and ``body.html`` (Jinja2; HTML autoescaped, text not). ``RENDERERS[kind](out)``
turns a delivery into ``EmailContent``: ``digest`` renders a ``tracker.notify.content.Digest``
from the delivery payload, with its cadence chart inline when the payload carries one
(``chart_png_b64``, rendered when the digest was created); ``alert`` renders one alert
(``tracker.notify.content.Message``) for an email subscription without a digest period;
``report`` renders the monthly report's headlines (plain strings in the payload, built by
``tracker.briefings.report``) with a link to the full report and its chart inline.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tracker.errors import DeliveryError
from tracker.notify.base import Outgoing
from tracker.notify.content import Digest
from tracker.notify.email.mime import SUBJECT_MAX, RenderedEmail, header_text

#: Content-ID of the digest's inline cadence chart (``cid:cadence-chart`` in the HTML).
CHART_CID = "cadence-chart"


@dataclass(frozen=True, slots=True)
class EmailContent:
    """One delivery's email before its headers: the rendered parts, inline images, unsubscribe link.

    Attributes:
        rendered (RenderedEmail): subject and both bodies.
        images (dict[str, bytes]): Content-ID (without brackets) -> PNG bytes.
        unsubscribe_url (str, optional): for ``List-Unsubscribe``.
    """

    rendered: RenderedEmail
    images: dict[str, bytes] = field(default_factory=dict)
    unsubscribe_url: str | None = None


@cache
def _environment() -> Environment:
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


def digest_email(out: Outgoing) -> EmailContent:
    """A ``digest`` delivery: ``payload`` ``{"digest", "unsubscribe_url", "chart_png_b64"}``.

    Raises:
        DeliveryError: permanent, when the payload is not a digest.
    """
    chart = out.payload.get("chart_png_b64")
    try:
        context = digest_context(out.payload, chart_src=f"cid:{CHART_CID}" if chart else None)
    except (KeyError, TypeError) as exc:
        raise DeliveryError(f"delivery {out.delivery_id}: not a digest payload ({exc})", permanent=True) from exc
    return EmailContent(
        rendered=render_email("digest", context),
        images={CHART_CID: base64.b64decode(chart)} if chart else {},
        unsubscribe_url=out.payload.get("unsubscribe_url"),
    )


def alert_email(out: Outgoing) -> EmailContent:
    """An ``alert`` delivery (its ``Message``).

    Raises:
        DeliveryError: permanent, when the delivery has no message (its event is gone).
    """
    if out.message is None:
        raise DeliveryError(f"delivery {out.delivery_id}: no alert content (event missing)", permanent=True)
    return EmailContent(rendered=render_email("alert", {"m": out.message}))


#: Content-ID of the monthly report's inline downloads chart.
REPORT_CHART_CID = "report-chart"


def report_email(out: Outgoing) -> EmailContent:
    """A ``report`` delivery: ``payload`` ``{"report": {"title", "headlines", "url"},
    "unsubscribe_url", "chart_png_b64"}``.

    Raises:
        DeliveryError: permanent, when the payload is not a report.
    """
    try:
        report = out.payload["report"]
        p = {
            "title": str(report["title"]),
            "headlines": [str(h) for h in report["headlines"]],
            "url": report.get("url"),
        }
        chart = out.payload.get("chart_png_b64")
    except (KeyError, TypeError) as exc:
        raise DeliveryError(f"delivery {out.delivery_id}: not a report payload ({exc})", permanent=True) from exc
    unsubscribe = out.payload.get("unsubscribe_url")
    context = {"p": p, "unsubscribe_url": unsubscribe, "chart_src": f"cid:{REPORT_CHART_CID}" if chart else None}
    return EmailContent(
        rendered=render_email("report", context),
        images={REPORT_CHART_CID: base64.b64decode(chart)} if chart else {},
        unsubscribe_url=unsubscribe,
    )


#: The renderer of each delivery kind email can send.
RENDERERS: dict[str, Callable[[Outgoing], EmailContent]] = {
    "digest": digest_email,
    "alert": alert_email,
    "report": report_email,
}
