"""Create a period's keyed digest deliveries, and send them.

``create_digest_deliveries`` creates one ``Delivery`` (kind ``digest``) per email subscription
with that digest period, keyed ``digest:<subscription id>:<period>:<start ISO>``
(``digest_key``), so a retried or duplicated digest task never sends twice; the content and its
cadence chart (PNG, base64) are frozen into the delivery's ``payload``, so a retry sends the same
email, and rendered by the email transport (``tracker.notify.email``) at send time. An empty
period gets no digest when ``TRACKER_DIGEST_SEND_EMPTY`` is false. ``send_digests`` also sends
them at once (``tracker digest --send``).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from tracker.briefings.digest.build import build_digest
from tracker.briefings.digest.cadence import render_chart
from tracker.briefings.digest.periods import Period, period_for
from tracker.config import Settings
from tracker.domain import utcnow
from tracker.notify.content import Digest
from tracker.outbox.deliver import DeliveryOutcome, deliver_one
from tracker.outbox.fanout import Audience, Skip
from tracker.store.models import Subscription

#: The package's logger name, as before the split into modules (log lines read ``tracker.briefings.digest``).
log = logging.getLogger("tracker.briefings.digest")


def digest_key(subscription_id: int, period: Period) -> str:
    """Return the delivery idempotency key ``digest:<subscription id>:<kind>:<start ISO UTC>``.

    The kind is part of the key so that a subscription switched from daily to weekly cannot
    collide with the daily digest that started on the same Monday.
    """
    return f"digest:{subscription_id}:{period.kind}:{period.start.isoformat().replace('+00:00', 'Z')}"


def unsubscribe_url(settings: Settings, *, subscription_id: int, email: str) -> str | None:
    """Return ``TRACKER_DIGEST_UNSUBSCRIBE_URL`` with ``{subscription_id}`` and ``{email}`` filled
    in (URL-quoted), or None when no link is configured."""
    template = settings.digest.unsubscribe_url
    if not template:
        return None
    return template.replace("{subscription_id}", str(subscription_id)).replace("{email}", quote(email, safe=""))


@dataclass(slots=True)
class DigestRun:
    """What ``create_digest_deliveries`` did.

    Attributes:
        period (Period): the period covered.
        created (list[int]): deliveries created by this run (to send).
        pending (list[int]): deliveries of this period that already existed and are still
            pending (a retry after a failure; sending them again is safe: they are claimed).
        existing (int): subscriptions whose digest for the period already existed.
        skipped (dict[str, str]): channels that got no digest, and why.
    """

    period: Period
    created: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)
    existing: int = 0
    skipped: dict[str, str] = field(default_factory=dict)


def create_digest_deliveries(
    store: Any,
    *,
    settings: Settings,
    watchlist: Any,
    period_kind: str,
    at: datetime | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> DigestRun:
    """Create one keyed ``digest`` delivery per email subscription with digest ``period_kind``.

    Safe to run any number of times for the same period: the key
    ``digest:<subscription id>:<kind>:<start>`` exists once, so a repeated or concurrent run
    creates nothing more (and builds no content for it). One transaction.

    Args:
        store (Store): the database.
        settings (Settings): digest time zone, quiet-period setting, unsubscribe link, and the
            channel checks (``tracker.notify.channel_problem``: SMTP configured).
        watchlist (Watchlist): its subscriptions are synced first; its labs are the cadence labs.
        period_kind (str): ``daily`` | ``weekly``.
        at (datetime, optional): when the digest is made (UTC); the last period completed by
            then is covered. Defaults to ``clock()``.
        clock (callable, optional): returns the current UTC time (``created_at``).

    Returns:
        DigestRun: the period and the deliveries to send.

    Raises:
        ConfigError: unknown period kind or time zone.
    """
    now = clock()
    period = period_for(period_kind, at or now, settings.digest.timezone)
    run = DigestRun(period)
    with store.transaction() as session:
        audience = Audience(
            session,
            settings=settings,
            subscriptions=watchlist.subscriptions,
            now=now,
            wants=lambda sub: sub.digest == period_kind,
            refuse=_email_only,
            what=f"{period_kind} digest",
            skipped=run.skipped,
        )
        digests: dict[str, Digest] = {}

        def payload(sub: Subscription) -> dict[str, Any] | Skip:
            digest = build_digest(
                session=session,
                period=period,
                filters=sub.filters,
                lab_slugs=[lab.slug for lab in watchlist.labs],
                now=now,
                hub_url=settings.hub.web_base,
            )
            if digest.empty and not digest.radar and not settings.digest.send_empty:
                return Skip(f"nothing new this {period.noun} (TRACKER_DIGEST_SEND_EMPTY is off)")
            digests[sub.channel] = digest
            return {
                "digest": digest.to_dict(),
                "unsubscribe_url": unsubscribe_url(
                    settings, subscription_id=sub.id, email=sub.channel.partition(":")[2]
                ),
                "chart_png_b64": base64.b64encode(render_chart(digest)).decode("ascii"),
            }

        fanned = audience.fan_out(kind="digest", key=lambda sub: digest_key(sub.id, period), payload=payload)
        run.created, run.existing, run.pending = list(fanned.created.values()), len(fanned.existing), fanned.pending
        for channel, delivery_id in fanned.created.items():
            log.info(
                "%s digest %s for %s: %d releases, %d papers (delivery %d)",
                period_kind,
                period.label,
                channel,
                digests[channel].release_count,
                len(digests[channel].papers),
                delivery_id,
            )
    return run


def _email_only(sub: Subscription) -> str | None:
    return None if sub.channel.startswith("email:") else "digests are sent by email only"


def send_digests(
    store: Any,
    *,
    settings: Settings,
    watchlist: Any,
    period_kind: str,
    at: datetime | None = None,
    clock: Callable[[], datetime] = utcnow,
    notifier_for: Callable[[str], Any] | None = None,
) -> tuple[DigestRun, list[DeliveryOutcome]]:
    """Create the period's digest deliveries and send them now, in this process (``tracker digest --send``).

    A failed send stays ``pending`` with a backoff (``tracker.outbox.deliver``); a worker's sweep or
    the next ``--send`` retries it.

    Returns:
        tuple[DigestRun, list[DeliveryOutcome]]: what was created, and one outcome per send tried.
    """
    run = create_digest_deliveries(
        store, settings=settings, watchlist=watchlist, period_kind=period_kind, at=at, clock=clock
    )
    outcomes = [
        deliver_one(store, i, settings=settings, notifier_for=notifier_for, clock=clock)
        for i in run.created + run.pending
    ]
    return run, outcomes
