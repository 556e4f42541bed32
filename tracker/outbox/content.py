"""Alert content built from outbox events and the stored release, for every channel to render.

``build_alert`` (what dispatch and delivery call) reads the release from the database at send
time and returns a ``tracker.notify.content.Message``: lab, release title, sizes and MoE
total/active parameters, licence, modality, base model or "new base model", gated or not, how
many variants, links (Hub repo or a Hub search for multi-repo launches, linked arXiv paper,
GitHub), first seen time and the lag between the repo's ``createdAt`` and going public.
``build_message`` builds a thinner message from the event payload alone, when the release row
is gone. ``build_cadence_message`` builds the ``lab_quiet`` / ``lab_burst`` alerts written by
``tracker.briefings.cadence_alerts`` from their payloads; ``build_radar_message`` the radar
alert (``tracker.outbox.radar_content``).

Nothing here formats for a channel or escapes anything: transports do (``tracker.notify``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.domain import EventType
from tracker.notify.content import CADENCE_EVENTS, FOLLOW_UP_EVENTS, RADAR_EVENTS, Link, Message, PaperFacts, Variant
from tracker.outbox.cadence_content import build_cadence_message
from tracker.outbox.follow_up_content import org_move_message, release_state
from tracker.outbox.radar_content import build_radar_message
from tracker.store.models import Artifact, Event, Release, ReleasePaper

#: Event types that produce an alert (releases, variants, cadence); renames, artifact withdrawals
#: and revisions are recorded only. Follow-ups of an announced release and org-move notices have
#: their own audiences (``tracker.outbox.follow_ups``).
ALERT_EVENTS = (EventType.RELEASE_DETECTED, EventType.VARIANT_ADDED, *CADENCE_EVENTS)

__all__ = ["ALERT_EVENTS", "build_alert", "build_cadence_message", "build_message"]

#: arXiv abstract page for an id found in a Hub ``arxiv:`` tag (no paper row stored yet).
ARXIV_ABS_URL = "https://arxiv.org/abs/{}"


def _fmt_b(value: float) -> str:
    return f"{value:g}B"


def _artifact_facts(art: Mapping[str, Any]) -> list[str]:
    facts = []
    if art.get("size_label"):
        facts.append(art["size_label"])
    if art.get("params_active_b") and art.get("params_total_b"):
        facts.append(f"MoE {art['params_total_b']:g}B total / {art['params_active_b']:g}B active")
    if art.get("quantization"):
        facts.append(art["quantization"])
    facts.extend(k for k in art.get("kinds") or [] if k != "quantized")
    return facts


def build_message(event_id: int, event_type: str, payload: Mapping[str, Any]) -> Message:
    """Build the alert for one outbox event from its payload alone (written by the pipeline).

    Release-level facts that need the database (variant count, licence, links...) stay empty;
    prefer ``build_alert``.
    """
    art = payload.get("artifact") or {}
    facts = _artifact_facts(art)
    lag = payload.get("created_to_public_s")
    if lag and lag > 86400:
        facts.append(f"created {lag / 86400:.0f} days before going public")
    silent = payload.get("silent_for_days")
    if silent is not None:
        facts.append(f"first release in {silent:.0f} days")
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
        params_active_b=art.get("params_active_b"),
        variant_kinds=tuple(art.get("kinds") or ()),
        quantization=art.get("quantization"),
        release_id=payload.get("release_id"),
        release_url=art.get("url", ""),
        idempotency_key=f"event-{event_id}",
        silent_for_days=payload.get("silent_for_days"),
    )


# --------------------------------------------------------------------------- from the store


def _variant(a: Artifact) -> Variant:
    return Variant(
        name=a.name,
        url=a.url,
        kinds=tuple(a.kinds or ()),
        size_label=a.size_label,
        params_total_b=a.params_total_b,
        params_active_b=a.params_active_b,
        quantization=a.quantization,
    )


def _sizes(artifacts: Iterable[Artifact]) -> tuple[Variant, ...]:
    """One Variant per distinct (total, active) size, smallest total first."""
    seen: dict[tuple[float, float | None], Variant] = {}
    for a in artifacts:
        if a.params_total_b is None:
            continue
        key = (a.params_total_b, a.params_active_b)
        seen.setdefault(
            key,
            Variant(
                name=a.name,
                url=a.url,
                size_label=a.size_label,
                params_total_b=a.params_total_b,
                params_active_b=a.params_active_b,
            ),
        )
    return tuple(seen[k] for k in sorted(seen, key=lambda k: (k[0], k[1] or 0)))


def _variant_summary(artifacts: list[Artifact]) -> tuple[str, ...]:
    """Counts by kind and quantization: ``("6 base", "2 thinking", "8 FP8")``."""
    kinds: Counter[str] = Counter()
    quants: Counter[str] = Counter()
    for a in artifacts:
        for k in a.kinds or ():
            if k != "quantized":
                kinds[k] += 1
        if a.quantization:
            quants[a.quantization] += 1
    return tuple(
        [f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))]
        + [f"{n} {q}" for q, n in sorted(quants.items(), key=lambda kv: (-kv[1], kv[0]))]
    )


def _common_prefix(names: list[str]) -> str:
    """Longest common prefix of repo ids, cut back to a name boundary: ``Qwen/Qwen3``."""
    if not names:
        return ""
    lo, hi = min(names), max(names)
    i = 0
    while i < len(lo) and i < len(hi) and lo[i] == hi[i]:
        i += 1
    prefix = lo[:i]
    return prefix.rstrip("-_. ") if "/" in prefix else ""


def _hub_base(a: Artifact) -> str | None:
    """The Hub base URL an artifact URL was built from (``https://huggingface.co``)."""
    if a.url.endswith("/" + a.name):
        return a.url[: -len(a.name) - 1]
    return None


def _lead(release: Release, artifacts: list[Artifact]) -> Artifact | None:
    for a in artifacts:
        if a.url == release.url:
            return a
    return artifacts[0] if artifacts else None


def _gated(value: Any) -> bool:
    """Hub ``gated`` is False, or "auto"/"manual" (or True) when access needs approval."""
    return bool(value) and str(value).lower() not in ("false", "0", "none")


def _links(session: Session, release: Release, models: list[Artifact], lead: Artifact | None) -> tuple[Link, ...]:
    links: list[Link] = []
    if lead is not None and lead.source == "hf":
        links.append(Link(lead.name, lead.url))
    hub_repos = [a for a in models if a.source == "hf"]
    if len(hub_repos) > 1 and lead is not None and (base := _hub_base(lead)):
        prefix = _common_prefix([a.name for a in hub_repos])
        if prefix:
            links.append(
                Link(f"all {len(hub_repos)} repos on the Hub", f"{base}/models?search={quote(prefix, safe='')}")
            )
        else:
            org = lead.org or lead.name.split("/")[0]
            links.append(Link(f"{org} on the Hub", f"{base}/{quote(org)}"))
    papers = session.scalars(
        select(Artifact)
        .join(ReleasePaper, ReleasePaper.paper_id == Artifact.id)
        .where(ReleasePaper.release_id == release.id)
        .order_by(Artifact.id)
    ).all()
    paper_ids = {p.external_id for p in papers}
    for p in papers[:3]:
        links.append(Link(f"arXiv {p.external_id}", p.url))
    if not papers:  # Hub ``arxiv:`` tags name the paper even before tracker stores it
        tagged: list[str] = []
        for a in models:
            for arxiv_id in (a.attrs or {}).get("arxiv_ids") or ():
                if arxiv_id not in tagged and arxiv_id not in paper_ids:
                    tagged.append(arxiv_id)
        links.extend(Link(f"arXiv {i}", ARXIV_ABS_URL.format(i)) for i in tagged[:3])
    for a in models:
        if a.source == "github":
            links.append(Link(f"GitHub {a.name}", a.url))
    return tuple(links)


def _base_model(models: list[Artifact]) -> tuple[str | None, bool | None]:
    """(external base repo, new_base) from Hub ``base_model:`` tags (``attrs["base_models"]``)."""
    names = {a.name for a in models}
    external: list[str] = []
    for a in models:
        for link in (a.attrs or {}).get("base_models") or ():
            repo = link.get("repo_id") if isinstance(link, Mapping) else str(link)
            if repo and repo not in names and repo not in external:
                external.append(repo)
    if not any(a.source == "hf" for a in models):
        return None, None
    return (external[0], False) if external else (None, True)


def _paper_facts(a: Artifact) -> PaperFacts:
    attrs = a.attrs or {}
    return PaperFacts(
        arxiv_id=a.external_id,
        authors=tuple(attrs.get("authors") or ()),
        primary_category=attrs.get("primary_category"),
        summary=attrs.get("summary") or "",
        pdf_url=attrs.get("pdf_url"),
        published_at=a.created_at,
        version=a.version,
    )


def _first_attr(key: str, lead: Artifact | None, models: list[Artifact]) -> Any:
    """The lead repo's ``attrs[key]``, else the first model repo's that has one."""
    value = (lead.attrs or {}).get(key) if lead else None
    return value or next(((a.attrs or {}).get(key) for a in models if (a.attrs or {}).get(key)), None)


def _release_fields(
    session: Session, release: Release, live: list[Artifact], artifact: Artifact | None
) -> dict[str, Any]:
    """The release-level ``Message`` fields: licence, modality, base model, access, sizes, variants, links."""
    models = [a for a in live if a.kind != "paper"]
    lead = _lead(release, live)
    base_model, new_base = _base_model(models)
    if release.new_base is not None and base_model is None:
        new_base = release.new_base
    hub_models = [a for a in models if a.source == "hf"]
    paper = None
    if release.kind == "paper":
        paper_row = artifact if artifact is not None and artifact.kind == "paper" else lead
        paper = _paper_facts(paper_row) if paper_row is not None else None
    return {
        "license": _first_attr("license", lead, models),
        "release_id": release.id,
        "release_url": release.url,
        "sizes": _sizes(models),
        "pipeline_tag": _first_attr("pipeline_tag", lead, models),
        "base_model": base_model,
        "new_base": new_base,
        "gated": any(_gated((a.attrs or {}).get("gated")) for a in hub_models) if hub_models else None,
        "variant_count": len(live),
        "variant_summary": _variant_summary(models),
        "links": _links(session, release, models, lead) if release.kind != "paper" else (),
        "first_seen_at": release.first_seen_at,
        "created_at": lead.created_at if lead else None,
        "paper": paper,
    }


def _artifact_fields(artifact: Artifact | None, base: Message) -> dict[str, Any]:
    """The event artifact's ``Message`` fields, from its row (else from the payload-only message)."""
    if artifact is None:
        return {
            "artifact": base.artifact,
            "url": base.url,
            "params_total_b": base.params_total_b,
            "params_active_b": base.params_active_b,
            "variant_kinds": base.variant_kinds,
            "quantization": base.quantization,
        }
    return {
        "artifact": artifact.name,
        "url": artifact.url,
        "params_total_b": artifact.params_total_b,
        "params_active_b": artifact.params_active_b,
        "variant_kinds": tuple(artifact.kinds or ()),
        "quantization": artifact.quantization,
        "artifact_first_seen_at": artifact.first_seen_at,
        "artifact_created_at": artifact.created_at,
    }


def _poll_batch(release: Release, live: list[Artifact], artifact: Artifact | None, event_type: str) -> dict[str, Any]:
    """For a variant: the repos of the release first seen in the same poll, their key, and
    whether that poll was the release's own (the parent message then already lists them)."""
    if artifact is None or event_type != EventType.VARIANT_ADDED:
        return {}
    same_poll = [a for a in live if a.first_seen_at == artifact.first_seen_at]
    return {
        "batch": tuple(_variant(a) for a in same_poll),
        "batch_key": f"{release.id}@{artifact.first_seen_at.isoformat()}",
        "in_parent": artifact.first_seen_at == release.first_seen_at,
    }


def build_alert(*, session: Session, event: Event) -> Message:
    """Build the alert for one outbox event, reading its release from the database.

    Call it at send time (after the poll's transaction committed): the release then holds every
    repo first seen in the same poll, which is what lets a variant of that poll be folded into
    the release message (``in_parent``) and later variants be batched per poll (``batch``).

    Args:
        session (Session): an open session (read only).
        event (Event): an alert outbox row (``release_detected``, ``variant_added``,
            ``lab_quiet``, ``lab_burst``).

    Returns:
        Message: the alert; falls back to ``build_message`` (payload only) when the release row
        is gone; a cadence alert is built from its payload (``build_cadence_message``).
    """
    if event.type in CADENCE_EVENTS:  # about a lab, not a release: its payload says it all
        return build_cadence_message(event.id, event.type, event.payload or {})
    if event.type == EventType.ORG_MOVE:
        return org_move_message(session, event)
    if event.type in RADAR_EVENTS:  # an org outside the watchlist: its payload says it all
        return build_radar_message(event.id, event.payload or {})
    base = build_message(event.id, event.type, event.payload or {})
    release = session.get(Release, event.release_id) if event.release_id else None
    if release is None:
        return base
    artifact = session.get(Artifact, event.artifact_id) if event.artifact_id else None
    live = [a for a in release.artifacts if a.withdrawn_at is None or (artifact and a.id == artifact.id)]
    state = release_state(session, release, event)
    if state["withdrawn_after_s"] is not None or event.type in FOLLOW_UP_EVENTS:
        # a withdrawn release is shown as it was announced (its repos are all withdrawn now)
        live = live or list(release.artifacts)
    return Message(
        event=base.event,
        lab=release.lab.slug,
        lab_name=release.lab.name,
        country=release.lab.country,
        kind=release.kind,
        title=state.pop("title", release.title),
        facts=base.facts,
        idempotency_key=base.idempotency_key,
        silent_for_days=base.silent_for_days,
        **_artifact_fields(artifact, base),
        **_release_fields(session, release, live, artifact),
        **_poll_batch(release, live, artifact, event.type),
        **state,
    )
