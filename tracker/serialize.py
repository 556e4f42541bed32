"""Release and artifact rows as the JSON shape of DESIGN.md (CLI ``--format json``, REST API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tracker.store.models import Artifact, Release


def iso(value: datetime | None) -> str | None:
    """Format an aware datetime as ISO-8601 UTC with a ``Z`` suffix (None stays None)."""
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def variant_to_dict(artifact: Artifact) -> dict[str, Any]:
    """Return ``{"kinds", "size_label", "params_total_b", "params_active_b", "quantization"}``."""
    return {
        "kinds": list(artifact.kinds or []),
        "size_label": artifact.size_label,
        "params_total_b": artifact.params_total_b,
        "params_active_b": artifact.params_active_b,
        "quantization": artifact.quantization,
    }


def artifact_to_dict(artifact: Artifact) -> dict[str, Any]:
    """Return one artifact as DESIGN.md's ``artifacts[]`` item (plus ``withdrawn_at``)."""
    return {
        "source": artifact.source,
        "external_id": artifact.external_id,
        "name": artifact.name,
        "url": artifact.url,
        "created_at": iso(artifact.created_at),
        "first_seen_at": iso(artifact.first_seen_at),
        "withdrawn_at": iso(artifact.withdrawn_at),
        "variant": variant_to_dict(artifact),
    }


def paper_to_dict(artifact: Artifact) -> dict[str, Any]:
    """Return a paper artifact as ``{"arxiv_id", "version", "title", "url", "published_at", "authors"}``."""
    attrs = artifact.attrs or {}
    return {
        "arxiv_id": artifact.external_id,
        "version": artifact.version,
        "title": artifact.name,
        "url": artifact.url,
        "published_at": iso(artifact.created_at),
        "authors": attrs.get("authors", []),
    }


def release_to_dict(release: Release) -> dict[str, Any]:
    """Return one release in DESIGN.md's JSON shape (times ISO-8601 UTC)."""
    lab = release.lab
    return {
        "id": release.id,
        "lab": lab.slug,
        "lab_name": lab.name,
        "country": lab.country,
        "title": release.title,
        "kind": release.kind,
        "released_at": iso(release.released_at),
        "first_seen_at": iso(release.first_seen_at),
        "baseline": release.baseline,
        "url": release.url,
        "artifacts": [artifact_to_dict(a) for a in release.artifacts],
        "papers": [paper_to_dict(a) for a in release.artifacts if a.source == "arxiv"],
    }
