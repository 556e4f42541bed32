"""Channel-neutral alert content built from outbox events (pure; no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracker.domain import EventType

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tracker.store.models import Event

#: Event types that produce an alert; renames, withdrawals and revisions are recorded only.
ALERT_EVENTS = (EventType.RELEASE_DETECTED, EventType.VARIANT_ADDED)


@dataclass(frozen=True, slots=True)
class Message:
    """One alert, before any channel formats it.

    Attributes:
        event (str): the event type. lab / lab_name / country: the lab. kind: model | paper.
        title (str): the release title (``Qwen3``). artifact (str): the artifact's name.
        url (str): the artifact's URL. facts (tuple[str, ...]): short facts (size, quantization...).
        params_total_b (float, optional): billions, for routing filters.
        idempotency_key (str): stable per event, for de-duplication by channels that support it.
    """

    event: str
    lab: str
    lab_name: str
    country: str
    kind: str
    title: str
    artifact: str
    url: str
    facts: tuple[str, ...] = ()
    params_total_b: float | None = None
    idempotency_key: str = ""

    @property
    def headline(self) -> str:
        """One line: ``New release · Qwen (Alibaba Cloud) · Qwen3: Qwen/Qwen3-8B``."""
        what = "New release" if self.event == EventType.RELEASE_DETECTED else "New variant"
        return f"{what} · {self.lab_name} · {self.title}: {self.artifact}"


def build_message(event_id: int, event_type: str, payload: Mapping[str, Any]) -> Message:
    """Build the alert for one outbox event from its payload (written by the pipeline)."""
    art = payload.get("artifact") or {}
    facts = []
    if art.get("size_label"):
        facts.append(art["size_label"])
    if art.get("params_active_b") and art.get("params_total_b"):
        facts.append(f"MoE {art['params_total_b']:g}B total / {art['params_active_b']:g}B active")
    if art.get("quantization"):
        facts.append(art["quantization"])
    facts.extend(k for k in art.get("kinds") or [] if k != "quantized")
    lag = payload.get("created_to_public_s")
    if lag and lag > 86400:
        facts.append(f"created {lag / 86400:.0f} days before going public")
    return Message(
        event=event_type,
        lab=payload.get("lab", ""),
        lab_name=payload.get("lab_name", payload.get("lab", "")),
        country=payload.get("country", ""),
        kind=payload.get("kind", ""),
        title=payload.get("title", ""),
        artifact=art.get("name", ""),
        url=art.get("url", ""),
        facts=tuple(facts),
        params_total_b=art.get("params_total_b"),
        idempotency_key=f"event-{event_id}",
    )


def build_alert(*, session: "Session", event: "Event") -> Message:
    """Build the alert for one outbox event, reading the release from the database when needed.

    The delivery code calls this (not ``build_message``) so richer content (variant counts,
    licence, base model...) can come from the store. Today it uses the event payload only.
    """
    return build_message(event.id, event.type, event.payload)
