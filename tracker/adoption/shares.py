"""The share of new derivatives built on each lab's and each country's models, per month.

Source: ``Derivative`` rows (Hub ``base_model:`` relation tags, from filtered listings and
polled listings). A derivative is "new" in the month of its Hub ``createdAt`` (else the month
tracker first saw it). A repo counts once per group even when it names several bases of it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.adoption.series import month_of
from tracker.domain import as_utc
from tracker.store.models import Artifact, Derivative, Lab

__all__ = ["DerivativeRow", "derivative_counts_by_month", "load_derivatives", "share_by_month"]


@dataclass(frozen=True, slots=True)
class DerivativeRow:
    """One derivative with its base's lab and country; ``at`` is createdAt or first seen (UTC)."""

    repo_id: str
    relation: str | None
    lab: str
    country: str
    at: datetime


def load_derivatives(session: Session, *, until: datetime | None = None) -> list[DerivativeRow]:
    """Every stored derivative dated at or before ``until`` (all when None)."""
    stmt = (
        select(
            Derivative.repo_id,
            Derivative.relation,
            Lab.slug,
            Lab.country,
            Derivative.created_at,
            Derivative.first_seen_at,
        )
        .join(Artifact, Artifact.id == Derivative.base_artifact_id)
        .join(Lab, Lab.id == Artifact.lab_id)
    )
    out = []
    for repo_id, relation, lab, country, created, first_seen in session.execute(stmt):
        at = as_utc(created or first_seen)
        if until is None or at <= as_utc(until):
            out.append(DerivativeRow(repo_id.lower(), relation, lab, country, at))
    return out


def derivative_counts_by_month(rows: list[DerivativeRow], key: str) -> dict[str, dict[str, int]]:
    """``{month: {group: new derivatives}}`` with group the ``lab`` or ``country``.

    Raises:
        ValueError: an unknown key.
    """
    if key not in ("lab", "country"):
        raise ValueError(f"unknown group {key!r}")
    seen: set[tuple[str, str]] = set()
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in sorted(rows, key=lambda r: r.at):
        group = r.lab if key == "lab" else r.country
        if (r.repo_id, group) in seen:
            continue
        seen.add((r.repo_id, group))
        out[month_of(r.at)][group] += 1
    return {m: dict(v) for m, v in out.items()}


def share_by_month(rows: list[DerivativeRow], key: str) -> dict[str, dict[str, float]]:
    """``{month: {group: share of that month's new derivatives (0..1)}}``."""
    out = {}
    for month, counts in derivative_counts_by_month(rows, key).items():
        total = sum(counts.values())
        out[month] = {g: c / total for g, c in counts.items()} if total else {}
    return out
