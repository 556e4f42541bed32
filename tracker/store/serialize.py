"""Release and artifact rows as the JSON shape of DESIGN.md (CLI ``--format json``, REST API)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from tracker.domain import as_utc
from tracker.sizes import parse_params
from tracker.store.models import Artifact, RadarCandidate, Release


def iso(value: datetime | None) -> str | None:
    """Format an aware datetime as ISO-8601 UTC with a ``Z`` suffix (None stays None)."""
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def radar_to_dict(candidate: RadarCandidate) -> dict[str, Any]:
    """A radar candidate's stored fields as plain values (datetimes ISO-8601 UTC); outside text
    is raw, so build what is shown with ``tracker.notify.content.radar.radar_line``."""
    return {
        "org": candidate.org,
        "score": candidate.score,
        "reasons": list(candidate.reasons or []),
        "first_seen_at": iso(as_utc(candidate.first_seen_at) if candidate.first_seen_at else None),
        "last_seen_at": iso(as_utc(candidate.last_seen_at) if candidate.last_seen_at else None),
        "crossed_at": iso(as_utc(candidate.crossed_at) if candidate.crossed_at else None),
        "best_repo_id": candidate.best_repo_id,
        "best_repo_likes": candidate.best_repo_likes,
        "best_repo_downloads": candidate.best_repo_downloads,
        "trending_rank": candidate.trending_rank,
        "repos": candidate.repos,
        "derivatives": candidate.derivatives,
        "arxiv_id": candidate.arxiv_id,
        "country": candidate.country,
        "status": candidate.status,
        "excluded_reason": candidate.excluded_reason,
    }


def variant_to_dict(artifact: Artifact) -> dict[str, Any]:
    """Return ``{"kinds", "size_label", "params_total_b", "params_active_b", "quantization"}``."""
    return {
        "kinds": list(artifact.kinds or []),
        "size_label": artifact.size_label,
        "params_total_b": artifact.params_total_b,
        "params_active_b": artifact.params_active_b,
        "quantization": artifact.quantization,
    }


def ordered_size_labels(artifacts: Iterable[dict[str, Any]]) -> list[str]:
    """Distinct size labels of artifact dicts (``artifact_to_dict``), smallest model first.

    Ordered by total parameters in billions (``variant.params_total_b``, else parsed from the
    label; an MoE ``235B-A22B`` counts 235): ``["0.6B", "4B", "30B-A3B", "235B-A22B"]``. Labels
    without a count (``"Air"``) come last, alphabetically.
    """
    totals: dict[str, float | None] = {}
    for art in artifacts:
        variant = art["variant"]
        label = variant["size_label"]
        if label and totals.get(label) is None:
            totals[label] = variant.get("params_total_b") or parse_params(label)[0]
    return sorted(totals, key=lambda label: (totals[label] is None, totals[label] or 0.0, label))


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
    """Return one release in DESIGN.md's JSON shape (times ISO-8601 UTC).

    Uses relationships loaded in batch by ``queries.RELEASE_LOADS`` (no query per release);
    ``queries.list_release_dicts`` builds the same dicts from column rows (the API's list path).
    """
    links = (
        [link for a in release.artifacts if a.source == "arxiv" for link in a.model_links]
        if release.kind == "paper"
        else []
    )
    return release_dict(
        release,
        release.lab,
        release.artifacts,
        linked_papers=[(link.paper, link.via) for link in release.paper_links],
        model_links=[
            (link.release.id, link.release.lab.slug, link.release.title, link.release.released_at, link.via)
            for link in links
        ],
    )


def release_dict(
    release: Any,
    lab: Any,
    artifacts: Sequence[Any],
    *,
    linked_papers: Iterable[tuple[Any, str]],
    model_links: Iterable[tuple[int, str, str, datetime, str]],
) -> dict[str, Any]:
    """Return one release in DESIGN.md's JSON shape from ORM objects or column rows alike.

    Args:
        release: has ``id, title, kind, released_at, first_seen_at, baseline, url, significance,
            derivative, new_base, adoption_count``. lab: has ``slug, name, country``.
        artifacts: the release's artifacts in id order, each with the attributes read by
            ``artifact_to_dict`` (and ``paper_to_dict`` for ``source == "arxiv"``).
        linked_papers: ``(paper artifact, via)`` of its ``ReleasePaper`` links in link-id order.
        model_links: for a paper release, ``(release id, lab slug, title, released_at, via)``
            of the model releases linked to its arXiv artifacts (artifact order, then link id).
    """
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
        "artifacts": [artifact_to_dict(a) for a in artifacts],
        "papers": _papers(artifacts, linked_papers),
        "models": _models(release, model_links) if release.kind == "paper" else [],
        "significance": release.significance,
        "derivative": release.derivative,
        "new_base": release.new_base,
        "adoption_count": release.adoption_count,
    }


def _papers(artifacts: Sequence[Any], linked: Iterable[tuple[Any, str]]) -> list[dict[str, Any]]:
    """The release's own arXiv artifacts, then papers linked by ``ReleasePaper`` (with ``via``)."""
    out = [{**paper_to_dict(a), "via": "self"} for a in artifacts if a.source == "arxiv"]
    seen = {p["arxiv_id"] for p in out}
    for paper, via in linked:
        if paper.external_id not in seen:
            seen.add(paper.external_id)
            out.append({**paper_to_dict(paper), "via": via})
    return out


def _models(release: Any, links: Iterable[tuple[int, str, str, datetime, str]]) -> list[dict[str, Any]]:
    """For a paper release: the model releases linked to its papers, newest first, each once.

    Each is ``{"id", "lab", "title", "released_at", "via"}``; the first link after the stable sort
    wins, and the release itself is excluded.
    """
    ordered = sorted(links, key=lambda link: (link[3], link[0]), reverse=True)
    out: list[dict[str, Any]] = []
    for model_id, lab_slug, title, released_at, via in ordered:
        if model_id != release.id and all(m["id"] != model_id for m in out):
            out.append({"id": model_id, "lab": lab_slug, "title": title, "released_at": iso(released_at), "via": via})
    return out


#: Columns of the releases CSV export (``tracker releases --format csv``, ``GET /releases?format=csv``).
RELEASE_CSV_COLUMNS = (
    "id",
    "lab",
    "lab_name",
    "country",
    "title",
    "kind",
    "released_at",
    "first_seen_at",
    "baseline",
    "url",
    "artifacts",
    "sizes",
    "papers",
)


def releases_to_csv(rows: list[dict[str, Any]]) -> str:
    """Return release dicts (``release_to_dict``) as CSV text with ``RELEASE_CSV_COLUMNS``.

    ``artifacts`` holds the artifact names, ``sizes`` the distinct size labels, smallest first
    (``ordered_size_labels``), and ``papers`` the arXiv ids of its papers, each space-separated.
    """
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=RELEASE_CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                **row,
                "artifacts": " ".join(a["name"] for a in row["artifacts"]),
                "sizes": " ".join(ordered_size_labels(row["artifacts"])),
                "papers": " ".join(p["arxiv_id"] for p in row.get("papers", [])),
            }
        )
    return buf.getvalue()
