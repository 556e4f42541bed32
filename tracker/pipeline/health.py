"""Poll-unit health, and the listing fingerprint behind the fast paths.

A fully successful listing is hashed (volatile fields left out); when the hash matches the one
stored for the unit, nothing can have changed, so only the unit's health moves (``record_health``
inside a transaction, or ``record_unchanged`` batched for a whole cycle).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import update

from tracker.domain import SourceResult
from tracker.grouping.lineage import DERIVED_ATTRS
from tracker.store import Store
from tracker.store import queries as q
from tracker.store.models import SourceState

#: ``SourceState.cursor`` key of the unit's recent incidents (failed or lost polls), newest last.
INCIDENTS_KEY = "incidents"
#: Incidents kept per unit (older ones are dropped first).
MAX_INCIDENTS = 20
#: ``tracker status`` lists incidents this recent (seconds: one day).
INCIDENT_WINDOW_S = 86_400.0

#: Listing fields that change all the time without meaning anything for detection.
VOLATILE_ATTRS = frozenset({"downloads", "likes", "trendingScore", "trending_score"})


def stable_attrs(attrs: Any) -> dict[str, Any]:
    """``attrs`` without volatile listing fields and without the keys tracker derives itself."""
    return {k: v for k, v in dict(attrs).items() if k not in VOLATILE_ATTRS and k not in DERIVED_ATTRS}


def listing_fingerprint(result: SourceResult) -> str | None:
    """Hash of everything detection looks at in a fully successful result (None otherwise)."""
    if result.failures or result.not_modified_scopes:  # a 304 scope has no observations to hash
        return None
    digest = hashlib.sha256()
    digest.update(json.dumps(sorted(s.lower() for s in result.complete_scopes)).encode())
    for obs in sorted(result.observations, key=lambda o: o.external_id):
        # orjson: a steady-state poll hashes every item of every listing
        digest.update(
            orjson.dumps(
                [obs.external_id, obs.name, obs.org, obs.version, obs.url, stable_attrs(obs.attrs)],
                option=orjson.OPT_SORT_KEYS,
                default=str,
            )
        )
    return digest.hexdigest()


def record_health(state: Any, result: SourceResult, now: datetime, fingerprint: str | None) -> None:
    """Record one stored poll on the unit's ``SourceState``: poll/success/error times (UTC), the
    failure streak, newly baselined scopes, validators to keep, and the listing fingerprint."""
    state.last_polled_at = now
    if result.complete_scopes or result.not_modified_scopes:
        state.last_success_at = now
    cursor = dict(state.cursor or {})
    if result.failures:
        state.last_error_at = now
        state.last_error = "; ".join(f"{f.scope}: {f.error}" for f in result.failures)
        state.consecutive_failures = (state.consecutive_failures or 0) + 1
        cursor[INCIDENTS_KEY] = add_incident(cursor.get(INCIDENTS_KEY), "failed", state.last_error, now)
    else:
        state.last_error = None
        state.consecutive_failures = 0
    baselined = set(cursor.get("baselined_scopes", []))
    baselined.update(s.lower() for s in result.complete_scopes)
    cursor["baselined_scopes"] = sorted(baselined)
    if result.validators is not None:  # ETag / Last-Modified per URL for conditional requests
        cursor["validators"] = result.validators
    if fingerprint is None:
        cursor.pop("fingerprint", None)
    else:
        cursor["fingerprint"] = fingerprint
    state.cursor = cursor  # reassign: JSON columns do not track in-place mutation
    if state.baseline_at is None and result.complete_scopes:
        state.baseline_at = now


def record_unchanged(store: Store, state_ids: list[int], now: datetime) -> None:
    """Record a successful poll for units whose listing did not change, in one statement.

    A unit whose fingerprint matched had no failures and the same complete scopes as last time,
    so only its health moves; batching those writes loses nothing.
    """
    with store.transaction() as session:
        session.execute(
            update(SourceState),
            [
                {"id": i, "last_polled_at": now, "last_success_at": now, "last_error": None, "consecutive_failures": 0}
                for i in state_ids
            ],
        )


def add_incident(incidents: Any, kind: str, detail: str, now: datetime) -> list[dict[str, str]]:
    """Return ``incidents`` (a stored list, or None) plus one ``{"at", "kind", "detail"}``, newest last.

    Args:
        kind (str): ``failed`` (a poll that recorded failures) or ``lost`` (its worker was killed).
        detail (str): what happened, clamped to 300 characters. now (datetime): UTC.
    """
    kept = [i for i in incidents if isinstance(i, dict)] if isinstance(incidents, list) else []
    kept.append({"at": now.isoformat(), "kind": kind, "detail": detail[:300]})
    return kept[-MAX_INCIDENTS:]


def recent_incidents(cursor: Any, now: datetime) -> list[dict[str, str]]:
    """The incidents of a unit's cursor in the last ``INCIDENT_WINDOW_S`` seconds before ``now`` (UTC)."""
    incidents = (cursor or {}).get(INCIDENTS_KEY) if isinstance(cursor, dict) else None
    recent = []
    for incident in incidents if isinstance(incidents, list) else []:
        try:
            at = datetime.fromisoformat(str(incident["at"]))
        except (KeyError, TypeError, ValueError):  # hand-edited or older rows: skip, never crash status
            continue
        if at.tzinfo is not None and 0 <= (now - at).total_seconds() <= INCIDENT_WINDOW_S:
            recent.append(incident)
    return recent


def record_lost(store: Store, source: str, lab_slug: str, now: datetime, detail: str) -> None:
    """Record that a poll of the unit was killed mid-run (its worker process died); it is re-run.

    The unit's failure streak grows by one and the incident is kept for ``tracker status``.
    """
    with store.transaction() as session:
        state = q.get_or_create_source_state(session=session, source=source, lab_slug=lab_slug)
        state.last_error_at, state.last_error = now, detail
        state.consecutive_failures = (state.consecutive_failures or 0) + 1
        cursor = dict(state.cursor or {})
        cursor[INCIDENTS_KEY] = add_incident(cursor.get(INCIDENTS_KEY), "lost", detail, now)
        state.cursor = cursor
