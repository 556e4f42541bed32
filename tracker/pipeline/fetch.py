"""Fetch one (source, lab) unit, with the conditional-request validators stored for it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tracker.config import Settings
from tracker.domain import SourceResult
from tracker.errors import TrackerError
from tracker.http import HttpClient
from tracker.pipeline.report import PollReport
from tracker.sources import get_source
from tracker.store import Store
from tracker.store import queries as q
from tracker.watchlist import LabConfig


async def fetch_unit(client: HttpClient, settings: Settings, lab: LabConfig, source: str,
                     validators: Mapping[str, Mapping[str, str]] | None = None) -> SourceResult | PollReport:
    """Fetch one source for one lab; an expected failure comes back as a failed PollReport.

    ``validators`` (the unit's ``cursor["validators"]``) make the source's conditional requests
    send ``If-None-Match``/``If-Modified-Since``; the validators to keep come back in
    ``SourceResult.validators``.
    """
    try:
        with client.conditional(validators) as conditional:
            result = await get_source(source).poll(client, settings, lab)
    except TrackerError as exc:
        return PollReport(source=source, lab=lab.slug, error=str(exc))
    if result.validators is None and conditional.seen:
        result.validators = dict(conditional.seen)
    return result


def _unit_validators(store: Store) -> dict[tuple[str, str], tuple[int, dict[str, Any]]]:
    """Every poll unit's state id and stored conditional-request validators, by (source, lab)."""
    with store.transaction() as session:
        return {(state.source, state.lab_slug): (state.id, dict((state.cursor or {}).get("validators") or {}))
                for state in q.list_source_states(session=session)}
