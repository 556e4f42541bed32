"""The fetch stage of one (source, lab) unit: its listing, then the model info grouping needs.

* ``fetch_unit``: the source's listing, with the conditional-request validators stored for the
  unit (``unit_validators``).
* ``add_model_info_params``: a *new, non-baseline* Hub repo whose name gives no total parameter
  count gets ONE ``GET /api/models/<repo>`` and its ``safetensors.total`` (a count of
  parameters) is put on the observation as ``attrs["safetensors_total"]``, which
  ``tracker.grouping.lineage.params_from`` reads when the artifact is stored. Known repos,
  baseline repos and repos whose name carries a size cost nothing, so a steady-state poll makes
  zero extra requests.

Everything here runs before the unit's store transaction; database reads are short read-only
transactions of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from tracker.config import Settings
from tracker.domain import ArtifactKind, Observation, SourceKind, SourceResult, scope_of
from tracker.errors import TrackerError
from tracker.grouping import families
from tracker.grouping.lineage import SAFETENSORS_TOTAL
from tracker.http import HttpClient
from tracker.pipeline.report import PollReport
from tracker.sources import get_source
from tracker.sources.huggingface import fetch_model_info
from tracker.store import Store
from tracker.store import queries as q
from tracker.watchlist import LabConfig

log = logging.getLogger(__name__)


async def fetch_unit(
    client: HttpClient,
    settings: Settings,
    lab: LabConfig,
    source: str,
    validators: Mapping[str, Mapping[str, str]] | None = None,
) -> SourceResult | PollReport:
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


def unit_validators(store: Store) -> dict[tuple[str, str], tuple[int, dict[str, Any]]]:
    """Every poll unit's state id and stored conditional-request validators, by (source, lab slug)."""
    with store.transaction() as session:
        return {
            (state.source, state.lab_slug): (state.id, dict((state.cursor or {}).get("validators") or {}))
            for state in q.list_source_states(session=session)
        }


def _lacks_params(obs: Observation) -> bool:
    if obs.source != SourceKind.HF or obs.kind != ArtifactKind.MODEL:
        return False
    return families.parse_repo_name(obs.name).params_total_b is None


def _new_non_baseline(
    store: Store, source: str, lab_slug: str, observations: Sequence[Observation]
) -> list[Observation]:
    """Read-only: the observations whose id is not stored and whose scope is past its baseline."""
    ids = [o.external_id for o in observations]
    with store.transaction() as session:
        state = q.get_source_state(session=session, source=source, lab_slug=lab_slug)
        baselined = {s.lower() for s in ((state.cursor or {}).get("baselined_scopes", []) if state else [])}
        if not baselined:
            return []
        known = q.stored_external_ids(session=session, source=source, external_ids=ids)
    return [o for o in observations if o.external_id not in known and scope_of(o.source, o.org) in baselined]


def _safetensors_total(info: Mapping[str, Any]) -> int | None:
    block = info.get("safetensors")
    total = block.get("total") if isinstance(block, Mapping) else None
    if isinstance(total, int) and not isinstance(total, bool) and total > 0:
        return total
    return None


async def add_model_info_params(
    client: HttpClient,
    settings: Settings,
    store: Store,
    lab: LabConfig,
    result: SourceResult,
    *,
    limit: asyncio.Semaphore | None = None,
) -> SourceResult:
    """Give new, non-baseline Hub repos without a size in their name ``attrs["safetensors_total"]``.

    Makes ONE ``GET {hf_endpoint}/api/models/<repo>`` per such repo (Hub field
    ``safetensors.total``, a parameter count) and nothing for known, baseline or sized repos, so
    a steady-state poll costs zero extra requests. Known ids and baselined scopes come from one
    short read-only query. The requests are added to ``result.requests``.

    Args:
        client: the HTTP funnel. settings: ``hf_endpoint``. store: read-only lookups.
        lab: the lab polled. result: the listing result (Hub source only; others are returned as is).
        limit: the poll cycle's bound on requests in flight, held per model-info request only
            (a result with nothing to look up never waits behind the cycle's queued fetches).

    Returns:
        The same result, with enriched observations where the request succeeded. A failed request
        (404, 5xx, bad JSON) is logged and leaves the repo without parameters; it never fails the poll.
    """
    if result.source != SourceKind.HF:
        return result
    candidates = [o for o in result.observations if _lacks_params(o)]
    if not candidates:
        return result
    new = await asyncio.to_thread(_new_non_baseline, store, result.source.value, lab.slug, candidates)
    if not new:
        return result

    async def one(obs: Observation) -> tuple[str, int | None]:
        try:
            async with limit or contextlib.nullcontext():
                info = await fetch_model_info(client, settings, obs.name)
            return obs.external_id, _safetensors_total(info)
        except TrackerError as exc:
            log.warning("model info for %s failed, parameters stay unknown: %s", obs.name, exc)
            return obs.external_id, None

    with client.counting() as count:
        totals = dict(await asyncio.gather(*(one(o) for o in new)))
    result.requests += count.requests
    result.not_modified += count.not_modified
    result.observations = [
        dataclasses.replace(o, attrs={**o.attrs, SAFETENSORS_TOTAL: totals[o.external_id]})
        if totals.get(o.external_id)
        else o
        for o in result.observations
    ]
    return result
