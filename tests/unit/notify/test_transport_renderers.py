"""Transports render by kind from a table: Slack's message roles and email's kinds (pure, no I/O)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from tracker.errors import DeliveryError
from tracker.notify import Outgoing
from tracker.notify.content import Digest, Message
from tracker.notify.email.render import CHART_CID
from tracker.notify.email.render import RENDERERS as EMAIL_RENDERERS
from tracker.notify.slack.blocks import render_text
from tracker.notify.slack.render import RENDERERS, Where, slack_kind

WHERE = Where(channel="#models", now=datetime(2025, 5, 5, 8, tzinfo=UTC))


def _message(event: str = "release_detected", **kw) -> Message:  # type: ignore[no-untyped-def]
    return Message(
        event=event,
        lab="qwen",
        lab_name="Qwen",
        country="CN",
        kind="model",
        title="Qwen3",
        artifact="Qwen/Qwen3-8B",
        url="https://huggingface.co/Qwen/Qwen3-8B",
        **kw,
    )


def _out(kind: str, message: Message | None = None, **payload) -> Outgoing:  # type: ignore[no-untyped-def]
    return Outgoing(
        delivery_id=1, idempotency_key="k", kind=kind, channel="slack:#models", message=message, payload=payload
    )


@pytest.mark.parametrize(
    ("out", "kind"),
    [
        (_out("alert", _message()), "alert"),
        (_out("alert", _message("variant_added")), "alert"),
        (_out("alert", _message("lab_quiet")), "cadence"),
        (_out("alert"), "payload"),  # the event is gone: nothing but the payload to show
        (_out("pulse", blocks=[], text="Weekly pulse"), "pulse"),
        (_out("test"), "test"),
        (_out("digest"), "payload"),
    ],
)
def test_slack_kind_names_how_a_delivery_is_sent(out: Outgoing, kind: str) -> None:
    assert slack_kind(out) == kind


def test_slack_renderers_by_role() -> None:
    variant = _out("alert", _message("variant_added", release_url="https://huggingface.co/Qwen/Qwen3-8B"))
    assert render_text(RENDERERS["parent"](_out("alert", _message()), WHERE).blocks).startswith("Qwen · Qwen3")
    assert render_text(RENDERERS["reply"](variant, WHERE).blocks).startswith("+1 new variant of Qwen3")
    assert render_text(RENDERERS["follow_up"](variant, WHERE).blocks).startswith("🇨🇳 Qwen · Qwen3")
    assert "tracker can post to #models" in render_text(RENDERERS["test"](_out("test"), WHERE).blocks)
    assert RENDERERS["payload"](_out("digest", title="<hi>"), WHERE).text == "&lt;hi&gt;"
    pulse = RENDERERS["pulse"](
        _out(
            "pulse",
            blocks=[{"type": "divider"}],
            text="Weekly pulse 2025-W18",
            chart_png_b64=base64.b64encode(b"\x89PNG").decode(),
            chart_filename="p.png",
        ),
        WHERE,
    )
    assert pulse.blocks == [{"type": "divider"}] and pulse.text == "Weekly pulse 2025-W18"
    assert pulse.chart is not None and (pulse.chart.png, pulse.chart.filename) == (b"\x89PNG", "p.png")
    assert RENDERERS["pulse"](_out("pulse"), WHERE).chart is None


def _digest_out(**extra) -> Outgoing:  # type: ignore[no-untyped-def]
    digest = Digest(
        period="weekly",
        start="2025-04-28T00:00:00Z",
        end="2025-05-05T00:00:00Z",
        timezone="UTC",
        label="week 18",
        generated_at="2025-05-05T08:00:00Z",
        lead="A quiet week.",
    )
    return Outgoing(
        delivery_id=2,
        idempotency_key="digest:1",
        kind="digest",
        channel="email:a@example.org",
        payload={"digest": digest.to_dict(), **extra},
    )


def test_email_digest_carries_the_chart_frozen_in_its_payload() -> None:
    with_chart = EMAIL_RENDERERS["digest"](
        _digest_out(chart_png_b64=base64.b64encode(b"\x89PNG").decode(), unsubscribe_url="https://t.example/u")
    )
    assert with_chart.images == {CHART_CID: b"\x89PNG"} and f"cid:{CHART_CID}" in with_chart.rendered.html
    assert with_chart.unsubscribe_url == "https://t.example/u"
    without = EMAIL_RENDERERS["digest"](_digest_out())
    assert without.images == {} and "cid:" not in without.rendered.html


def test_email_renderers_refuse_what_they_cannot_render() -> None:
    assert set(EMAIL_RENDERERS) == {"digest", "alert", "report"}
    with pytest.raises(DeliveryError, match="not a report payload"):
        EMAIL_RENDERERS["report"](Outgoing(delivery_id=5, idempotency_key="z", kind="report", channel="email:a@b.c"))
    with pytest.raises(DeliveryError, match="not a digest payload") as info:
        EMAIL_RENDERERS["digest"](Outgoing(delivery_id=3, idempotency_key="x", kind="digest", channel="email:a@b.c"))
    assert info.value.permanent
    with pytest.raises(DeliveryError, match="no alert content"):
        EMAIL_RENDERERS["alert"](Outgoing(delivery_id=4, idempotency_key="y", kind="alert", channel="email:a@b.c"))
    assert "Qwen3" in EMAIL_RENDERERS["alert"](_out("alert", _message())).rendered.subject


def test_email_report_escapes_headlines_and_inlines_its_chart() -> None:
    payload = {
        "report": {"title": "State of open weights: 2025-05", "headlines": ["<b>x</b> took 60%"], "url": None},
        "chart_png_b64": base64.b64encode(b"\x89PNG").decode(),
    }
    out = Outgoing(delivery_id=6, idempotency_key="r", kind="report", channel="email:a@b.c", payload=payload)
    content = EMAIL_RENDERERS["report"](out)
    assert content.rendered.subject == "State of open weights: 2025-05"
    assert "&lt;b&gt;x&lt;/b&gt;" in content.rendered.html and "<b>x</b>" not in content.rendered.html
    assert list(content.images.values()) == [b"\x89PNG"]
