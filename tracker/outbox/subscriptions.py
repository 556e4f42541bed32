"""Subscriptions: the watchlist's channels synced into the ``subscriptions`` table, and THE filter.

Every channel (Slack, webhook, console, email) decides whether an alert concerns it through one
function, ``matches(filters, facts)``. A subscription's ``filters`` is a JSON dict whose missing
keys mean "any":

* ``labs``: lab slugs, ``*`` for all;
* ``countries``: ISO 3166-1 alpha-2 codes of the lab;
* ``kinds``: release kinds (``model``, ``paper``, ``code``) and/or variant kinds from
  ``tracker.grouping.families`` (``base``, ``instruct``, ``thinking``, ``quantized``, ``vision``, ...;
  stored in ``Artifact.kinds``). Release kinds restrict the release; variant kinds restrict the
  model artifact the alert is about (a model passes when one of its variant kinds is named). A
  non-model release passes variant kinds only when its own kind is also named
  (``["paper", "instruct"]`` = papers and instruct models);
* ``min_params_b``: total parameters in billions; unknown parameters (papers, unparsed names)
  do not pass a threshold;
* ``significance``: minimum ``Release.significance``; None (not scored yet) passes only when no
  threshold is set;
* ``licences``: licence ids (``apache-2.0``, ``mit``; the Hub's ``license:`` tag), case-insensitive;
  an unknown licence does not pass.

Quantized re-uploads (``-FP8``, ``-AWQ``, ``-GGUF``, ...) are noise for most readers: a quantized
artifact passes only a subscription whose ``kinds`` names ``quantized``. So the packaged default
subscription (``slack:default``, every lab, models and papers) is "everything except quantized
re-uploads" and works with just ``TRACKER_SLACK_BOT_TOKEN`` and ``TRACKER_SLACK_CHANNEL``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.domain import ArtifactKind
from tracker.store.models import Artifact, Event, Release, Subscription
from tracker.watchlist import Subscription as WatchlistSubscription

log = logging.getLogger(__name__)

#: Kinds that name a release kind (everything else in ``kinds`` names a variant kind).
RELEASE_KINDS = frozenset(k.value for k in ArtifactKind)
QUANTIZED = "quantized"
ORIGIN_WATCHLIST = "watchlist"
REMOVED_REASON = "removed from the watchlist"


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """What the filter looks at for one alert event.

    Attributes:
        lab (str): lab slug. country (str): ISO 3166-1 alpha-2 code of the lab.
        kind (str): the release kind (model | paper | code).
        variant_kinds (tuple[str, ...]): the artifact's variant kinds (``Artifact.kinds``); empty
            for papers.
        params_total_b (float, optional): total parameters in billions; None when unknown.
        significance (float, optional): ``Release.significance``; None when not scored.
        licence (str, optional): the artifact's licence id (Hub ``license:`` tag); None when unknown.
    """

    lab: str
    country: str
    kind: str
    variant_kinds: tuple[str, ...] = ()
    params_total_b: float | None = None
    significance: float | None = None
    licence: str | None = None


def filters_of(sub: WatchlistSubscription) -> dict[str, Any]:
    """Return the JSON filter dict of a watchlist subscription (only the keys that restrict)."""
    filters: dict[str, Any] = {}
    if sub.labs and "*" not in sub.labs:
        filters["labs"] = sorted(sub.labs)
    if sub.countries:
        filters["countries"] = sorted(c.upper() for c in sub.countries)
    if sub.kinds:
        filters["kinds"] = sorted(k.lower() for k in sub.kinds)
    if sub.min_params_b is not None:
        filters["min_params_b"] = sub.min_params_b
    if sub.significance is not None:
        filters["significance"] = sub.significance
    licences = getattr(sub, "licences", None)  # not in every watchlist schema version
    if licences:
        filters["licences"] = sorted(lic.lower() for lic in licences)
    return filters


def _kinds_pass(kinds: Sequence[str], facts: AlertFacts) -> bool:
    named = {k.lower() for k in kinds}
    variant_kinds = {k.lower() for k in facts.variant_kinds}
    if QUANTIZED in variant_kinds and QUANTIZED not in named:
        return False
    if not named:
        return True
    release_named = named & RELEASE_KINDS
    variant_named = named - RELEASE_KINDS
    if facts.kind == ArtifactKind.MODEL and variant_named:
        return bool(variant_kinds & variant_named)
    return facts.kind in release_named


def matches(filters: Mapping[str, Any], facts: AlertFacts) -> bool:
    """Return True when an alert with ``facts`` passes a subscription's ``filters``.

    Args:
        filters (Mapping): the subscription's filter dict (see the module docstring); missing
            keys mean "any".
        facts (AlertFacts): the alert's lab, country, kinds, parameters (billions),
            significance and licence.

    Returns:
        bool: True when every filter key present passes.
    """
    labs = filters.get("labs") or ()
    if labs and "*" not in labs and facts.lab not in labs:
        return False
    countries = {c.upper() for c in filters.get("countries") or ()}
    if countries and facts.country.upper() not in countries:
        return False
    if not _kinds_pass(filters.get("kinds") or (), facts):
        return False
    min_params = filters.get("min_params_b")
    if min_params is not None and (facts.params_total_b is None or facts.params_total_b < min_params):
        return False
    threshold = filters.get("significance")
    if threshold is not None and (facts.significance is None or facts.significance < threshold):
        return False
    licences = {lic.lower() for lic in filters.get("licences") or ()}
    return not (licences and (facts.licence is None or facts.licence.lower() not in licences))


def facts_for_event(*, session: Session, event: Event) -> AlertFacts:
    """Gather the filter facts of an alert event from its payload, release and artifact rows.

    The payload is what the pipeline wrote (``tracker.pipeline.events.detection_payload``); the release's
    significance and the artifact's licence come from the database (they may be filled later).
    """
    payload = event.payload or {}
    art = payload.get("artifact") or {}
    release = session.get(Release, event.release_id) if event.release_id else None
    artifact = session.get(Artifact, event.artifact_id) if event.artifact_id else None
    licence = None
    if artifact is not None:
        licence = (artifact.attrs or {}).get("license")
    return AlertFacts(
        lab=payload.get("lab", ""),
        country=payload.get("country", ""),
        kind=payload.get("kind") or (release.kind if release else ""),
        variant_kinds=tuple(art.get("kinds") or (artifact.kinds if artifact else None) or ()),
        params_total_b=art.get("params_total_b"),
        significance=release.significance if release else None,
        licence=licence,
    )


@dataclass(slots=True)
class SyncResult:
    """What ``sync_subscriptions`` changed: channels added, updated and disabled."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)


def sync_subscriptions(
    *, session: Session, subscriptions: Iterable[WatchlistSubscription], now: datetime
) -> SyncResult:
    """Make the ``subscriptions`` rows of origin ``watchlist`` match the watchlist.

    Rows are keyed by channel (as written: ``slack:default`` stays ``slack:default`` and is
    resolved when sending). A channel listed twice keeps its last entry. A watchlist row whose
    channel left the watchlist is disabled (``disabled_reason`` says so) and re-enabled when it
    comes back; rows created through the API are never touched. Never commits.

    Returns:
        SyncResult: the channels added, updated and disabled.
    """
    wanted: dict[str, WatchlistSubscription] = {}
    for sub in subscriptions:
        if sub.channel in wanted:
            log.warning("subscription %s is listed twice in the watchlist; the last entry wins", sub.channel)
        wanted[sub.channel] = sub
    result = SyncResult()
    rows = {row.channel: row for row in session.scalars(select(Subscription))}
    for channel, sub in wanted.items():
        filters, digest = filters_of(sub), sub.digest
        row = rows.get(channel)
        if row is None:
            try:
                with session.begin_nested():  # another process may insert the same channel
                    session.add(
                        Subscription(
                            channel=channel, filters=filters, digest=digest, origin=ORIGIN_WATCHLIST, created_at=now
                        )
                    )
                result.added.append(channel)
            except IntegrityError:
                log.info("subscription %s was added concurrently", channel)
            continue
        if row.origin != ORIGIN_WATCHLIST:
            continue
        reenable = row.disabled_at is not None and row.disabled_reason == REMOVED_REASON
        if row.filters != filters or row.digest != digest or reenable:
            row.filters, row.digest = filters, digest
            if reenable:
                row.disabled_at, row.disabled_reason = None, None
            result.updated.append(channel)
    for channel, row in rows.items():
        if row.origin == ORIGIN_WATCHLIST and channel not in wanted and row.disabled_at is None:
            row.disabled_at, row.disabled_reason = now, REMOVED_REASON
            result.disabled.append(channel)
    return result


def list_active(*, session: Session) -> list[Subscription]:
    """Return enabled subscriptions, oldest first."""
    return list(
        session.scalars(select(Subscription).where(Subscription.disabled_at.is_(None)).order_by(Subscription.id))
    )
